import Exposure
import Foundation

/// Everything a synthetic drive is made of, in road coordinates: `s` metres along the road, `u`
/// metres to the right of the ego lane's centre line, `y` metres above the road surface. A scenario
/// is drawn from a preset and a seed (`Scenario(preset:seed:frames:)`); rendering it is pure.
public struct Scenario: Sendable {
    public var preset: Preset
    public var seed: UInt64
    public var frames: Int
    public var fps: Double
    public var road: RoadLayout
    public var rig: CameraRig
    public var motion: Motion
    public var lighting: Lighting
    public var overheads: [Overhead]
    public var vehicles: [Vehicle]
    public var treeLines: [TreeLine]
    public var autoExposure: AutoExposure.Parameters
    /// Scheduled exposure events (kind, frame the event happens), for exposure.json.
    public var events: [ScheduledEvent]
    /// Exposure hunting: frames during which the auto-exposure oscillates.
    public var hunting: Hunting?
}

public struct ScheduledEvent: Sendable, Equatable {
    public var kind: String
    public var frame: Int
    /// Last frame of an event with a stated duration (`glare-long`, `flicker`).
    public var endFrame: Int? = nil

    public init(kind: String, frame: Int, endFrame: Int? = nil) {
        self.kind = kind
        self.frame = frame
        self.endFrame = endFrame
    }
}

public struct Hunting: Sendable, Equatable {
    public var startFrame: Int
    public var endFrame: Int
    /// Peak amplitude in stops and period in frames.
    public var amplitudeEV: Double
    public var periodFrames: Double
    /// 1: a sine; above 1 the sine is scaled by it and clipped to ±1, dwelling at the extremes
    /// (flicker: over- and under-exposed most of each period).
    public var shape: Double = 1

    public init(startFrame: Int, endFrame: Int, amplitudeEV: Double, periodFrames: Double, shape: Double = 1) {
        self.startFrame = startFrame
        self.endFrame = endFrame
        self.amplitudeEV = amplitudeEV
        self.periodFrames = periodFrames
        self.shape = shape
    }

    /// The exposure factor at frame `index` (1 outside the oscillation).
    public func factor(at index: Int) -> Double {
        guard index >= startFrame && index <= endFrame else { return 1 }
        let phase = Double(index - startFrame) / periodFrames
        if shape == 1 { return exp2(amplitudeEV * sin(2 * .pi * phase)) }
        return exp2(amplitudeEV * min(max(shape * sin(2 * .pi * phase), -1), 1))
    }
}

public enum LineStyle: Sendable, Equatable { case solid, dashed, none }

public struct LaneLine: Sendable, Equatable {
    /// Lateral position of the line's centre.
    public var u: Double
    public var style: LineStyle
    public var yellow: Bool
    /// Paint width in metres (0.10–0.20).
    public var width: Double
    /// Dash phase along s (dash 3 m, gap 9 m).
    public var phase: Double
    /// 0 = fresh paint, 1 = almost gone.
    public var wear: Double
}

public struct RoadLayout: Sendable {
    public var laneCount: Int
    public var laneWidth: Double
    /// Index (0 = leftmost) of the lane the camera drives in.
    public var egoLane: Int
    /// Lines from left to right, laneCount + 1 of them.
    public var lines: [LaneLine]
    public var shoulderLeft: Double
    public var shoulderRight: Double
    public var guardRail: Bool
    /// Asphalt albedo (sunlit radiance = albedo × sun+sky illumination).
    public var asphaltAlbedo: Double
    public var asphaltTint: (Double, Double, Double)
    /// Road curvature (1/m) sampled every `curvatureStep` metres from s = curvatureOrigin.
    public var curvature: [Double]
    public var curvatureOrigin: Double
    public var curvatureStep: Double
    /// Slow change of the road's pitch relative to the camera (grade changes), radians amplitude.
    public var gradeAmplitude: Double
    public var gradePeriod: Double

    public var leftEdge: Double { lines.first!.u }
    public var rightEdge: Double { lines.last!.u }

    public func curvature(at s: Double) -> Double {
        let f = (s - curvatureOrigin) / curvatureStep
        let i = Int(f.rounded(.down))
        guard i >= 0 else { return curvature.first ?? 0 }
        guard i + 1 < curvature.count else { return curvature.last ?? 0 }
        let t = f - Double(i)
        return curvature[i] * (1 - t) + curvature[i + 1] * t
    }
}

