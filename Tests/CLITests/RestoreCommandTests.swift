import Daemon
import Drives
import Evaluation
import Foundation
import Imaging
import Media
import Testing

/// Issue 19 item 2: `clearlane restore INPUT --out OUTPUT` restores a recording at its native
/// size, into a video or an image folder, with the lanes as the daemon's records.
@Suite("clearlane restore")
struct RestoreCommandTests {
    /// A drive at 960x540 (larger than the 640x360 processing box) with a tunnel exit in its first
    /// 40 frames, stored as PNG frames (lossless, so bytes can be compared), with clean frames.
    private func degradedDrive(in folder: String) throws -> String {
        let r = try CLI.run(["degrade", CLI.repo("evaluation/samples/solidWhiteRight"), "--preset", "tunnel-exit", "--seed", "3",
                             "--frames", "40", "--size", "960x540", "--out", "drive"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        return folder + "/drive"
    }

    @Test func restoresAtNativeSizeKeepingFilmedPixelsAndMovingHolesTowardClean() throws {
        let folder = try CLI.scratch("restore-native")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let drive = try degradedDrive(in: folder)
        let r = try CLI.run(["restore", "drive", "--out", "restored", "--lanes", "lanes.jsonl"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("output 960x540"), "\(r.stdout)")

        let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/restored").sorted()
        #expect(names.count == 40 && names.first == "000000.png" && names.last == "000039.png")
        var changedFrames = 0, changedPixels = 0
        var restoredError = 0.0, rawError = 0.0
        for (index, name) in names.enumerated() {
            let restored = try ImageFile.read(folder + "/restored/" + name)
            let raw = try ImageFile.read(String(format: "%@/frames/%06d.png", drive, index))
            let clean = try ImageFile.read(String(format: "%@/clean/%06d.png", drive, index))
            #expect(restored.size == ImageSize(width: 960, height: 540))
            var changed = 0
            for i in 0..<(960 * 540) {
                let a = 3 * i
                guard restored.pixels[a] != raw.pixels[a] || restored.pixels[a + 1] != raw.pixels[a + 1] || restored.pixels[a + 2] != raw.pixels[a + 2] else { continue }
                changed += 1
                for c in 0..<3 {
                    restoredError += abs(Double(restored.pixels[a + c]) - Double(clean.pixels[a + c]))
                    rawError += abs(Double(raw.pixels[a + c]) - Double(clean.pixels[a + c]))
                }
            }
            if changed > 0 { changedFrames += 1 }
            changedPixels += changed
        }
        // Only hole pixels change, and they move toward what the camera would have filmed.
        #expect(changedFrames >= 5, "\(changedFrames) frames were restored")
        #expect(changedPixels < 40 * 960 * 540 / 2)
        #expect(restoredError < 0.8 * rawError, "restored \(restoredError) vs raw \(rawError) absolute error to clean in the changed pixels")

        let lines = try String(contentsOfFile: folder + "/lanes.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 40)
        let records = try lines.map { try JSONDecoder().decode(LaneRecord.self, from: Data($0.utf8)) }
        #expect(records.map(\.frame) == Array(0..<40))
        #expect(records.allSatisfy { $0.width == 960 && $0.height == 540 && ($0.hSamples.max() ?? 0) < 540 })
        #expect(records.filter { $0.restoration == "restored" }.count == changedFrames)
        #expect(records.contains { $0.lanes.contains { $0.x.contains { $0 > 640 } } }, "lanes are in native pixels")
    }

    @Test func writesAVideoWithOverlayAndRefusesToOverwriteItsInput() throws {
        let folder = try CLI.scratch("restore-video")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try CLI.copySample(to: folder + "/sample")
        let r = try CLI.run(["restore", "sample", "--out", "out/restored.mp4", "--overlay", "--max-frames", "30"], in: folder)
        #expect(r.status == 0, "\(r.stderr)")
        let video = try FrameSource.file(folder + "/out/restored.mp4")
        var frames = 0, size: ImageSize?
        while let frame = try video.next() { frames += 1; size = frame.image.size }
        #expect(frames == 30 && size == ImageSize(width: 640, height: 360))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/out") == ["restored.mp4"], "no staging file left")

        let before = try CLI.snapshot(folder + "/sample")
        let onto = try CLI.run(["restore", "sample/video.mp4", "--out", "sample/video.mp4"], in: folder)
        #expect(onto.status != 0)
        #expect(onto.stderr.contains("--out sample/video.mp4"), "\(onto.stderr)")
        let inside = try CLI.run(["restore", "sample", "--out", "sample/restored"], in: folder)
        #expect(inside.status != 0)
        #expect(inside.stderr.contains("inside the input"), "\(inside.stderr)")
        let format = try CLI.run(["restore", "sample", "--out", "restored.avi"], in: folder)
        #expect(format.status != 0 && format.stderr.contains(".mp4, .mkv or a folder"), "\(format.stderr)")
        #expect(try CLI.snapshot(folder + "/sample") == before, "the input is byte-identical")
    }
}
