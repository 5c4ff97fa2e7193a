import Evaluation
import Foundation
import Testing

/// Issue 17 item 1: `replay --shard I/N` slices a set deterministically, and `report merge` puts
/// the shards back into the report one replay of the whole set writes, to the last digit.
@Suite("Shards merge exactly", .serialized)
struct ShardMergeTests {
    /// report.json as JSON values, without what no two runs share: when and how it ran, and timing.
    static func comparable(_ path: String) throws -> NSDictionary {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        func strip(_ value: Any) -> Any {
            if let object = value as? [String: Any] {
                var out: [String: Any] = [:]
                for (key, v) in object where !["created", "command", "replay_fps", "detector_fps", "lanes_seconds", "shard"].contains(key) {
                    out[key] = strip(v)
                }
                return out
            }
            if let array = value as? [Any] { return array.map(strip) }
            return value
        }
        return strip(try JSONSerialization.jsonObject(with: data)) as! NSDictionary
    }

    @Test func threeShardsMergeIntoTheUnshardedReport() throws {
        let folder = try CLI.scratch("shards")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // Three drives: two small rendered ones (generated into the set's cache) and the real sample.
        try """
            cache: cache
            drives:
              - synth: {preset: tunnel-exit, seed: 11, frames: 30, size: 320x180}
              - path: \(CLI.sampleDrive)
              - synth: {preset: underpass, seed: 12, frames: 30, size: 320x180}
            """.write(toFile: folder + "/set.yaml", atomically: true, encoding: .utf8)
        let common = ["replay", "set.yaml", "--variants", "raw,copy-last,clean", "--max-frames", "30", "--strips", "1", "--quiet"]
        let whole = try CLI.run(common + ["--report", "whole"], in: folder, timeout: 300)
        #expect(whole.status == 0, "\(whole.stderr)")
        for i in 1...3 {
            let r = try CLI.run(common + ["--report", "shard-\(i)", "--shard", "\(i)/3"], in: folder, timeout: 300)
            #expect(r.status == 0, "\(r.stderr)")
            let shard = try ReplayReport.read(folder + "/shard-\(i)/report.json")
            #expect(shard.drives.map(\.index) == [i - 1], "shard \(i)/3 of 3 drives is drive \(i - 1)")
            #expect(shard.shard == ReplayReport.Shard(index: i, count: 3, totalDrives: 3))
        }
        // Given in any order.
        let merge = try CLI.run(["report", "merge", "shard-3", "shard-1", "shard-2", "--out", "merged"], in: folder)
        #expect(merge.status == 0, "\(merge.stderr)")
        let merged = try Self.comparable(folder + "/merged/report.json"), unsharded = try Self.comparable(folder + "/whole/report.json")
        #expect(merged == unsharded, "merged report differs from the unsharded one")
        let strips = try FileManager.default.contentsOfDirectory(atPath: folder + "/merged/strips")
        #expect(strips.count == 3)
        #expect(FileManager.default.fileExists(atPath: folder + "/merged/report.html"))

        // `report render` writes the pages again from report.json alone, which it leaves as it was.
        let json = try Data(contentsOf: URL(fileURLWithPath: folder + "/merged/report.json"))
        try FileManager.default.removeItem(atPath: folder + "/merged/report.html")
        try "stale".write(toFile: folder + "/merged/report.txt", atomically: true, encoding: .utf8)
        let render = try CLI.run(["report", "render", "merged"], in: folder)
        #expect(render.status == 0, "\(render.stderr)")
        #expect(try String(contentsOfFile: folder + "/merged/report.html", encoding: .utf8).contains("The answer"))
        #expect(try String(contentsOfFile: folder + "/merged/report.txt", encoding: .utf8).contains("answer: "))
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/merged/report.json")) == json)
        // `report compare`: a report against itself changes nothing; two of its variants give the
        // interval its answer box gives.
        let same = try CLI.run(["report", "compare", "merged", "whole", "--variant", "copy-last"], in: folder)
        #expect(same.status == 0 && same.stdout.contains("a − b +0.00 points"), "\(same.stdout) \(same.stderr)")
        let noReport = try CLI.run(["report", "compare", "merged", "shard-1/strips"], in: folder)
        #expect(noReport.status != 0 && noReport.stderr.contains("shard-1/strips: no report.json"), "\(noReport.stderr)")
        let notAReport = try CLI.run(["report", "render", "shard-1/strips"], in: folder)
        #expect(notAReport.status != 0 && notAReport.stderr.contains("not a replay report"), "\(notAReport.stderr)")

        // A parent folder stands for the reports in it.
        try FileManager.default.createDirectory(atPath: folder + "/parts", withIntermediateDirectories: true)
        for i in 1...3 { try FileManager.default.moveItem(atPath: folder + "/shard-\(i)", toPath: folder + "/parts/shard-\(i)") }
        let fromParent = try CLI.run(["report", "merge", "parts", "--out", "from-parent"], in: folder)
        #expect(fromParent.status == 0, "\(fromParent.stderr)")
        #expect(try Self.comparable(folder + "/from-parent/report.json") == unsharded)
        for i in 1...3 { try FileManager.default.moveItem(atPath: folder + "/parts/shard-\(i)", toPath: folder + "/shard-\(i)") }

        // A shard merged twice is refused; a missing shard is named.
        let twice = try CLI.run(["report", "merge", "shard-1", "shard-1", "--out", "bad"], in: folder)
        #expect(twice.status != 0 && twice.stderr.contains("in two reports"), "\(twice.stderr)")
        let partial = try CLI.run(["report", "merge", "shard-1", "shard-3", "--out", "partial"], in: folder)
        #expect(partial.status == 0)
        let notes = try ReplayReport.read(folder + "/partial/report.json").notes
        #expect(notes.contains { $0.hasPrefix("incomplete: 1 of 3 drives") && $0.contains("2/3") }, "\(notes)")
    }
}
