import ArgumentParser
import Foundation
import Imaging
import Media

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Decodes a source and prints its stream facts and decode speed.",
        discussion: """
            SOURCE is a video file, a drive folder, a folder of numbered images, a camera or stream \
            (rtsp://…, udp://HOST:PORT[?format=mpegts], /dev/videoN, file:///…), 'test' \
            (videotestsrc) or a GStreamer description. A live camera or stream is probed for \
            --max-frames frames (default 60).

            Example: clearlane probe evaluation/samples/solidWhiteRight.mp4 --size 640x360
                     clearlane probe rtsp://192.168.10.20/stream1 --max-frames 90
            """
    )

    @Argument(help: "Video file, drive folder, image folder, rtsp:// / udp:// / file:// URI, /dev/videoN, 'test', or a GStreamer pipeline.")
    var source: String

    @Option(help: "Scale frames to WxH while decoding (default: native size).")
    var size: String?

    @Option(help: "Stop after this many frames (default: all; 60 for a live camera or stream).")
    var maxFrames: Int?

    @Option(help: "Seconds without a frame before the source counts as stalled.")
    var timeout: Double = 10

    func run() throws {
        var target: ImageSize?
        if let size {
            guard let parsed = ImageSize(parsing: size) else { throw ValidationError("--size must look like 640x360, got '\(size)'") }
            target = parsed
        }
        let argument = SourceArgument(text: source)
        let maxFrames = self.maxFrames ?? (argument.isLive ? 60 : nil)
        let frames = try argument.open(size: target, options: .init(stallTimeout: timeout, maxBuffers: 4))
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        let start = Date()
        var count = 0
        var firstPTS: UInt64?, lastPTS: UInt64?
        var monotonic = true
        do {
            while try frames.read(into: &frame) {
                if let pts = frame.pts {
                    if let last = lastPTS, pts <= last { monotonic = false }
                    if firstPTS == nil { firstPTS = pts }
                    lastPTS = pts
                }
                count += 1
                if let maxFrames, count >= maxFrames { frames.close(); break }
            }
        } catch {
            if count > 0 { print("decoded \(count) frames before the error") }
            throw CommandFailure("\(error)")
        }
        let elapsed = Date().timeIntervalSince(start)
        guard let info = frames.streamInfo else {
            throw CommandFailure("\(source) produced no frames")
        }
        print("source:      \(source)")
        print("caps:        \(info.caps)")
        print("size:        \(info.width)x\(info.height)")
        print("fps:         \(info.fps.map { String(format: "%.3f", $0) } ?? "unknown (variable or not stated)")")
        print("frames:      \(count)\(maxFrames != nil && count >= maxFrames! ? " (stopped at --max-frames)" : "")")
        if let duration = frames.duration() { print(String(format: "duration:    %.3f s", Double(duration) / 1e9)) }
        if let firstPTS, let lastPTS {
            print(String(format: "pts:         %.3f … %.3f s, %@", Double(firstPTS) / 1e9, Double(lastPTS) / 1e9, monotonic ? "monotonic" : "NOT monotonic"))
        }
        print(String(format: "decode:      %.1f frames/s (%.2f s wall)", Double(count) / max(elapsed, 1e-9), elapsed))
    }
}
