import ArgumentParser
import CPNet
import Exposure
import Foundation
import Imaging
import NeuralEngine

/// Times the live hole detector, the first stage of every frame in the daemon.
struct BenchHolesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holes",
        abstract: "Times the live hole detector (ExposureAnalyzer) per frame.",
        discussion: """
            Analyzes a deterministic frame: textured road-like noise with a clipped ellipse of 20 % \
            of the frame and a crushed band, with the default `exposure:` settings and the whole \
            frame as ROI (the detector's cost does not depend on the ROI). Single-threaded, as in \
            the pipeline.

            Example: clearlane bench holes --size 640x360 --iterations 200
            """
    )

    @Option(help: "Frame size WxH.")
    var size: String = "640x360"

    @Option(help: "Timed iterations.")
    var iterations: Int = 200

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        guard let frame = ImageSize(parsing: size) else { throw ValidationError("--size must look like 640x360, got '\(size)'") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        let image = Self.testFrame(frame)
        var analyzer = ExposureAnalyzer(roi: Mask(width: frame.width, height: frame.height, fill: 1), size: frame)
        var holes = Mask(width: frame.width, height: frame.height, fill: 0)
        var coverage = 0.0
        for _ in 0..<3 { coverage = analyzer.analyze(image, into: &holes).roiCoverage }
        var times: [Double] = []
        times.reserveCapacity(iterations)
        for _ in 0..<iterations {
            let start = Clock.seconds()
            _ = analyzer.analyze(image, into: &holes)
            times.append(1000 * (Clock.seconds() - start))
        }
        let summary = FrameTimes(times)
        if json {
            print("{\"size\": \"\(frame)\", \"iterations\": \(iterations), \(summary.jsonFields), \"hole_coverage\": \(FrameTimes.rounded(coverage))}")
        } else {
            print("ExposureAnalyzer, \(frame), \(iterations) iterations, holes \(String(format: "%.1f", 100 * coverage)) % of the frame")
            print("  " + summary.line)
        }
    }

    /// Noise texture (lane-paint-free road) with a clipped ellipse and a crushed band at the bottom.
    static func testFrame(_ size: ImageSize) -> RGBImage {
        var image = RGBImage(width: size.width, height: size.height)
        var rng = SplitMix64(seed: 1)
        let w = size.width, h = size.height
        let ry = Double(h) * (0.2 / Double.pi).squareRoot(), rx = Double(w) * (0.2 / Double.pi).squareRoot()
        for y in 0..<h {
            for x in 0..<w {
                let dx = (Double(x) - Double(w) / 2) / rx, dy = (Double(y) - Double(h) / 2) / ry
                let v: UInt8
                if dx * dx + dy * dy <= 1 { v = 255 } else if y >= h * 9 / 10 { v = 4 } else { v = UInt8(60 + Int(rng.nextUnit() * 120)) }
                image.pixels[3 * (y * w + x)] = v
                image.pixels[3 * (y * w + x) + 1] = v
                image.pixels[3 * (y * w + x) + 2] = v
            }
        }
        return image
    }
}
