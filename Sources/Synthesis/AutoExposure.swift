#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The camera's auto-exposure loop (exposure.md): the exposure E chases the target
/// E* = key / metered radiance (callers meter the lower two thirds of the frame; the synthesizer
/// and degrader use the geometric mean, `RadianceImage.logAverageLuminance`, like matrix metering), a fraction `rate` of the way per frame in log space, never
/// more than `maxStepEV` stops per frame. The lag is what whites out a tunnel exit and blacks out
/// a tunnel entry for a fraction of a second to two seconds.
public struct AutoExposure: Sendable, Equatable {
    public struct Parameters: Sendable, Equatable {
        /// Linear sensor value the metered mean should land on (a mid grey).
        public var key: Double
        /// Fraction of the remaining log-exposure error corrected per frame at 30 fps (0.05–0.3).
        public var rate: Double
        /// Largest change per frame, in stops.
        public var maxStepEV: Double
        /// Exposure limits (integration time × gain, relative); the target is clamped to them.
        public var minExposure: Double
        public var maxExposure: Double
        /// Radiance above this is capped before metering (a few pixels of sun must not dominate).
        public var meteringCap: Float

        public init(key: Double = 0.2, rate: Double = 0.12, maxStepEV: Double = 0.6,
                    minExposure: Double = 0.002, maxExposure: Double = 80, meteringCap: Float = 60) {
            self.key = key
            self.rate = rate
            self.maxStepEV = maxStepEV
            self.minExposure = minExposure
            self.maxExposure = maxExposure
            self.meteringCap = meteringCap
        }
    }

    public var parameters: Parameters
    /// Current exposure E_t.
    public private(set) var exposure: Double

    public init(parameters: Parameters = .init(), initialExposure: Double = 1) {
        self.parameters = parameters
        self.exposure = initialExposure
    }

    /// The metering window: the lower half of the frame, the road below the horizon (exposure.md
    /// names the lower two thirds; a window that starts at the horizon keeps a tunnel mouth from
    /// adapting the camera long before the exit, which real road cameras show as the exit white-out).
    public static func meteringRows(height: Int) -> Range<Int> { (height / 2)..<height }

    /// The converged exposure for a metered mean radiance (no lag).
    public func target(meteredMean: Double) -> Double {
        min(max(parameters.key / max(meteredMean, 1e-9), parameters.minExposure), parameters.maxExposure)
    }

    /// Starts converged on `meteredMean` (a drive begins with a settled camera).
    public mutating func settle(meteredMean: Double) { exposure = target(meteredMean: meteredMean) }

    /// One frame: moves E toward the target and returns the new exposure.
    @discardableResult
    public mutating func step(meteredMean: Double) -> Double {
        let current = log2(exposure), goal = log2(target(meteredMean: meteredMean))
        let move = min(max(parameters.rate * (goal - current), -parameters.maxStepEV), parameters.maxStepEV)
        exposure = exp2(current + move)
        return exposure
    }

    /// Forces the exposure (exposure hunting, tests).
    public mutating func set(exposure: Double) { self.exposure = exposure }
}
