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
enum FrameProcessorFactory {
    static func make(_ loaded: LoadedConfig) throws -> FrameProcessing {
        let config = loaded.config
        let lanes = config.lanes
        let size = ImageSize(width: config.processing.width, height: config.processing.height)

        // A live camera has no drive.yaml: its mounting must be named in the config.
        guard let cameraName = lanes.camera else {
            throw loaded.loader.error(at: ["lanes", "camera"],
                                      "clearlane run needs the camera's profile: a name in \(lanes.camerasFolder)/ or a path to a profile .yaml")
        }
        // A bare name is looked up in the cameras folder; only a path resolves against the config's folder.
        let isPath = cameraName.contains("/") || cameraName.hasSuffix(".yaml")
        let camera = try CameraProfiles.load(nameOrPath: isPath ? loaded.resolve(cameraName) : cameraName,
                                             folder: loaded.resolve(lanes.camerasFolder))
        let geometry = camera.geometry.scaled(to: size)

        let restorerConfig = config.restorer
        var restorer: FrameRestoring?
        if restorerConfig.enabled {
            let path = loaded.resolve(restorerConfig.weights)
            guard FileManager.default.fileExists(atPath: path) else {
                throw loaded.loader.error(at: ["restorer", "weights"],
                                          "weight file \(path) not found (ship models/cpnet-road-slim.safetensors, or set restorer.enabled: false)")
            }
            restorer = try CPNetRestoration(config: restorerConfig, resolvingAgainst: loaded)
        }
        guard let pipeline = FramePipeline(geometry: geometry, parameters: LaneDetectorParameters(lanes.detector),
                                           holeDetector: ExposureAnalyzer(configuration: .init(config.exposure), roi: geometry.roiMask(), size: size),
                                           restorer: restorer, prefersFilmedLanes: lanes.preferFilmed) else {
            throw loaded.loader.error(at: ["lanes", "camera"], "the camera profile \(camera.origin) gives an unusable road geometry at \(size)")
        }
        return PipelineFrameProcessor(pipeline: pipeline)
    }
}
