import Configuration
import Drives
import Foundation
import Imaging
import Media

/// How the commands read a SOURCE argument:
/// - a camera or stream URI (`rtsp://…`, `udp://HOST:PORT`, `/dev/videoN`, `file:///…`; see
///   `SourceURI`) → the matching pipeline template of the installed `pipelines/`;
/// - a video file → decoded with decodebin;
/// - a drive folder (has drive.yaml) → its video or frames/;
/// - a folder of numbered PNG/JPEG images;
/// - `test` or `test:PATTERN` → videotestsrc (300 frames);
/// - anything containing `!` → a GStreamer description: used as is when it ends in an appsink,
///   otherwise the RGB conversion and appsink are appended.
struct SourceArgument {
    let text: String

    /// True when SOURCE is a live camera or stream (it never ends by itself).
    var isLive: Bool {
        guard let uri = try? SourceURI.parse(text) else { return false }
        return ["rtsp", "v4l2", "udp-h264", "udp-mpegts"].contains(uri.template)
    }

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
        let uri: SourceURI?
        do { uri = try SourceURI.parse(text) } catch { throw CommandFailure("\(error)") }
        guard let uri, uri.template != "file" else {
            // A file path (or file:// URL): decodebin, with the truncation check of FrameSource.file.
            return try FrameSource.file(uri?.parameters["location"] ?? text, size: size, options: options)
        }
        do { try uri.checkDevice() } catch { throw CommandFailure("\(error)") }
        let fragment = try Self.fragment(of: uri)
        try GStreamerElements.require(uri.elements, for: fragment)
        return try FrameSource(pipeline: "\(fragment) ! \(FrameSource.appSinkTail(size: size))", options: options)
    }

    /// The source template a URI maps to, filled in, from the installed pipelines/ folder.
    static func fragment(of uri: SourceURI) throws -> String {
        let locator = ResourceLocator.current
        guard let folder = locator.locate(ResourceLocator.defaultPipelines) else {
            throw CommandFailure(locator.notFound(ResourceLocator.defaultPipelines, what: "the pipeline templates"))
        }
        let library: PipelineTemplateLibrary
        do { library = try PipelineTemplateLibrary(directory: folder) } catch { throw CommandFailure("\(error)") }
        guard let template = library.template(named: uri.template, kind: .source) else {
            throw CommandFailure("pipeline template '\(uri.template)' is missing from \(folder)")
        }
        do {
            return try template.instantiate(uri.parameters, baseDirectory: FileManager.default.currentDirectoryPath, at: ["source"], in: nil)
        } catch { throw CommandFailure("\(error)") }
    }
}
