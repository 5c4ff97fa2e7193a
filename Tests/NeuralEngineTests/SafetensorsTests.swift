import Foundation
import NeuralEngine
import Testing

@Suite("Safetensors")
struct SafetensorsTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "safetensors-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    static let entries = [
        SafetensorsWriter.Entry(name: "a.weight", shape: [2, 3], values: [1, 2, 3, 4, 5, 6]),
        SafetensorsWriter.Entry(name: "a.bias", shape: [2], values: [-1, 0.5]),
        SafetensorsWriter.Entry(name: "empty", shape: [0, 4], values: []),
    ]

    func write(_ bytes: [UInt8], _ name: String = "file.safetensors") throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A file with a hand-written header followed by `data` bytes.
    func rawFile(header: String, dataBytes: Int) throws -> String {
        var header = Array(header.utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes += header + [UInt8](repeating: 0, count: dataBytes)
        return try write(bytes)
    }

    func expectError(_ kind: SafetensorsError.Kind, tensor: String?, path: String) {
        do {
            _ = try SafetensorsFile(path: path)
            Issue.record("expected \(kind) error")
        } catch {
            #expect(error.kind == kind)
            #expect(error.tensor == tensor)
            #expect(error.description.contains(path))
            if let tensor { #expect(error.description.contains("'\(tensor)'")) }
        }
    }

    @Test func writtenFileLoadsWithShapesValuesAndMetadata() throws {
        let path = directory + "/good.safetensors"
        try SafetensorsWriter.write(Self.entries, metadata: ["arch": "cpnet", "note": "quote \" and \\"], to: path)
        let file = try SafetensorsFile(path: path)
        #expect(file.metadata == ["arch": "cpnet", "note": "quote \" and \\"])
        #expect(file.names == ["a.weight", "a.bias", "empty"])
        #expect(file["a.weight"]?.shape == [2, 3])
        #expect(file["a.weight"]?.values == [1, 2, 3, 4, 5, 6])
        #expect(file["a.bias"]?.values == [-1, 0.5])
        #expect(file["empty"]?.count == 0)
        #expect(file["missing"] == nil)
    }

    @Test func missingFileIsUnreadable() {
        expectError(.unreadable, tensor: nil, path: directory + "/nope.safetensors")
    }

    @Test func truncatedFilesAreRefused() throws {
        let good = SafetensorsWriter.encode(Self.entries)
        expectError(.truncated, tensor: nil, path: try write(Array(good.prefix(5))))
        expectError(.truncated, tensor: nil, path: try write(Array(good.prefix(20))))        // header cut
        expectError(.outOfBounds, tensor: "a.bias", path: try write(Array(good.dropLast(4)))) // data cut
    }

    @Test func headerThatIsNotJSONIsRefused() throws {
        expectError(.badHeader, tensor: nil, path: try rawFile(header: "{not json", dataBytes: 0))
        expectError(.badHeader, tensor: nil, path: try rawFile(header: "[1, 2]", dataBytes: 0))
        expectError(.badHeader, tensor: nil, path: try rawFile(header: #"{"__metadata__": {"a": 1}}"#, dataBytes: 0))
        expectError(.badHeader, tensor: "x", path: try rawFile(header: #"{"x": {"dtype": "F32", "shape": [2.5], "data_offsets": [0, 8]}}"#, dataBytes: 8))
        expectError(.badHeader, tensor: "x", path: try rawFile(header: #"{"x": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}"#, dataBytes: 8))
    }

    @Test func nonFloat32TensorIsRefusedByName() throws {
        expectError(.unsupportedDType, tensor: "half", path: try rawFile(header: #"{"half": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}"#, dataBytes: 4))
    }

    @Test func shapeThatDisagreesWithByteCountIsRefused() throws {
        expectError(.shapeMismatch, tensor: "x", path: try rawFile(header: #"{"x": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, dataBytes: 8))
    }

    @Test func overlappingGappedAndTrailingDataAreRefused() throws {
        expectError(.overlapping, tensor: "b", path: try rawFile(header: #"""
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}
            """#, dataBytes: 12))
        expectError(.gap, tensor: "b", path: try rawFile(header: #"""
            {"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}}
            """#, dataBytes: 12))
        expectError(.gap, tensor: nil, path: try rawFile(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, dataBytes: 12))
    }

    @Test func nonFiniteWeightsAreRefusedByName() throws {
        for bad in [Float.nan, .infinity, -.infinity] {
            let entries = [SafetensorsWriter.Entry(name: "ok", shape: [1], values: [1]),
                           SafetensorsWriter.Entry(name: "diverged", shape: [3], values: [0, bad, 1])]
            let path = directory + "/nonfinite.safetensors"
            try SafetensorsWriter.write(entries, to: path)
            expectError(.nonFinite, tensor: "diverged", path: path)
        }
    }
}
