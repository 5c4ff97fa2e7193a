/// A problem with one setting's value, located by key path from the config's root.
public typealias SettingProblem = (path: [String], message: String)

/// A config section whose keys are declared once, one line per setting, in `settings`: its YAML
/// key, the property it decodes into, the values it accepts and what it means. Decoding (absent
/// keys keep `init()`'s values, the shipped defaults), the unknown-key error, range checks and
/// the key listing (`clearlane config keys`) all come from that table, so a setting is added,
/// renamed or re-ranged in one place.
public protocol SettingsSection: Decodable {
    /// Every key at its default: the shipped behaviour.
    init()
    static var settings: [Setting<Self>] { get }
    /// Checks that involve more than one key (a single key's range belongs to its setting).
    func crossChecks() -> [SettingProblem]
    /// Adjusts defaults that depend on which keys were written (called after decoding).
    mutating func finishDecoding(writtenKeys: Set<String>)
}

extension SettingsSection {
    public func crossChecks() -> [SettingProblem] { [] }
    public mutating func finishDecoding(writtenKeys: Set<String>) {}

    /// Decodes the section from its table (types conforming write
    /// `public init(from decoder: Decoder) throws { try self.init(settingsFrom: decoder) }`).
    public init(settingsFrom decoder: Decoder) throws {
        self.init()
        let settings = Self.settings
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        let known = settings.filter { !$0.isRemoved }.map(\.key)
        for key in container.allKeys where !settings.contains(where: { $0.key == key.stringValue }) {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key],
                                                   debugDescription: "is not a known key; expected one of: \(known.joined(separator: ", "))"))
        }
        for setting in settings { try setting.read(container, &self) }
        finishDecoding(writtenKeys: Set(container.allKeys.map(\.stringValue)))
    }

    /// Every setting out of range, and the cross-key checks, located by key path in this section.
    public func problems() -> [SettingProblem] {
        Self.settings.flatMap { $0.problems(self) } + crossChecks()
    }

    /// One line per setting, nested sections flattened: what `clearlane config keys` prints.
    public static func keyListing(prefix: [String] = []) -> [SettingDescription] {
        let defaults = Self()
        return settings.flatMap { $0.describe(defaults, prefix) }
    }
}

/// One line of the key listing.
public struct SettingDescription: Equatable, Sendable {
    public var path: [String]
    public var defaultValue: String
    public var accepts: String
    public var help: String
    public var keyPath: String { path.joined(separator: ".") }
}

/// One setting of `Section`: see `SettingsSection`.
public struct Setting<Section> {
    public let key: String
    public let help: String
    /// The values accepted, as errors and the key listing say them ("1…16 frames").
    public let accepts: String
    let isRemoved: Bool
    let read: (KeyedDecodingContainer<AnyCodingKey>, inout Section) throws -> Void
    let problems: (Section) -> [SettingProblem]
    let describe: (Section, [String]) -> [SettingDescription]

    /// A value checked by `valid`, described by `accepts` ("" when any value of the type will do).
    public init<Value: Decodable>(_ key: String, _ path: WritableKeyPath<Section, Value>, accepts: String = "",
                                  valid: ((Value) -> Bool)? = nil, _ help: String) {
        self.key = key
        self.help = help
        self.accepts = accepts
        isRemoved = false
        let codingKey = AnyCodingKey(stringValue: key)
        read = { container, section in
            if let value = try container.decodeIfPresent(Value.self, forKey: codingKey) { section[keyPath: path] = value }
        }
        problems = { section in
            let value = section[keyPath: path]
            guard let valid, !valid(value) else { return [] }
            return [([key], "must be \(accepts), got \(Self.text(value))")]
        }
        describe = { section, prefix in
            [SettingDescription(path: prefix + [key], defaultValue: Self.text(section[keyPath: path]), accepts: accepts, help: help)]
        }
    }

    /// A number in `bounds`.
    public init<Value: Decodable & Comparable>(_ key: String, _ path: WritableKeyPath<Section, Value>, _ bounds: Bounds<Value>,
                                               _ help: String) {
        self.init(key, path, accepts: bounds.text, valid: bounds.contains, help)
    }

    /// One of an enumeration's raw values.
    public init<Value: Decodable & CaseIterable & RawRepresentable>(_ key: String, _ path: WritableKeyPath<Section, Value>,
                                                                    _ help: String) where Value.RawValue == String {
        self.init(key, path, accepts: "one of " + Value.allCases.map(\.rawValue).joined(separator: ", "), valid: nil, help)
    }

    /// A nested section (`lanes.detector`): decoded from its own table, its problems and keys
    /// located under `key`.
    public static func section<Child: SettingsSection>(_ key: String, _ path: WritableKeyPath<Section, Child>,
                                                       _ help: String) -> Setting {
        Setting(key: key, help: help, accepts: "a section", isRemoved: false,
                read: { container, section in
                    if let value = try container.decodeIfPresent(Child.self, forKey: AnyCodingKey(stringValue: key)) { section[keyPath: path] = value }
                },
                problems: { section in section[keyPath: path].problems().map { ([key] + $0.path, $0.message) } },
                describe: { _, prefix in Child.keyListing(prefix: prefix + [key]) })
    }

