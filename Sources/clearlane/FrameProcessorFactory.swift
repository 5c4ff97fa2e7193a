import CPNet
import Configuration
import Daemon
import Evaluation
import Exposure
import Foundation
import Imaging
import Lanes
import Pipeline

/// Builds the daemon's per-frame processor from a config: the shared `FramePipeline` stages
/// (live hole detection → CPNet restoration → lane detection) behind the daemon's
/// `FrameProcessing`. Called at start and on every SIGHUP reload; a throw keeps the old one.
///
/// It is also the check: `clearlane config check` builds the processor through this same
/// function (and drops it), so the camera profile, the weights and the road geometry are checked
/// the way `clearlane run` uses them, and a config that passes the check starts.
///
/// `clearlane restore` builds its pipeline here too, with the recording's camera profile and
/// frame rate in place of the config's (a recording has its own; the daemon's camera is fixed).
enum FrameProcessorFactory {
    /// - Parameters:
    ///   - camera: the camera profile to use instead of `lanes.camera` (nil: the config's).
    ///   - fps: the stream's frame rate for the memory's seconds (nil: `processing.fps`).
    static func make(_ loaded: LoadedConfig, camera override: ResolvedCamera? = nil, fps: Double? = nil) throws -> PipelineFrameProcessor {
        let config = loaded.config
        let lanes = config.lanes
        let box = ImageSize(width: config.processing.width, height: config.processing.height)

        // Independent problems are collected, so one check names them all.
        var problems: [ConfigError] = []
        let camera = override ?? cameraProfile(loaded, problems: &problems)
        // Frames are processed at the camera's own aspect ratio inside the processing box; the
        // restorer's road plane is the camera's geometry at that size.
        let size = camera.map { box.fitting(aspectOf: $0.geometry.imageSize) }
        let geometry = camera.flatMap { c in size.map { c.geometry.scaled(to: $0) } }
        // The weights are loaded here (the check names restorer.weights); the stages come from
        // the one factory every command uses.
        var weights: CPNetWeights?
        if config.restorer.enabled {
            let path = loaded.resolve(config.restorer.weights)
            if !FileManager.default.fileExists(atPath: path) {
                problems.append(loaded.loader.error(at: ["restorer", "weights"],
                                                    "weight file \(path) not found (the shipped model is models/cpnet-road-slim.safetensors; or set restorer.enabled: false)"))
            } else {
                do { weights = try CPNetWeights(path: path) } catch {
                    problems.append(loaded.loader.error(at: ["restorer", "weights"], "\(error)"))
                }
            }
        }
        guard problems.isEmpty, let camera, let size, let geometry else { throw problems.count == 1 ? problems[0] as Error : ConfigErrors(problems) }

        let stages = StageFactory(config: config, weights: weights)
        // The memory's and the lane tracks' seconds at the stream's frame rate (the camera's: processing.fps).
        let rate = fps ?? config.processing.fps
        guard let pipeline = stages.pipeline(geometry: geometry, fps: rate, holeDetector: stages.holeDetector(for: geometry),
                                             restorer: stages.cpnet(for: geometry, fps: rate)) else {
            throw loaded.loader.error(at: ["lanes", "camera"], "the camera profile \(camera.origin) gives an unusable road geometry at \(size)")
        }
        return PipelineFrameProcessor(pipeline: pipeline, native: camera.geometry, rowStep: lanes.rowStep)
    }

    /// `lanes.camera` as the daemon uses it: required (a live camera has no drive.yaml), a bare
    /// name looked up in `lanes.cameras_folder`, a path resolved against the config's folder.
    static func cameraProfile(_ loaded: LoadedConfig, problems: inout [ConfigError]) -> ResolvedCamera? {
        guard let name = loaded.config.lanes.camera else {
            problems.append(loaded.loader.error(at: ["lanes", "camera"],
                                                "clearlane run needs the camera's profile: a name in \(loaded.camerasFolder)/ or a path to a profile .yaml "
                                                + "(null suits only replay and detect, which take each drive's own profile)"))
            return nil
        }
        do {
            return try CameraProfiles.load(nameOrPath: loaded.cameraReference(name), folder: loaded.camerasFolder)
        } catch let error as ConfigError where error.line == nil && !FileManager.default.fileExists(atPath: error.file) {
            problems.append(loaded.loader.error(at: ["lanes", "camera"], "'\(name)': \(error.file): \(error.message)"))
        } catch let error as ConfigError {
            problems.append(error)
        } catch {
            problems.append(loaded.loader.error(at: ["lanes", "camera"], "'\(name)': \(error)"))
        }
        return nil
    }
}
