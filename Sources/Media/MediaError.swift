/// Everything that can go wrong moving video in or out through GStreamer, each case carrying
/// what a person needs to fix it: the pipeline, the element, GStreamer's own message.
public enum MediaError: Error, Equatable, CustomStringConvertible {
    /// gst_parse_launch refused the description.
    case invalidPipeline(description: String, message: String)
    /// A GStreamer element the pipeline names is not installed (its plugin is missing).
    case missingElement(element: String, description: String)
    /// The pipeline parsed but has no appsink / appsrc to attach to.
    case missingAppElement(kind: String, description: String)
    /// An element posted an ERROR on the bus; `pipeline` is the description it ran in (it names
    /// the file or camera), when known.
    case elementError(element: String, message: String, debug: String?, pipeline: String? = nil)
    /// No frame arrived for `seconds` while the stream had not ended. `beforeFirstFrame` says the
    /// source never delivered anything (it did not start), as opposed to stopping mid-stream.
    case stalled(seconds: Double, description: String, beforeFirstFrame: Bool = false)
    /// A file or folder the source needs is not there.
    case fileNotFound(path: String)
    /// An image folder holds no numbered PNG/JPEG frames.
    case noNumberedImages(folder: String)
    /// A sample arrived in a layout ClearLane cannot read.
    case unsupportedFormat(String)
    /// The pipeline would not start (state change failure without a bus message).
    case couldNotStart(description: String)
    /// A file ended well before the duration its container states (cut off / truncated).
    case truncated(reachedSeconds: Double, statedSeconds: Double, description: String)
    /// Writing: a frame of another size than the sink was opened with.
    case frameSizeMismatch(expected: String, got: String)
    /// Writing: the sink did not confirm end-of-stream in time.
    case finishTimedOut(seconds: Double, description: String)

    public var description: String {
        switch self {
        case let .invalidPipeline(description, message):
            return "invalid GStreamer pipeline: \(message)\n  pipeline: \(description)\n  fix the description (check element names with gst-inspect-1.0)"
        case let .missingElement(element, description):
            let package = GStreamerElements.package(of: element)
            return "GStreamer element '\(element)' is not installed"
                + (package.map { ": it is in Debian's \($0) (scripts/setup installs it; check with gst-inspect-1.0 \(element))" } ?? " (check with gst-inspect-1.0 \(element))")
                + "\n  pipeline: \(description)"
        case let .missingAppElement(kind, description):
            return "pipeline has no \(kind): name it '\(kind == "appsink" ? "sink" : "src")' (e.g. '... ! \(kind) name=\(kind == "appsink" ? "sink" : "src")')\n  pipeline: \(description)"
        case let .elementError(element, message, debug, pipeline):
            var text = "GStreamer element '\(element)': \(message)"
            if let debug, !debug.isEmpty { text += "\n  detail: \(debug)" }
            if let pipeline { text += "\n  pipeline: \(pipeline)" }
            if message.contains("no playable streams") || message.contains("is incomplete") || message.contains("not in the expected format")
                || message.contains("Could not demultiplex") || message.contains("Could not determine type") {
                text += "\n  hint: the file is damaged, cut off or not a video (a recording stopped before its index was written cannot be played); re-copy or re-record it, or check it with gst-discoverer-1.0"
            }
            if message.contains("missing a plug-in") || (debug ?? "").contains("Missing decoder") {
                text += "\n  hint: no decoder for this stream; install gstreamer1.0-libav, -plugins-bad and -plugins-ugly (scripts/setup)"
            }
            if message.contains("not-negotiated") || (debug ?? "").contains("not-negotiated") {
                text += "\n  hint: formats did not match; put 'videoconvert ! videoscale' before the appsink/after the appsrc"
            }
            return text
        case let .stalled(seconds, description, beforeFirstFrame):
            if beforeFirstFrame {
                // GStreamer's demuxers can lose their own error when a file fails while the
                // pipeline is still starting (seen with qtdemux on a cut-off header), so a source
                // that never starts is reported as such rather than as a lost camera.
                return "no first frame within \(String(format: "%.1f", seconds)) s: the source never started delivering (a file that is damaged or not a video, a camera that is not streaming, or a pipeline that cannot negotiate)\n  pipeline: \(description)\n  check it with: gst-launch-1.0 -v <pipeline with fakesink>"
            }
            return "no frame for \(String(format: "%.1f", seconds)) s: the source stopped delivering (camera unplugged, network stream stalled?)\n  pipeline: \(description)"
        case let .fileNotFound(path):
            return "file not found: \(path)"
        case let .noNumberedImages(folder):
            return "no numbered images (e.g. 000000.png, 000001.png, …) in folder \(folder)"
        case let .unsupportedFormat(text):
            return "unsupported video format: \(text)"
        case let .couldNotStart(description):
            return "GStreamer pipeline could not start (an element refused to change state)\n  pipeline: \(description)"
        case let .truncated(reached, stated, description):
            return String(format: "video ends at %.2f s but its container says %.2f s: the file is truncated (re-copy or re-record it)", reached, stated)
                + "\n  pipeline: \(description)"
        case let .frameSizeMismatch(expected, got):
            return "frame size \(got) does not match the sink's \(expected)"
        case let .finishTimedOut(seconds, description):
            return "sink did not finish writing within \(String(format: "%.0f", seconds)) s\n  pipeline: \(description)"
        }
    }
}

#if canImport(Foundation)
import Foundation
#endif
