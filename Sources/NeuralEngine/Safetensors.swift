import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A problem with a safetensors file: names the file, the tensor (when one is to blame), what is
/// wrong and what to do about it.
public struct SafetensorsError: Error, Equatable, CustomStringConvertible {
    public enum Kind: Equatable, Sendable {
        case unreadable, truncated, badHeader, unsupportedDType, shapeMismatch, outOfBounds,
             overlapping, gap, nonFinite, writeFailed
    }
    public var kind: Kind
    public var file: String
    public var tensor: String?
    public var problem: String
    public var action: String

    public init(_ kind: Kind, file: String, tensor: String? = nil, problem: String, action: String) {
        self.kind = kind
        self.file = file
        self.tensor = tensor
        self.problem = problem
        self.action = action
    }

    public var description: String {
        let subject = tensor.map { "\(file): tensor '\($0)'" } ?? file
        return "\(subject): \(problem). \(action)"
    }
}

/// One tensor of a memory-mapped safetensors file: a view, valid while the file is open.
public struct WeightTensor: @unchecked Sendable {
    public let name: String
    public let shape: [Int]
    public let data: UnsafePointer<Float>
    public var count: Int { shape.reduce(1, *) }
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
}

/// A safetensors file (https://huggingface.co/docs/safetensors), memory-mapped read-only.
///
/// Layout: u64 little-endian header length N, N bytes of JSON header, then the data section.
/// The header maps each tensor name to {dtype, shape, data_offsets [begin, end)} (offsets relative
/// to the data section) and may carry a `__metadata__` string map. Opening validates everything the
/// engine relies on: JSON shape, F32 only, byte sizes matching shapes, offsets inside the file,
/// tensors packed without overlaps or gaps, and finite values. Tensors point into the mapping
/// (llama2.c style); the mapping lives as long as this object.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let metadata: [String: String]
    /// Tensors in file order (by data offset).
    public let tensors: [WeightTensor]
    private let byName: [String: Int]
    private let mapping: UnsafeMutableRawPointer?
    private let mappedBytes: Int
    private var copies: [UnsafeMutableRawPointer] = []

    public subscript(name: String) -> WeightTensor? { byName[name].map { tensors[$0] } }
    public var names: [String] { tensors.map(\.name) }

    public init(path: String) throws(SafetensorsError) {
        self.path = path
        let reexport = "Re-export the weights (training/export.py) or copy the file again"
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw SafetensorsError(.unreadable, file: path, problem: "cannot open (\(String(cString: strerror(errno))))",
                                   action: "Check the path given for the weights")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw SafetensorsError(.unreadable, file: path, problem: "cannot stat", action: "Check the path given for the weights")
        }
        let size = Int(st.st_size)
        guard size >= 8 else { throw Self.tooShort(size, path: path) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw SafetensorsError(.unreadable, file: path, problem: "cannot memory-map (\(String(cString: strerror(errno))))",
                                   action: "Check that the file is a regular, readable file")
        }
        mapping = base
        mappedBytes = size
        do {
            let parsed = try Self.parse(base: UnsafeRawPointer(base), size: size, path: path)
            metadata = parsed.metadata
            var list: [WeightTensor] = []
            for entry in parsed.entries {
                var pointer = UnsafeRawPointer(base) + parsed.dataStart + entry.begin
                if Int(bitPattern: pointer) % MemoryLayout<Float>.alignment != 0 {
                    // The format does not promise aligned tensors; copy the rare unaligned one.
                    let copy = UnsafeMutableRawPointer.allocate(byteCount: max(entry.end - entry.begin, 4), alignment: 64)
                    copy.copyMemory(from: pointer, byteCount: entry.end - entry.begin)
                    copies.append(copy)
                    pointer = UnsafeRawPointer(copy)
                }
                let tensor = WeightTensor(name: entry.name, shape: entry.shape,
                                          data: pointer.assumingMemoryBound(to: Float.self))
                try Self.checkFinite(tensor, path: path)
                list.append(tensor)
            }
            tensors = list
            byName = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1.name, $0) })
        } catch {
            munmap(base, size)
            for copy in copies { copy.deallocate() }
            throw error
        }
    }

    deinit {
        if let mapping { munmap(mapping, mappedBytes) }
        for copy in copies { copy.deallocate() }
    }

    struct Entry {
        var name: String
        var shape: [Int]
        var begin: Int
        var end: Int
    }

    /// Checks safetensors bytes held in memory as `init(path:)` checks a file (header, layout and
    /// finite values) without mapping anything; `file` names them in errors. Returns each
    /// tensor's name and shape in file order. The fuzz harness feeds the parser through this.
    public static func validate(_ bytes: UnsafeRawBufferPointer, file: String) throws(SafetensorsError) -> [(name: String, shape: [Int])] {
        guard let base = bytes.baseAddress, bytes.count >= 8 else { throw tooShort(bytes.count, path: file) }
        let parsed = try parse(base: base, size: bytes.count, path: file)
        for entry in parsed.entries {
            for i in 0..<(entry.end - entry.begin) / 4 {
                let bits = bytes.loadUnaligned(fromByteOffset: parsed.dataStart + entry.begin + 4 * i, as: UInt32.self)
                let value = Float(bitPattern: UInt32(littleEndian: bits))
                if !value.isFinite { throw nonFinite(entry.name, element: i, value: value, path: file) }
            }
        }
        return parsed.entries.map { ($0.name, $0.shape) }
    }

    private static func tooShort(_ size: Int, path: String) -> SafetensorsError {
        SafetensorsError(.truncated, file: path, problem: "file is \(size) bytes; a safetensors file starts with an 8-byte header length",
                         action: "Re-export the weights (training/export.py) or copy the file again")
    }

    /// `base` holds `size` ≥ 8 bytes.
    static func parse(base: UnsafeRawPointer, size: Int, path: String) throws(SafetensorsError)
        -> (metadata: [String: String], entries: [Entry], dataStart: Int) {
        let reexport = "Re-export the weights (training/export.py) or copy the file again"
        var headerLength: UInt64 = 0
        withUnsafeMutableBytes(of: &headerLength) { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: 8)) }
        headerLength = UInt64(littleEndian: headerLength)
        guard headerLength <= UInt64(size - 8) else {
            throw SafetensorsError(.truncated, file: path,
                                   problem: "header claims \(headerLength) bytes but only \(size - 8) follow the length field",
                                   action: reexport)
        }
        let dataStart = 8 + Int(headerLength)
        let json = Data(bytes: base + 8, count: Int(headerLength))
        guard let object = try? JSONSerialization.jsonObject(with: json), let header = object as? [String: Any] else {
            throw SafetensorsError(.badHeader, file: path, problem: "header is not a JSON object",
                                   action: "This is not a safetensors file, or it is damaged. \(reexport)")
        }
        var metadata: [String: String] = [:]
        if let raw = header["__metadata__"] {
            guard let map = raw as? [String: String] else {
                throw SafetensorsError(.badHeader, file: path, problem: "__metadata__ is not a map of strings to strings", action: reexport)
            }
            metadata = map
        }
        var entries: [Entry] = []
        for (name, value) in header where name != "__metadata__" {
            guard let info = value as? [String: Any] else {
                throw SafetensorsError(.badHeader, file: path, tensor: name, problem: "header entry is not an object", action: reexport)
            }
            guard let dtype = info["dtype"] as? String else {
                throw SafetensorsError(.badHeader, file: path, tensor: name, problem: "has no dtype", action: reexport)
            }
            guard dtype == "F32" else {
                throw SafetensorsError(.unsupportedDType, file: path, tensor: name,
                                       problem: "has dtype \(dtype); the engine reads F32 only",
                                       action: "Export the weights as float32 (training/export.py does)")
            }
            guard let shapeValues = info["shape"] as? [Any], let shape = integers(shapeValues), shape.allSatisfy({ $0 >= 0 }) else {
                throw SafetensorsError(.badHeader, file: path, tensor: name, problem: "shape is not a list of non-negative integers", action: reexport)
            }
            guard let offsetValues = info["data_offsets"] as? [Any], let offsets = integers(offsetValues), offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw SafetensorsError(.badHeader, file: path, tensor: name, problem: "data_offsets is not [begin, end] with 0 ≤ begin ≤ end", action: reexport)
            }
            // Checked arithmetic: a damaged or hostile shape ([2^32, 2^32]) would trap on overflow.
            let bytes = shape.contains(0) ? 0 : shape.reduce(4 as Int?) { total, n in
                total.flatMap { let (product, overflow) = $0.multipliedReportingOverflow(by: n); return overflow ? nil : product }
            }
            guard let bytes else {
                throw SafetensorsError(.shapeMismatch, file: path, tensor: name,
                                       problem: "shape \(shape) holds more bytes than any file can", action: reexport)
            }
            guard offsets[1] - offsets[0] == bytes else {
                throw SafetensorsError(.shapeMismatch, file: path, tensor: name,
                                       problem: "shape \(shape) needs \(bytes) bytes but data_offsets span \(offsets[1] - offsets[0])",
                                       action: reexport)
            }
            entries.append(Entry(name: name, shape: shape, begin: offsets[0], end: offsets[1]))
        }
        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        let dataSize = size - dataStart
        var position = 0
        for entry in entries {
            guard entry.end <= dataSize else {
                throw SafetensorsError(.outOfBounds, file: path, tensor: entry.name,
                                       problem: "ends at byte \(entry.end) of the data section, which has only \(dataSize) bytes (the file is truncated)",
                                       action: reexport)
            }
            if entry.begin < position {
                throw SafetensorsError(.overlapping, file: path, tensor: entry.name,
                                       problem: "bytes [\(entry.begin), \(entry.end)) overlap the previous tensor (which ends at \(position))",
                                       action: reexport)
            }
            if entry.begin > position {
                throw SafetensorsError(.gap, file: path, tensor: entry.name,
                                       problem: "starts at byte \(entry.begin) but the previous tensor ends at \(position); the data section must be packed",
                                       action: reexport)
            }
            position = entry.end
        }
        guard position == dataSize else {
            throw SafetensorsError(.gap, file: path, problem: "\(dataSize - position) bytes follow the last tensor; the file is inconsistent",
                                   action: reexport)
        }
        return (metadata, entries, dataStart)
    }

    private static func integers(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber else { return nil }
            let d = n.doubleValue
            guard d == d.rounded(), abs(d) < 9e15 else { return nil }
            out.append(Int(d))
        }
        return out
    }

    static func checkFinite(_ tensor: WeightTensor, path: String) throws(SafetensorsError) {
        for i in 0..<tensor.count where !tensor.data[i].isFinite {
            throw nonFinite(tensor.name, element: i, value: tensor.data[i], path: path)
        }
    }

    private static func nonFinite(_ tensor: String, element: Int, value: Float, path: String) -> SafetensorsError {
        SafetensorsError(.nonFinite, file: path, tensor: tensor,
                         problem: "element \(element) is \(value) (weights must be finite)",
                         action: "The training run diverged or the file is damaged; export a checkpoint from before the divergence")
    }
}

/// Writes safetensors files (F32 only): used by tests and the benchmark for random weights.
public enum SafetensorsWriter {
    public struct Entry: Sendable {
        public var name: String
        public var shape: [Int]
        public var values: [Float]
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The file's bytes: header (keys in the given order, padded with spaces to 8 bytes) + data.
    public static func encode(_ entries: [Entry], metadata: [String: String] = [:]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(quote($0)):\(quote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(items.joined(separator: ","))}")
        }
        var offset = 0
        for e in entries {
            let bytes = e.values.count * 4
            parts.append("\(quote(e.name)):{\"dtype\":\"F32\",\"shape\":[\(e.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array("{\(parts.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for e in entries {
            precondition(e.values.count == e.shape.reduce(1, *), "tensor \(e.name): values do not fill shape \(e.shape)")
            e.values.withUnsafeBytes { raw in
                for v in raw.bindMemory(to: Float.self) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            }
        }
        return out
    }

    public static func write(_ entries: [Entry], metadata: [String: String] = [:], to path: String) throws(SafetensorsError) {
        let bytes = encode(entries, metadata: metadata)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            throw SafetensorsError(.writeFailed, file: path, problem: "cannot write (\(error))", action: "Check the output directory exists and is writable")
        }
    }

    private static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }
}
