import Foundation
import Imaging
import Media
import Testing

@Suite("Frame sinks")
struct FrameSinkTests {
    /// Frames with fine detail and every channel value, so any lossy step would show.
    static func testFrames(count: Int, size: ImageSize) -> [RGBImage] {
        var state: UInt32 = 12345
        return (0..<count).map { _ in
            var image = RGBImage(width: size.width, height: size.height)
            for i in image.pixels.indices {
                state = state &* 1_664_525 &+ 1_013_904_223
                image.pixels[i] = UInt8(truncatingIfNeeded: state >> 24)
            }
            return image
        }
    }

    @Test func losslessMKVRoundTripIsPixelIdentical() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let size = ImageSize(width: 96, height: 64)
        let frames = Self.testFrames(count: 8, size: size)
        let file = folder.file("round trip.mkv")  // a space: the location must be quoted
        let sink = try FrameSink(
            pipeline: FrameSink.appSrcHead("videoconvert ! video/x-raw,format=BGRx ! avenc_ffv1 ! matroskamux ! filesink location=\"\(file)\""),
            size: size, fps: 25)
        for frame in frames { try sink.write(frame) }
        try sink.finish()
        #expect(sink.framesWritten == 8)

        let source = try FrameSource.file(file)
        var decoded: [Frame] = []
        while let frame = try source.next() { decoded.append(frame) }
        #expect(decoded.count == frames.count)
        #expect(decoded.map(\.image) == frames)
        #expect(decoded.map(\.pts) == (0..<8).map { UInt64($0) * 40_000_000 })
    }

    @Test func mp4EncodeProducesAPlayableFileOfTheSameLength() throws {
        let folder = try TemporaryFolder()
        defer { folder.cleanup() }
        let size = ImageSize(width: 160, height: 96)
        let file = folder.file("out.mp4")
        let sink = try FrameSink(
            pipeline: FrameSink.appSrcHead("videoconvert ! video/x-raw,format=I420 ! x264enc speed-preset=ultrafast ! h264parse ! mp4mux ! filesink location=\(file)"),
            size: size, fps: 30)
        for i in 0..<20 {
            try sink.write(RGBImage(width: 160, height: 96, fill: UInt8(i * 10)))
        }
        try sink.finish()
        let source = try FrameSource.file(file)
        var count = 0
        var last: Frame?
        while let frame = try source.next() { count += 1; last = frame }
        #expect(count == 20)
        // Lossy, but a flat grey frame stays close to its value.
        let pixel = try #require(last).image[80, 48]
        #expect(abs(Int(pixel.g) - 190) <= 6)
    }

    @Test func wrongFrameSizeIsRefused() throws {
        let sink = try FrameSink(pipeline: FrameSink.appSrcHead("fakesink"), size: ImageSize(width: 32, height: 32), fps: 30)
        #expect(throws: MediaError.frameSizeMismatch(expected: "32x32", got: "16x16")) {
            try sink.write(RGBImage(width: 16, height: 16))
        }
        try sink.finish()
    }

    @Test func unwritableLocationIsAnElementErrorNamingTheSink() throws {
        #expect {
            let sink = try FrameSink(pipeline: FrameSink.appSrcHead("videoconvert ! pngenc ! filesink location=/nonexistent-dir/x.png"),
                                     size: ImageSize(width: 16, height: 16), fps: 30)
            try sink.write(RGBImage(width: 16, height: 16))
            try sink.finish(timeout: 10)
        } throws: { error in
            guard case let .elementError(element, _, _, _)? = error as? MediaError else { return false }
            return element.hasPrefix("filesink")
        }
    }
}
