import Configuration
import Foundation
import Pipeline

/// What a command uses when no flag (and no config) names it: the default config, the camera
/// profiles and the shipped model, found by `ResourceLocator` (CLEARLANE_SHARE, the executable's
/// location, the installed share folders, the current directory), never assumed to be in the
/// current directory.
enum DefaultResources {
    static let searchHelp = "CLEARLANE_SHARE, else found from the executable's location, /usr/local/share/clearlane, /usr/share/clearlane, the current directory"

    /// `given`, else the default config file (an error naming every place looked at when there is none).
    static func configFile(_ given: String?) throws -> String {
        if let given { return given }
        let locator = ResourceLocator.current
        guard let found = locator.locate(ResourceLocator.defaultConfig) else {
            throw CommandFailure(locator.notFound(ResourceLocator.defaultConfig, what: "no --config given and the default config", flag: "--config FILE"))
        }
        return found
    }

    /// The config a command that can run on built-in defaults reads: `given`, else the installed
    /// default config; nil when neither exists. A file that fails to load is one error naming it.
    static func optionalConfig(_ given: String?) throws -> (file: String, config: ClearLaneConfig)? {
        guard let file = given ?? (try? configFile(nil)) else { return nil }
        do { return (file, try LoadedConfig.load(file).config) } catch { throw CommandFailure("\(error)") }
    }
}
