import Drives
import Evaluation
import Exposure
import Foundation
import Imaging
import Lanes
import Media
import Pipeline
import Synthesis
import Testing

/// Cameras that are not 16:9 are scored like 16:9 ones: the same footage at 4:3 and cropped to
/// 16:9 scores within 2 points on clean frames (before the fix, a 4:3 drive was letterboxed into
/// 640x360 by GStreamer while its camera profile and labels were stretched: about 25 % vs 95 %).
@Suite("Aspect ratio", .serialized)
struct AspectRatioTests {
    static var repo: String { ReplayTests.repo }

    @Test func processingSizeKeepsTheCameraAspectInsideTheBox() {
        let box = ImageSize(width: 640, height: 360)
        #expect(box.fitting(aspectOf: ImageSize(width: 960, height: 540)) == ImageSize(width: 640, height: 360))
        #expect(box.fitting(aspectOf: ImageSize(width: 1280, height: 720)) == ImageSize(width: 640, height: 360))
        #expect(box.fitting(aspectOf: ImageSize(width: 640, height: 480)) == ImageSize(width: 480, height: 360))
        #expect(box.fitting(aspectOf: ImageSize(width: 1280, height: 960)) == ImageSize(width: 480, height: 360))
        #expect(box.fitting(aspectOf: ImageSize(width: 1640, height: 590)) == ImageSize(width: 640, height: 230))
        #expect(box.fitting(aspectOf: ImageSize(width: 1920, height: 1200)) == ImageSize(width: 576, height: 360))
        // Portrait, and sizes that need rounding: width a multiple of 4, height even, inside the box.
        #expect(box.fitting(aspectOf: ImageSize(width: 360, height: 640)) == ImageSize(width: 204, height: 360))
        for (w, h) in [(1001, 333), (333, 1001), (17, 9), (4096, 17)] {
            let s = box.fitting(aspectOf: ImageSize(width: w, height: h))
            #expect(s.width % 4 == 0 && s.height % 2 == 0 && s.width <= 640 && s.height <= 360, "\(w)x\(h) -> \(s)")
            let aspectError = abs(Double(s.width) / Double(s.height) - Double(w) / Double(h)) / (Double(w) / Double(h))
            #expect(aspectError < 0.05 || s.width == 4 || s.height == 2, "\(w)x\(h) -> \(s)")
        }
    }

    /// GStreamer's videoscale letterboxes by default; the frame source must fill the frame.
    @Test func frameSourceScalesWithoutBorders() throws {
        let source = try FrameSource(pipeline: "videotestsrc pattern=white num-buffers=1 ! video/x-raw,width=640,height=480,pixel-aspect-ratio=1/1 ! "
                                     + FrameSource.appSinkTail(size: ImageSize(width: 640, height: 360)))
        let frame = try #require(try source.next())
        #expect(frame.image.size == ImageSize(width: 640, height: 360))
        for (x, y) in [(0, 0), (639, 0), (0, 359), (639, 359), (40, 180), (600, 180)] {
            let i = 3 * (y * 640 + x)
            #expect(frame.image.pixels[i] > 200, "pixel (\(x), \(y)) is \(frame.image.pixels[i]): a border was added")
        }
    }

    /// A rendered drive at 640x480, the same frames cropped to 640x360, and the scene rendered at
    /// 640x360 directly score within 2 points of each other on clean frames.
    @Test func renderedFourThreeScoresLikeSixteenNine() throws {
        let work = NSTemporaryDirectory() + "clearlane-aspect-synth-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let tall = work + "/clear-640x480", cropped = work + "/clear-640x480-cropped", wide = work + "/clear-640x360"
        for (size, out) in [(ImageSize(width: 640, height: 480), tall), (ImageSize(width: 640, height: 360), wide)] {
            // Test seed 7 (1001-1002 and 2001 are the evaluation sets', 101-108 and 201 training's).
            try DriveSynthesizer(scenario: Scenario(preset: .clear, seed: 7, frames: 150), size: size)
                .synthesize(into: out, storage: .png(compression: 0), command: "test")
        }
        try Self.crop(drive: tall, x0: 0, y0: 60, size: ImageSize(width: 640, height: 360), to: cropped)
        let fourThree = try Self.cleanAccuracy(tall), crop = try Self.cleanAccuracy(cropped), direct = try Self.cleanAccuracy(wide)
        print(String(format: "rendered clear-7 clean accuracy: 640x480 %.1f %%, cropped to 640x360 %.1f %%, rendered at 640x360 %.1f %%",
                     100 * fourThree, 100 * crop, 100 * direct))
        #expect(fourThree > 0.85, "the 4:3 drive itself must be scored sensibly")
        #expect(abs(fourThree - crop) <= 0.02)
        #expect(abs(fourThree - direct) <= 0.02)
    }

