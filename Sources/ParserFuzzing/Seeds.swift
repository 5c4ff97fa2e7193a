import Drives
import Foundation
import NeuralEngine

extension ParserTarget {
    /// Starting inputs: the repository's real files where it has them (shipped config, sample
    /// drives, their labels and exposure log, the shipped model's header), plus small hand-written
    /// ones for what the repository only generates (CULane labels, a complete safetensors file).
    /// Seeds stay small (a few KiB) so mutations land in the structure rather than in bulk data.
    public func seeds(repository root: String) throws -> [[UInt8]] {
        func file(_ relative: String) throws -> [UInt8] {
            let path = (root as NSString).appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
            }
            return Array(data)
        }
        func firstLines(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
            Array(bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).prefix(count)
                .joined(separator: [UInt8(ascii: "\n")]))
        }
        let samples = "evaluation/samples"
        switch self {
        case .config:
            return [try file("config/default.yaml"),
                    Array("processing: {width: 640, height: 360, fps: 30}\ndaemon:\n  queue_frames: 4\n".utf8)]
        case .drive:
            return try ["challenge", "solidWhiteRight", "solidWhiteRight-tunnel-exit"].map { try file("\(samples)/\($0)/drive.yaml") }
        case .tusimple:
            return try ["challenge", "solidWhiteRight-tunnel-exit"].map { firstLines(try file("\(samples)/\($0)/labels.json"), 3) }
        case .exposure:
            // The sample drive's log, cut to its first frames (as its writer would write them).
            let path = "\(samples)/solidWhiteRight-tunnel-exit/exposure.json"
            var log = try ExposureLog.decode(Data(try file(path)), file: path)
            log.frames = Array(log.frames.prefix(16))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return [Array(try encoder.encode(log)), Array(#"{"events":[],"frames":[{"frame":0,"ev":1.5}]}"#.utf8)]
        case .culane:
            return [Array("1.5 590 80.25 560 160 530 240.5 500\n1200 590 1100 560 1000 530\n".utf8),
                    Array("-12 700\t40 650\r\n300 400 310 380 320 360\n\n".utf8)]
        case .safetensors:
            let small = SafetensorsWriter.encode(
                [.init(name: "conv.weight", shape: [2, 1, 1, 2], values: [0.5, -1, 2, 0]),
                 .init(name: "conv.bias", shape: [2], values: [0, 1])],
                metadata: ["format": "pt"])
            // The shipped model's header, truncated after it: the real key set and layout, with
            // the data section missing (the parser reports that without reading the data).
            let model = try file("models/cpnet-road-slim.safetensors")
            let headerLength = model.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
            return [small, Array(model.prefix(8 + headerLength))]
        }
    }
}
