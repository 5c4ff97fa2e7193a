import Drives
import Foundation
import Imaging
import Media

/// How the commands read a SOURCE argument:
/// - a video file → decoded with decodebin;
/// - a drive folder (has drive.yaml) → its video or frames/;
/// - a folder of numbered PNG/JPEG images;
/// - `test` or `test:PATTERN` → videotestsrc (300 frames);
/// - anything containing `!` → a GStreamer description: used as is when it ends in an appsink,
///   otherwise the RGB conversion and appsink are appended.
struct SourceArgument {
    let text: String

    func open(size: ImageSize?, fps: Double = 30, options: FrameSource.Options = .init()) throws -> FrameSource {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if text.contains("!") {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let last = trimmed.split(separator: "!").last?.trimmingCharacters(in: .whitespaces) ?? ""
            let description = last.hasPrefix("appsink") ? trimmed : "\(trimmed) ! \(FrameSource.appSinkTail(size: size))"
            return try FrameSource(pipeline: description, options: options)
        }
        if text == "test" || text.hasPrefix("test:") {
            let pattern = text.hasPrefix("test:") ? String(text.dropFirst(5)) : "smpte"
            return try FrameSource.testPattern(pattern, frames: 300, fps: Int(fps), size: size ?? ImageSize(width: 640, height: 360), options: options)
        }
        if fm.fileExists(atPath: text, isDirectory: &isDirectory), isDirectory.boolValue {
            if Drive.isDrive(text) { return try Drive(folder: text).openFrames(size: size, options: options) }
            return try FrameSource.imageFolder(text, fps: fps, size: size, options: options)
        }
        return try FrameSource.file(text, size: size, options: options)
    }
}
