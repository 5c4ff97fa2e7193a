import Foundation
import Imaging
import Media
import Testing

/// `clearlane passthrough` writes the frames a run would process: the camera profile's aspect
/// inside the processing box, not the box stretched over any camera.
@Suite("Passthrough")
struct PassthroughTests {
    @Test func aFourByThreeCameraIsWrittenAtItsAspectInsideTheBox() throws {
        let folder = try CLI.scratch("passthrough")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // A 4:3 camera profile (640x480), a test-pattern source, the default 640x360 box.
        let profile = (folder as NSString).appendingPathComponent("cam-4x3.yaml")
        try """
            description: "a 4:3 test camera"
            width: 640
            height: 480
            roi: [[0, 480], [0, 380], [280, 260], [360, 260], [640, 380], [640, 480]]
            birdseye: [[100, 480], [250, 330], [390, 330], [540, 480]]
            horizon_y: 250
            """.write(toFile: profile, atomically: true, encoding: .utf8)
        let config = (folder as NSString).appendingPathComponent("vehicle.yaml")
        try """
            pipeline_templates: \(CLI.repo("pipelines"))
            source: {template: test, parameters: {frames: 5, pattern: ball}}
            processing: {width: 640, height: 360, fps: 30}
            lanes: {camera: \(profile)}
            restorer: {enabled: false}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let output = (folder as NSString).appendingPathComponent("out.mkv")
        let result = try CLI.run(["passthrough", "--config", config, "--output-template", "mkv-lossless", "--set", "location=\(output)"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("480x360"), "\(result.stdout)")
        let source = try FrameSource.file(output)
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        var frames = 0
        while try source.read(into: &frame) {
            #expect(frame.width == 480 && frame.height == 360)
            frames += 1
        }
        #expect(frames == 5)
    }
}
