import ArgumentParser
import Configuration
import Foundation
import Pipeline

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Works with configuration files.",
        subcommands: [Check.self, Keys.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validates a config file: YAML syntax, keys, types, ranges, pipeline templates, camera profile, weights.",
            discussion: """
                Prints every problem with file, line and key path, and exits non-zero if there is any. \
                The check is the one `clearlane run` makes before it starts (and on every reload): \
                the config is loaded and the daemon's frame processor is built from it (camera \
                profile, road geometry, CPNet weights), so a config that passes starts.

                Example: clearlane config check config/default.yaml
                """
        )

        @Argument(help: "The YAML config file.")
        var file: String

        @Option(help: "Check with this source instead of the config's, as `run --source` would.")
        var source: String?

        func run() throws {
            do {
                let override: SourceURI?
                do { override = try source.map(RunCommand.sourceURI) } catch { throw CommandFailure("--source: \(error)") }
                let loaded = try LoadedConfig.load(file, source: override)
                let source = try loaded.sourceFragment()
                // The daemon's own construction, built and dropped: the same code path as `run`.
                _ = try FrameProcessorFactory.make(loaded)
                print("\(file): ok")
                print("  source: \(loaded.config.source.template) → \(source.fragment)\(source.live ? " (live)" : "")")
                print("  processing: \(loaded.config.processing.width)x\(loaded.config.processing.height) @ \(loaded.config.processing.fps) fps")
                if let sink = try loaded.videoSinkFragment() { print("  video out: \(sink)") }
                if let camera = loaded.config.lanes.camera {
                    let path = LanesConfig.isProfilePath(camera)
                        ? loaded.cameraReference(camera) : (loaded.camerasFolder as NSString).appendingPathComponent("\(camera).yaml")
                    print("  camera: \(path)")
                }
                print("  restorer: \(loaded.config.restorer.enabled ? loaded.resolve(loaded.config.restorer.weights) : "disabled")")
            } catch let error as ConfigError {
                throw CommandFailure(error.description)
            } catch let errors as ConfigErrors {
                throw CommandFailure(errors.description)
            }
        }
    }

    struct Keys: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Lists every config key: key path, default (the shipped behaviour), accepted values and what it does.",
            discussion: """
                Generated from the settings tables the config is decoded and range-checked with, \
                so it is always the keys `run` and `config check` accept.

                Example: clearlane config keys | grep restorer
                """
        )

        @Flag(help: "One JSON object per key instead of aligned text.")
        var json = false

        func run() throws {
            let keys = ClearLaneConfig.keyListing()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                for key in keys {
                    let object = ["key": key.keyPath, "default": key.defaultValue, "accepts": key.accepts, "help": key.help]
                    print(String(decoding: try encoder.encode(object), as: UTF8.self))
                }
                return
            }
            let width = keys.map(\.keyPath.count).max() ?? 0
            for key in keys {
                let pad = String(repeating: " ", count: width - key.keyPath.count)
                let accepts = key.accepts.isEmpty ? "" : " [\(key.accepts)]"
                print("\(key.keyPath)\(pad)  \(key.defaultValue)\(accepts)  \(key.help)")
            }
        }
    }
}

