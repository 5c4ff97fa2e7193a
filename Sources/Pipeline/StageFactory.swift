import CPNet
import Exposure
import Imaging
import Lanes

/// The one place the per-frame stages are built from a config, for every command: the daemon and
/// `config check` (through the app's `FrameProcessorFactory`), `restore`, `replay` (one pipeline
/// per variant) and `bench`. So `exposure:`, `lanes:` and `restorer:` mean the same on the
/// vehicle and in the evaluation that justifies them; a command never assembles stages from
/// built-in defaults of its own.
public struct StageFactory: @unchecked Sendable {
    public var exposure: ExposureConfig
    public var lanes: LanesConfig
    public var restorer: RestorerConfig
    /// The CPNet weights, loaded once and shared by every restorer made here (nil: none, so no
    /// restorer is made).
    public var weights: CPNetWeights?

    /// The shipped settings (every section's defaults) and no weights.
    public init(exposure: ExposureConfig = .init(), lanes: LanesConfig = .init(), restorer: RestorerConfig = .init(),
                weights: CPNetWeights? = nil) {
        self.exposure = exposure
        self.lanes = lanes
        self.restorer = restorer
        self.weights = weights
    }

    /// A config file's sections, with `weights` loaded by the caller (it knows how to say which
    /// file was missing: `restorer.weights`, `--weights`, or the installed default).
    public init(config: ClearLaneConfig, weights: CPNetWeights?) {
        self.init(exposure: config.exposure, lanes: config.lanes, restorer: config.restorer, weights: weights)
    }

    /// Stage 1: the live hole detector for a camera geometry at the processing size.
    public func holeDetector(for geometry: RoadGeometry) -> ExposureAnalyzer {
        ExposureAnalyzer(configuration: exposure, roi: geometry.roiMask(), size: geometry.imageSize)
    }

    /// Stage 2: the CPNet restorer for a stream at `fps` (the memory counts seconds) and a camera
    /// geometry at the processing size (road-plane alignment); nil without weights or when
    /// `restorer.enabled` is false.
    public func cpnet(for geometry: RoadGeometry, fps: Double) -> CPNetRestoration? {
        guard restorer.enabled, let weights else { return nil }
        return CPNetRestoration(weights: weights, config: restorer, fps: fps, geometry: geometry)
    }

    /// The temporal-median baseline for a stream at `fps`, with the CPNet's memory: `references`
    /// frames taken every `stride_s` seconds. So the median spans the same seconds at 15 and
    /// 30 fps, and the report's restored − median measures what the network adds, not a longer
    /// or shorter memory.
    public func median(fps: Double) -> TemporalMedianRestoration {
        TemporalMedianRestoration(capacity: restorer.references, stride: restorer.strideFrames(fps: fps))
    }

    /// The classical corrections replay scores beside restoration (`lanes.baselines`).
    public func clahe() -> CLAHE { CLAHE(tiles: lanes.baselines.claheTiles, clipLimit: lanes.baselines.claheClipLimit) }
    public func gamma(roi: Mask) -> GammaNormalization { GammaNormalization(target: lanes.baselines.gammaTarget, roi: roi) }

    /// The stage graph with the config's lane detector for a stream at `fps` (its tracks hold and
    /// drop lines after seconds); nil when the geometry is unusable.
    public func pipeline(geometry: RoadGeometry, fps: Double, holeDetector: (any HoleDetecting)? = nil, restorer: FrameRestoring? = nil,
                         correction: (any FrameCorrection)? = nil) -> FramePipeline? {
        FramePipeline(geometry: geometry, parameters: lanes.detector, fps: fps, holeDetector: holeDetector, restorer: restorer,
                      correction: correction, prefersFilmedLanes: lanes.preferFilmed,
                      carriedOverPastedCoverage: lanes.carriedOverPasted, judgesFilmedAgainstFilmed: lanes.filmedAgainstFilmed)
    }
}
