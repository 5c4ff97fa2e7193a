import Foundation
import ParserFuzzing
import Testing

enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}

/// The bounded fuzz pass CI runs: a few thousand seeded mutations of real inputs per parser, in
/// process. A trap fails the whole run (the crash is the finding); an error of a foreign type, or
/// one that does not name the file, fails the test. The long runs are scripts/fuzz (libFuzzer).
@Suite("Parser fuzzing")
struct ParserFuzzingTests {
    static let executions = 2_000

    @Test(arguments: ParserTarget.allCases)
    func mutatedInputsParseOrAreRejectedByName(_ target: ParserTarget) throws {
        let seeds = try target.seeds(repository: Repo.root)
        #expect(target.run(seeds[0]) == .parsed, "the first seed of \(target) is a valid file")
        // A fixed seed per target: a failure names the input, and a rerun replays it.
        var mutator = Mutator(seed: 0xC1EA_71A3 &+ UInt64(ParserTarget.allCases.firstIndex(of: target)!))
        var parsed = 0, rejected = 0
        for n in 0..<Self.executions {
            let input = mutator.mutate(seeds[n % seeds.count], splicingFrom: seeds)
            switch target.run(input) {
            case .parsed: parsed += 1
            case .rejected: rejected += 1
            case .unexpected(let error):
                Issue.record("\(target) input \(n) (base64 \(Data(input).base64EncodedString())): \(error)")
                return
            }
        }
        // Both outcomes occur, so the mutations neither all break the format nor all miss it.
        #expect(parsed > 0 && rejected > 0, "\(target): \(parsed) parsed, \(rejected) rejected")
    }
}

/// Inputs the fuzzers found that trapped a parser, each now a located error.
@Suite("Parser fuzzing findings")
struct ParserFuzzingFindingsTests {
    func rejection(_ target: ParserTarget, _ text: String) -> String? {
        if case .rejected(let message) = target.run(Array(text.utf8)) { return message }
        return nil
    }

    @Test func aSafetensorsShapeWhoseSizeOverflowsIsRejectedByTensor() throws {
        let header = Array(#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}"#.utf8)
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        file += header
        guard case .rejected(let message) = ParserTarget.safetensors.run(file) else {
            Issue.record("not rejected")
            return
        }
        #expect(message.hasPrefix("fuzz/weights.safetensors: tensor 'a': shape [4294967296, 4294967296] holds more bytes"))
    }

    @Test func aCULaneCoordinateTooLargeForAnIntegerRowIsRejectedByLine() throws {
        let message = try #require(rejection(.culane, "10 590 20 560\n30 1e300\n"))
        #expect(message.hasPrefix("fuzz/labels/000042.lines.txt:2:"))
        #expect(message.contains("1e300"))
    }
}

extension ParserFuzzingFindingsTests {
    /// Yams multiplies YAML 1.1 base-60 integers ("1:30") out unchecked.
    @Test func aBase60IntegerTooLargeForIntIsRejectedByLine() throws {
        for target in [ParserTarget.config, .drive] {
            let message = try #require(rejection(target, "fps: 25\nwidth:\n  1:0:0:0:0:0:0:0:0:0:0:0\n"))
            #expect(message.hasPrefix("\(target.fileName):3: 'width'"))
            #expect(message.contains("base-60"))
        }
        let digits = try #require(rejection(.drive, "width: 9223372036854775807:0\n"))
        #expect(digits.contains("too large for an integer"))
        // In range, and quoted, it is what it was.
        #expect(rejection(.drive, "fps: 25\nwidth: 10:40\nheight: 360\n") == nil)
        #expect(rejection(.drive, "fps: 25\nwidth: 640\nheight: 360\nsource: 1:0:0:0:0:0:0:0:0:0:0:0:0\n")?.contains("base-60") == true)
        #expect(rejection(.drive, "fps: 25\nwidth: 640\nheight: 360\nsource: '1:0:0:0:0:0:0:0:0:0:0:0:0'\n") == nil)
    }
}
