/// Seeded random mutations of parser inputs: byte flips, insertions, deletions, duplications,
/// splices with another seed, boundary numbers and format tokens. Deterministic for a seed, so a
/// failing CI run is replayed exactly.
public struct Mutator: Sendable {
    public private(set) var state: UInt64
    /// Mutated inputs are cut to this many bytes.
    public var maxLength: Int

    public init(seed: UInt64, maxLength: Int = 16_384) {
        state = seed
        self.maxLength = maxLength
    }

    /// Numbers at the edges: zero, signs, 32/64-bit limits and one past them, huge and tiny
    /// floats, non-finite spellings, and a YAML 1.1 base-60 integer too large for Int.
    static let boundaryNumbers = [
        "0", "-0", "-1", "1", "2147483647", "2147483648", "-2147483649", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
        "1e308", "1e309", "-1e309", "5e-324", "1e-400", "0.5", "-2", ".nan", ".inf", "-.inf", "NaN", "Infinity",
        "4503599627370497", "8999999999999999", "1:0:0:0:0:0:0:0:0:0:0:0", "0x7fffffffffffffff", "0o777", "1_000",
    ]

    /// Structure of the formats under test (YAML, JSON, whitespace-separated numbers).
    static let tokens = [
        "{", "}", "[", "]", ":", ",", "\"", "'", "\n", "\t", " ", "-", "- ", "#", "&a ", "*a", "!!int ", "!!str ",
        "? ", "|", ">", "---\n", "...\n", "<<: ", "null", "~", "true", "\\u0000", "\\ud800", "{}", "[]", "\"\":",
        "\"dtype\":\"F32\"", "\"shape\":[", "\"data_offsets\":[", "\"__metadata__\":", "\"lanes\":[[", "\"h_samples\":[",
        "\"raw_file\":\"", "\"frames\":[", "\"events\":[", "\r",
    ]

    public mutating func next() -> UInt64 {
        // SplitMix64.
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }

    /// `seed` with one to four stacked mutations; `others` supplies splices.
    public mutating func mutate(_ seed: [UInt8], splicingFrom others: [[UInt8]]) -> [UInt8] {
        var bytes = seed
        for _ in 0...below(4) { mutateOnce(&bytes, others) }
        if bytes.count > maxLength { bytes.removeLast(bytes.count - maxLength) }
        return bytes
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8], _ others: [[UInt8]]) {
        let position = below(bytes.count + 1)
        switch below(9) {
        case 0 where !bytes.isEmpty:  // flip a bit
            let i = below(bytes.count)
            bytes[i] ^= 1 << UInt8(below(8))
        case 1 where !bytes.isEmpty:  // any byte
            bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: next())
        case 2:  // insert random bytes
            bytes.insert(contentsOf: (0..<1 + below(8)).map { _ in UInt8(truncatingIfNeeded: next()) }, at: position)
        case 3 where !bytes.isEmpty:  // delete a run
            let end = min(bytes.count, position + 1 + below(64))
            bytes.removeSubrange(min(position, bytes.count - 1)..<end)
        case 4 where !bytes.isEmpty:  // duplicate a run
            let start = below(bytes.count)
            let run = bytes[start..<min(bytes.count, start + 1 + below(256))]
            bytes.insert(contentsOf: Array(run), at: position)
        case 5:  // splice: our head, another seed's tail
            let other = others.isEmpty ? bytes : others[below(others.count)]
            bytes = Array(bytes.prefix(position)) + Array(other.suffix(from: below(other.count + 1)))
        case 6:  // overwrite a number (a run of digits) with a boundary one
            let number = Array(Self.boundaryNumbers[below(Self.boundaryNumbers.count)].utf8)
            let digits = bytes.indices.filter { (0x30...0x39).contains(bytes[$0]) }
            guard let start = digits.isEmpty ? nil : digits[below(digits.count)] else {
                bytes.insert(contentsOf: number, at: position)
                return
            }
            var end = start
            while end < bytes.count, (0x30...0x39).contains(bytes[end]) || bytes[end] == UInt8(ascii: ".") { end += 1 }
            bytes.replaceSubrange(start..<end, with: number)
        case 7:  // a format token
            bytes.insert(contentsOf: Array(Self.tokens[below(Self.tokens.count)].utf8), at: position)
        default:  // the first 8 bytes as a little-endian length (safetensors' header length)
            guard bytes.count >= 8 else { bytes.append(UInt8(truncatingIfNeeded: next())); return }
            let lengths: [UInt64] = [0, 1, 2, UInt64(bytes.count), UInt64(bytes.count - 8), UInt64(bytes.count - 7),
                                     UInt64(Int.max), UInt64.max, next()]
            let value = lengths[below(lengths.count)]
            for k in 0..<8 { bytes[k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
        }
    }
}
