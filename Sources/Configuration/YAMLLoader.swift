import Foundation
@preconcurrency import Yams

/// Decodes YAML into Codable types and turns every failure into a `ConfigError` that names the
/// file, the key path and the line.
///
/// Decoding goes through Yams' `YAMLDecoder`; line numbers come from composing the same text into
/// a node tree and walking it along the failing coding path.
// `Node` is an immutable value tree that Yams does not mark Sendable; sharing it is safe.
public struct YAMLLoader: @unchecked Sendable {
    public let file: String
    public let text: String
    private let root: Node?

    public init(file: String, text: String) throws {
        self.file = file
        self.text = text
        do {
            self.root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, keyPath: "", line: Self.line(of: error), message: "is not valid YAML: \(Self.problem(of: error))")
        }
        if let root, let (scalar, path) = Self.firstBase60Overflow(in: root) {
            throw ConfigError(file: file, keyPath: path.joined(separator: "."), line: scalar.mark?.line,
                              message: "is a YAML 1.1 base-60 number (\(scalar.string)) too large for an integer; quote it if it is text")
        }
    }

    /// Yams reads a plain scalar with colons ("1:30:00", YAML 1.1 base 60) as an integer with
    /// unchecked arithmetic, which traps when the value (or the next power of 60 it computes)
    /// does not fit in Int. Such scalars are found here, before decoding, by the same reading with
    /// checked arithmetic. Quoted scalars are strings to Yams and are skipped.
    static func firstBase60Overflow(in root: Node) -> (scalar: Node.Scalar, path: [String])? {
        var pending = [(root, [String]())]
        while let (node, path) = pending.popLast() {
            switch node {
            case .scalar(let scalar):
                if base60Overflows(scalar) { return (scalar, path) }
            case .mapping(let mapping):
                for pair in mapping.reversed() {
                    let key = path + [pair.key.string ?? "?"]
                    pending += [(pair.value, key), (pair.key, key)]
                }
            case .sequence(let sequence):
                pending += sequence.enumerated().reversed().map { ($1, path + [String($0)]) }
            }
        }
        return nil
    }

    private static func base60Overflows(_ scalar: Node.Scalar) -> Bool {
        guard scalar.style == .any || scalar.style == .plain, scalar.string.contains(":") else { return false }
        // Yams' integer reading (Constructor.swift, FixedWidthInteger._construct and sexagesimal()).
        var text = Substring(scalar.string.replacingOccurrences(of: "_", with: ""))
        var sign = 1
        if text.hasPrefix("-") { sign = -1 }
        if text.hasPrefix("-") || text.hasPrefix("+") { text = text.dropFirst() }
        if text.hasPrefix("0") { return false }  // read in base 8, 16 or 2, which reports overflow
        var base = 1, value = 0
        for digit in text.components(separatedBy: ":").compactMap({ Int($0, radix: 10) }).reversed() {
            let term = digit.multipliedReportingOverflow(by: base)
            let sum = value.addingReportingOverflow(term.partialValue)
            let next = base.multipliedReportingOverflow(by: 60)
            if term.overflow || sum.overflow || next.overflow { return true }
            (value, base) = (sum.partialValue, next.partialValue)
        }
        return value.multipliedReportingOverflow(by: sign).overflow
    }

    /// True when the text holds no YAML document (nothing, or only comments).
    public var isEmptyDocument: Bool { root == nil }

    /// Reads `path`; a missing or unreadable file is a `ConfigError` too.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, keyPath: "", line: nil, message: "cannot be read: no such file (or no permission)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, keyPath: "", line: nil, message: "is not UTF-8 text")
        }
        try self.init(file: path, text: text)
    }

    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            if root == nil {
                // An empty document decodes as an empty mapping, so every key takes its default.
                return try YAMLDecoder().decode(type, from: "{}")
            }
            return try YAMLDecoder().decode(type, from: text)
        } catch let error as DecodingError {
            throw located(error)
        } catch let error as YamlError {
            throw ConfigError(file: file, keyPath: "", line: Self.line(of: error), message: "is not valid YAML: \(Self.problem(of: error))")
        }
    }

    /// The error for a problem found after decoding (a range check), located by key path.
    public func error(at path: [String], _ message: String) -> ConfigError {
        ConfigError(file: file, keyPath: path.joined(separator: "."), line: line(at: path), message: message)
    }

    /// 1-based line of the value (or key) at `path`, walking mappings by key and sequences by index.
    public func line(at path: [String]) -> Int? {
        guard var node = root else { return nil }
        var line = node.mark?.line
        for component in path {
            switch node {
            case .mapping(let mapping):
                guard let pair = mapping.first(where: { $0.key.string == component }) else { return line }
                line = pair.key.mark?.line ?? line
                node = pair.value
            case .sequence(let sequence):
                guard let index = Int(component), sequence.indices.contains(index) else { return line }
                node = sequence[index]
                line = node.mark?.line ?? line
            default:
                return line
            }
        }
        return line
    }

    private func located(_ error: DecodingError) -> ConfigError {
        func path(_ keys: [CodingKey]) -> [String] {
            keys.map { $0.intValue.map(String.init) ?? $0.stringValue }
        }
        switch error {
        case let .typeMismatch(type, context):
            return self.error(at: path(context.codingPath), "has the wrong type: expected \(Self.describe(type))\(Self.detail(context))")
        case let .valueNotFound(type, context):
            return self.error(at: path(context.codingPath), "is empty: expected \(Self.describe(type))")
        case let .keyNotFound(key, context):
            let p = path(context.codingPath)
            return ConfigError(file: file, keyPath: (p + [key.stringValue]).joined(separator: "."), line: line(at: p),
                               message: "is required but missing")
        case let .dataCorrupted(context):
            return self.error(at: path(context.codingPath), context.debugDescription)
        @unknown default:
            return ConfigError(file: file, keyPath: "", line: nil, message: "\(error)")
        }
    }

    private static func detail(_ context: DecodingError.Context) -> String {
        let text = context.debugDescription
        return text.isEmpty || text.hasPrefix("Expected to decode") ? "" : " (\(text))"
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Dictionary") { return "a mapping (key: value)" }
            if name.hasPrefix("Array") { return "a list" }
            return "a mapping (\(name))"
        }
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _):
            return mark.line
        default:
            return nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, _, _), let .parser(_, problem, _, _), let .composer(_, problem, _, _):
            return problem
        default:
            return "\(error)"
        }
    }
}

/// A coding key for any string, used to list the keys a mapping actually has.
public struct AnyCodingKey: CodingKey, Hashable, Sendable {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue }
    public init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    /// Throws for keys the type does not know, so a typo ("fsp: 30") is an error instead of a
    /// silently ignored line.
    public func rejectUnknownKeys<Key: CodingKey & CaseIterable>(_ keys: Key.Type) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        let allowed = Key.allCases.map(\.stringValue)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(.init(
                codingPath: codingPath + [key],
                debugDescription: "is not a known key; expected one of: \(allowed.joined(separator: ", "))"))
        }
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent.
    public func value<T: Decodable>(_ key: Key, default fallback: @autoclosure () -> T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback()
    }
}