    /// The real sample (960x540) centre-cropped to 720x540 (4:3) scores within 2 points of itself.
    @Test func realFootageCroppedToFourThreeScoresLikeTheOriginal() throws {
        let work = NSTemporaryDirectory() + "clearlane-aspect-real-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        let original = Self.repo + "/evaluation/samples/solidWhiteRight"
        let cropped = work + "/solidWhiteRight-720x540"
        try Self.crop(drive: original, x0: 120, y0: 0, size: ImageSize(width: 720, height: 540), to: cropped)
        let wide = try Self.cleanAccuracy(original, variant: .raw), fourThree = try Self.cleanAccuracy(cropped, variant: .raw)
        print(String(format: "real solidWhiteRight accuracy: 960x540 %.1f %%, cropped to 720x540 %.1f %%", 100 * wide, 100 * fourThree))
        #expect(wide > 0.85)
        #expect(abs(wide - fourThree) <= 0.02)
    }

    // MARK: - Helpers

    static func cleanAccuracy(_ folder: String, variant: ReplayVariant = .clean) throws -> Double {
        var options = DriveReplay.Options()
        options.detectsHoles = false
        options.camerasFolder = repo + "/config/cameras"
        options.variants = [variant]
        options.strips = 0
        var notes: [String] = []
        let report = try DriveReplay(drive: try Drive(folder: folder), options: options).run(notes: &notes)
        return try #require(report.variants[variant.rawValue]).all.accuracy
    }

    /// Writes `drive` cropped to the rectangle at (x0, y0) of `size` as a new drive: frames, clean
    /// frames and masks cropped, labels and the camera profile moved into the crop's pixels.
    static func crop(drive folder: String, x0: Int, y0: Int, size: ImageSize, to out: String) throws {
        let drive = try Drive(folder: folder)
        let native = ImageSize(width: drive.manifest.width, height: drive.manifest.height)
        let frames = try drive.openFrames()
        let clean = try drive.openCleanFrames()
        let masks = try drive.openMasks()
        let writer = try DriveWriter(folder: out, size: size, fps: drive.manifest.fps, storage: .png(compression: 0))
        var image = RGBImage(width: size.width, height: size.height)
        var cleanImage = image
        var holes = Mask(width: size.width, height: size.height, fill: 0)
        var mask = Mask(width: 0, height: 0, fill: 0)
        var count = 0
        while let frame = try frames.next() {
            #expect(frame.image.size == native)
            cut(frame.image, into: &image, x0: x0, y0: y0)
            if let c = try clean?.next() { cut(c.image, into: &cleanImage, x0: x0, y0: y0) } else { cleanImage = image }
            if let m = try masks?.next() {
                Drive.mask(from: m.image, into: &mask)
                for y in 0..<size.height {
                    for x in 0..<size.width { holes.values[y * size.width + x] = mask.values[(y + y0) * native.width + x + x0] }
                }
            }
            try writer.write(frame: image, clean: cleanImage, holes: holes)
            count += 1
        }
        let labels = try drive.labelsPath.map { try LaneLabelFile(path: $0) }?.byFrame.values.map { label -> LaneLabel in
            var rows: [Int] = [], keep: [Int] = []
            for (j, r) in label.hSamples.enumerated() where r - y0 >= 0 && r - y0 < size.height { rows.append(r - y0); keep.append(j) }
            let lanes = label.lanes.map { lane in
                keep.map { j -> Double in
                    let x = lane[j] - Double(x0)
                    return lane[j] < 0 || x < 0 || x >= Double(size.width) ? LaneLabel.absent : x
                }
            }
            return LaneLabel(rawFile: String(format: "frames/%06d.png", label.frameIndex ?? 0), hSamples: rows, lanes: lanes)
        }
        let camera = try #require(try CameraProfiles.resolve(drive: drive, override: nil, folder: repo + "/config/cameras"))
        let g = camera.geometry.scaled(to: native)
        func moved(_ p: Point2) -> [Double] { [p.x - Double(x0), p.y - Double(y0)] }
        let profile = CameraProfile(roi: g.roi.map(moved), birdseye: g.roadQuad.map(moved), horizonY: g.horizonY.map { $0 - Double(y0) })
        let manifest = DriveManifest(fps: drive.manifest.fps, width: size.width, height: size.height, camera: .inline(profile),
                                     source: drive.manifest.source + " (cropped)", license: drive.manifest.license,
                                     labels: drive.manifest.labels, frames: count)
        try writer.finish(manifest: manifest, labels: labels, exposure: ExposureLog(events: [], frames: []))
    }

    static func cut(_ image: RGBImage, into out: inout RGBImage, x0: Int, y0: Int) {
        for y in 0..<out.height {
            let src = 3 * ((y + y0) * image.width + x0), dst = 3 * y * out.width
            out.pixels.replaceSubrange(dst..<(dst + 3 * out.width), with: image.pixels[src..<(src + 3 * out.width)])
        }
    }
}
