import ArgumentParser
import Configuration

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Works with configuration files.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validates a config file: YAML syntax, keys, types, ranges, pipeline templates.",
            discussion: """
                Prints every problem with file, line and key path, and exits non-zero if there is any.

                Example: clearlane config check config/default.yaml
                """
        )

        @Argument(help: "The YAML config file.")
        var file: String

        func run() throws {
            do {
                let loaded = try LoadedConfig.load(file)
                let source = try loaded.sourceFragment()
                print("\(file): ok")
                print("  source: \(loaded.config.source.template) → \(source.fragment)\(source.live ? " (live)" : "")")
                print("  processing: \(loaded.config.processing.width)x\(loaded.config.processing.height) @ \(loaded.config.processing.fps) fps")
                if let sink = try loaded.videoSinkFragment() { print("  video out: \(sink)") }
            } catch let error as ConfigError {
                throw CommandFailure(error.description)
            } catch let errors as ConfigErrors {
                throw CommandFailure(errors.description)
            }
        }
    }
}

