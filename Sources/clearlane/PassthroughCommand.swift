import ArgumentParser
import Configuration
import Foundation
import Imaging
import Media
import Pipeline

struct PassthroughCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passthrough",
        abstract: "Copies the configured source to the configured video output, unprocessed.",
        discussion: """
            Checks a setup end to end (source template → frames → sink template) without any \
            processing. The output is the 'restored video' of a run with no holes to fill.

            Example: clearlane passthrough --config config/default.yaml --output-template mkv-lossless --set location=out/passthrough.mkv
            """
    )

    @Option(help: "The YAML config file. Default: config/default.yaml of the installed resources (\(DefaultResources.searchHelp)).")
    var config: String?

    @Option(help: "The source, overriding the config's: rtsp://…, udp://HOST:PORT[?format=mpegts], /dev/videoN, file:///… or a video file.")
    var source: String?

    @Option(help: "Sink template to use instead of the config's outputs.video.")
    var outputTemplate: String?

    @Option(name: .customLong("set"), help: "A sink template parameter, NAME=VALUE (repeatable).")
    var parameters: [String] = []

    @Option(help: "Stop after this many frames.")
    var maxFrames: Int?

    func run() throws {
        let loaded: LoadedConfig
        let config = try DefaultResources.configFile(self.config)
        let sourceOverride: SourceURI?
        do { sourceOverride = try source.map(RunCommand.sourceURI) } catch { throw CommandFailure("--source: \(error)") }
        if let sourceOverride {
            do { try sourceOverride.checkDevice() } catch { throw CommandFailure("\(error)") }
        }
        do { loaded = try LoadedConfig.load(config, source: sourceOverride) } catch { throw CommandFailure("\(error)") }
        let settings = loaded.config
        // The frames a run would process: the camera profile's aspect inside the processing box
        // (a 4:3 camera in a 640x360 box is 480x360, neither stretched nor letterboxed). Without a
        // usable profile, the box, with a note saying why.
        let box = ImageSize(width: settings.processing.width, height: settings.processing.height)
        var problems: [ConfigError] = []
        let camera = FrameProcessorFactory.cameraProfile(loaded, problems: &problems)
        let size = camera.map { box.fitting(aspectOf: $0.geometry.imageSize) } ?? box
        if camera == nil, let problem = problems.first {
            FileHandle.standardError.write(Data("note: frames are scaled to the processing box \(box), not to a camera's aspect: \(problem)\n".utf8))
        }
        let sinkFragment: String
        if let name = outputTemplate {
            guard let template = loaded.templates.template(named: name, kind: .sink) else {
                throw CommandFailure("--output-template '\(name)' is not a sink template; available: \(loaded.templates.names(of: .sink).joined(separator: ", "))")
            }
            var values: [String: String] = [:]
            for item in parameters {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw CommandFailure("--set expects NAME=VALUE, got '\(item)'") }
                values[parts[0]] = parts[1]
            }
            // Paths given on the command line are relative to the working directory.
            do {
                sinkFragment = try template.instantiate(values, baseDirectory: FileManager.default.currentDirectoryPath, at: ["--set"], in: nil)
            } catch { throw CommandFailure("\(error)") }
        } else {
            guard let fragment = try? loaded.videoSinkFragment() else {
                throw CommandFailure("\(config) has no outputs.video; give --output-template and --set location=…")
            }
            sinkFragment = fragment
        }
        let source = try loaded.sourceFragment()
        if let sourceOverride { try GStreamerElements.require(sourceOverride.elements, for: source.fragment) }
        let frames = try FrameSource(
            pipeline: "\(source.fragment) ! \(FrameSource.appSinkTail(size: size))",
            options: .init(stallTimeout: settings.source.stallTimeoutSeconds, realTime: false, maxBuffers: 4))
        var frame = Frame(image: RGBImage(width: 0, height: 0), pts: nil, index: 0)
        let start = Date()
        // The sink opens on the first frame, so it can take the source's own frame rate.
        var sink: FrameSink?
        do {
            while try frames.read(into: &frame) {
                if sink == nil {
                    sink = try FrameSink(pipeline: FrameSink.appSrcHead(sinkFragment), size: size,
                                         fps: frames.streamInfo?.fps ?? settings.processing.fps)
                }
                try sink?.write(frame.image, pts: frame.pts)
                if let maxFrames, frame.index + 1 >= maxFrames { frames.close(); break }
            }
            try sink?.finish()
        } catch {
            // Keep what was written: close the file properly before reporting.
            try? sink?.finish(timeout: 10)
            throw CommandFailure("\(error) (after \(sink?.framesWritten ?? 0) frames; the output holds those)")
        }
        guard let sink else { throw CommandFailure("the source delivered no frames") }
        let elapsed = Date().timeIntervalSince(start)
        print(String(format: "wrote %d frames (%@) in %.2f s (%.1f frames/s) → %@",
                     sink.framesWritten, size.description, elapsed, Double(sink.framesWritten) / max(elapsed, 1e-9), sinkFragment))
    }
}