    /// A nested section that is absent unless written (`outputs.video`).
    public static func optionalSection<Child: SettingsSection>(_ key: String, _ path: WritableKeyPath<Section, Child?>,
                                                               _ help: String) -> Setting {
        Setting(key: key, help: help, accepts: "a section (absent: none)", isRemoved: false,
                read: { container, section in
                    if let value = try container.decodeIfPresent(Child.self, forKey: AnyCodingKey(stringValue: key)) { section[keyPath: path] = value }
                },
                problems: { section in (section[keyPath: path]?.problems() ?? []).map { ([key] + $0.path, $0.message) } },
                describe: { _, prefix in Child.keyListing(prefix: prefix + [key]) })
    }

    /// A key that is no longer read: writing it is an error that says what replaced it.
    public static func removed(_ key: String, _ explanation: String) -> Setting {
        Setting(key: key, help: explanation, accepts: "", isRemoved: true,
                read: { container, _ in
                    let codingKey = AnyCodingKey(stringValue: key)
                    guard container.contains(codingKey) else { return }
                    throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [codingKey], debugDescription: explanation))
                },
                problems: { _ in [] },
                describe: { _, _ in [] })
    }

    private init(key: String, help: String, accepts: String, isRemoved: Bool,
                 read: @escaping (KeyedDecodingContainer<AnyCodingKey>, inout Section) throws -> Void,
                 problems: @escaping (Section) -> [SettingProblem], describe: @escaping (Section, [String]) -> [SettingDescription]) {
        self.key = key
        self.help = help
        self.accepts = accepts
        self.isRemoved = isRemoved
        self.read = read
        self.problems = problems
        self.describe = describe
    }

    /// A value as YAML would write it: enumerations by raw value, absent optionals as "none".
    static func text(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let wrapped = mirror.children.first?.value else { return "none" }
            return text(wrapped)
        }
        if let raw = value as? any RawRepresentable { return "\(raw.rawValue)" }
        if let map = value as? [String: String] {
            return map.isEmpty ? "{}" : "{" + map.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
        return "\(value)"
    }
}

/// The interval a numeric setting accepts, each end closed or open, with its unit.
public struct Bounds<Value: Comparable> {
    let lower: Value
    let upper: Value?
    let lowerOpen: Bool
    let upperOpen: Bool
    let unit: String

    /// `lower…upper`, both included.
    public static func closed(_ range: ClosedRange<Value>, _ unit: String = "") -> Bounds {
        Bounds(lower: range.lowerBound, upper: range.upperBound, lowerOpen: false, upperOpen: false, unit: unit)
    }
    /// (lower, upper]: above `lower`, at most `upper`.
    public static func above(_ lower: Value, atMost upper: Value, _ unit: String = "") -> Bounds {
        Bounds(lower: lower, upper: upper, lowerOpen: true, upperOpen: false, unit: unit)
    }
    /// [lower, upper): at least `lower`, below `upper`.
    public static func atLeast(_ lower: Value, below upper: Value, _ unit: String = "") -> Bounds {
        Bounds(lower: lower, upper: upper, lowerOpen: false, upperOpen: true, unit: unit)
    }
    /// (lower, upper), both excluded.
    public static func between(_ lower: Value, and upper: Value, _ unit: String = "") -> Bounds {
        Bounds(lower: lower, upper: upper, lowerOpen: true, upperOpen: true, unit: unit)
    }
    /// [lower, ∞).
    public static func atLeast(_ lower: Value, _ unit: String = "") -> Bounds {
        Bounds(lower: lower, upper: nil, lowerOpen: false, upperOpen: false, unit: unit)
    }

    public func contains(_ value: Value) -> Bool {
        let aboveLower = lowerOpen ? value > lower : value >= lower
        guard let upper else { return aboveLower }
        return aboveLower && (upperOpen ? value < upper : value <= upper)
    }

    /// "1…16 frames", "in (0, 2] seconds", "≥ 0 seconds".
    public var text: String {
        let suffix = unit.isEmpty ? "" : " " + unit
        let lower = Self.number(self.lower)
        guard let upper = self.upper.map(Self.number) else { return "≥ \(lower)\(suffix)" }
        if !lowerOpen && !upperOpen { return "\(lower)…\(upper)\(suffix)" }
        return "in \(lowerOpen ? "(" : "[")\(lower), \(upper)\(upperOpen ? ")" : "]")\(suffix)"
    }

    /// Whole doubles without their ".0" (a range reads "1…128", not "1.0…128.0").
    private static func number(_ value: Value) -> String {
        if let d = value as? Double, d == d.rounded(), abs(d) < 1e15 { return String(Int(d)) }
        return "\(value)"
    }
}
