import Configuration
import Foundation
import Pipeline
import Testing

/// The settings tables (`SettingsSection`): one line per key drives decoding, range checks and
/// `clearlane config keys`, so the three must agree.
@Suite("Settings tables")
struct SettingsTableTests {
    let keys = ClearLaneConfig.keyListing()

    /// Nested YAML with every listed key written at its listed default.
    func yamlWritingEveryKey(skipping skip: (SettingDescription) -> Bool) -> String {
        var lines: [String] = [], open: [String] = []
        for key in keys where !skip(key) {
            let parents = Array(key.path.dropLast())
            var common = 0
            while common < min(parents.count, open.count), parents[common] == open[common] { common += 1 }
            open = Array(open.prefix(common))
            for depth in common..<parents.count {
                lines.append(String(repeating: "  ", count: depth) + parents[depth] + ":")
                open.append(parents[depth])
            }
            let value = key.defaultValue.contains(":") && !key.defaultValue.hasPrefix("{") ? "\"\(key.defaultValue)\"" : key.defaultValue
            lines.append(String(repeating: "  ", count: parents.count) + key.path.last! + ": " + value)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func everyListedKeyDecodesBackToItsListedDefault() throws {
        // Absent-by-default keys (none) and the optional video section would change the config.
        let text = yamlWritingEveryKey { $0.defaultValue == "none" || $0.path.first == "outputs" }
        #expect(text.contains("restorer:\n  enabled: true"))
        #expect(try load(text).config == ClearLaneConfig())
        #expect(keys.count > 60, "every section is listed: \(keys.count) keys")
        #expect(Set(keys.map(\.keyPath)).count == keys.count, "key paths are unique")
    }

    @Test func aKeyOutsideItsBoundsIsReportedAtItsPathWithTheBounds() throws {
        for (yaml, path, says) in [("restorer:\n  references: 17\n", "restorer.references", "must be 1…16 frames, got 17"),
                                   ("restorer:\n  stride_s: 0\n", "restorer.stride_s", "must be in (0, 2] seconds, got 0.0"),
                                   ("lanes:\n  detector:\n    min_contrast: 0.5\n", "lanes.detector.min_contrast", "must be 1…128 luma levels"),
                                   ("daemon:\n  reconnect:\n    initial_backoff_s: 20\n", "daemon.reconnect.initial_backoff_s", "≤ max_backoff_s"),
                                   ("processing:\n  width: 641\n", "processing.width", "an even number of pixels")] {
            let e = try #require(error(of: yaml), "\(yaml) must be refused")
            #expect(e.keyPath == path)
            #expect(e.message.contains(says), "\(e.message)")
        }
    }

    @Test func unknownAndRemovedKeysAreRefusedWithWhatToWriteInstead() throws {
        let unknown = try #require(error(of: "exposure:\n  clip_levle: 240\n"))
        #expect(unknown.keyPath == "exposure.clip_levle")
        #expect(unknown.message.contains("expected one of: clip_level,"))
        let removed = try #require(error(of: "restorer:\n  stride: 2\n"))
        #expect(removed.keyPath == "restorer.stride")
        #expect(removed.message.contains("stride_s"))
        let inRestorer = try #require(error(of: "restorer:\n  strides: 2\n"))
        let offered = try #require(inRestorer.message.components(separatedBy: "expected one of: ").last).components(separatedBy: ", ")
        #expect(offered.contains("stride_s") && !offered.contains("stride") && !offered.contains("max_reference_age"),
                "removed keys are not offered: \(offered)")
    }

    @Test func theShippedConfigDocumentsEveryKey() throws {
        let shipped = try String(contentsOfFile: Repo.path("config/default.yaml"), encoding: .utf8)
        for key in keys {
            #expect(shipped.contains("\(key.path.last!):"), "config/default.yaml does not mention \(key.keyPath)")
        }
    }
}