/// The forward camera: mounting and optics.
public struct CameraRig: Sendable {
    public var height: Double
    /// Horizontal field of view, radians.
    public var fieldOfView: Double
    /// Mounting pitch (down positive), radians.
    public var pitch: Double
    /// Jitter amplitudes (radians) from road roughness.
    public var pitchJitter: Double
    public var rollJitter: Double
}

/// How the car moves: speed, lateral wander in the lane, yaw wobble.
public struct Motion: Sendable {
    public var speed: Double
    public var startS: Double
    public var wanderAmplitude: Double
    public var wanderPeriod: Double
    public var yawAmplitude: Double
}

public struct Lighting: Sendable {
    public var night: Bool
    /// Sun direction: azimuth relative to the road direction at s = 0 (positive = right), elevation.
    public var sunAzimuth: Double
    public var sunElevation: Double
    /// Sun disk radiance (huge) and angular radius.
    public var sunRadiance: Double
    public var sunRadius: Double
    /// Illumination of a sunlit horizontal surface and of one in shade (sky only).
    public var sunIllumination: Double
    public var skyIllumination: Double
    /// Sky radiance at zenith and at the horizon.
    public var skyZenith: Double
    public var skyHorizon: Double
    /// Cloud cover 0–1 (brightens and mottles the sky).
    public var clouds: Double
    /// Which side tree shadows fall on the road from (sign of u), and their density 0–1.
    public var shadowSide: Double
    public var treeShadowDensity: Double
    /// Own headlights (night).
    public var headlightPower: Double
    /// Wet road: peak radiance of the low sun's broad specular sheen on the paved surface (0 = dry).
    public var wetGlint: Double = 0
    /// When set, the camera sees the sun (its disk and aureole, lens glare, the road's sheen) only
    /// during this time, in seconds, fading in and out over `sunFade` seconds inside it; the
    /// scene's light is the same throughout (glare-long: the sun behind a distant ridge before and after).
    public var sunWindow: ClosedRange<Double>? = nil
    public var sunFade: Double = 0.25

    /// 0…1: how much of the sun the camera sees at time t (1 without a window; at least a quarter
    /// inside it, so the event's first and last frames show it).
    public func sunShown(at t: Double) -> Double {
        guard let w = sunWindow else { return 1 }
        guard w.contains(t) else { return 0 }
        return max(0.25, min(1, (t - w.lowerBound) / sunFade, (w.upperBound - t) / sunFade))
    }
}

public enum OverheadKind: String, Sendable { case tunnel, bridge }

/// A tunnel or a bridge deck over the road between `start` and `end` (s, metres).
public struct Overhead: Sendable {
    public var kind: OverheadKind
    public var start: Double
    public var end: Double
    /// Clearance height of the ceiling / deck underside.
    public var height: Double
    /// Tunnel lamps: spacing along s and radiance.
    public var lampSpacing: Double
    public var lampRadiance: Double
    /// Tunnel interior illumination of a horizontal surface (lamps), away from the portals.
    public var interiorIllumination: Double
    /// Bridge deck thickness (bridge) / portal face height above the opening (tunnel).
    public var faceHeight: Double
    /// The ground shadow of a bridge is shifted by this along s (sun direction).
    public var shadowShift: Double
}

public struct Vehicle: Sendable {
    /// Lateral centre.
    public var u: Double
    /// s of its rear (same direction) or front (oncoming) face at frame 0.
    public var s0: Double
    /// Speed along +s (negative for oncoming).
    public var speed: Double
    public var width: Double
    public var height: Double
    public var length: Double
    public var albedo: (Double, Double, Double)
    public var oncoming: Bool
    /// Headlights / tail lights lit.
    public var lightsOn: Bool
}

/// A line of trees (or a cutting) beside the road at lateral offset `u`, present where
/// `start ≤ s < end`, with heights between minHeight and maxHeight.
public struct TreeLine: Sendable {
    public var u: Double
    public var start: Double
    public var end: Double
    public var minHeight: Double
    public var maxHeight: Double
    public var albedo: (Double, Double, Double)
}
