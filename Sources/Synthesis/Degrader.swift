import Drives
import Exposure
import Foundation
import Imaging
import Media
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Applies the camera model to real footage (exposure.md): each frame is linearized (its radiance
/// relative to the exposure the original camera used), the preset's event modulates that radiance
/// (a tunnel darkens everything but the mouth, a bridge shades a band of road, a low sun or
/// headlights add light and lens glare), and the frame is filmed again through auto-exposure with
/// lag, noise, bloom and clipping. The original frame is the clean truth.
public struct DegradePlan: Sendable {
    public var preset: Preset
    public var seed: UInt64
    public var frames: Int
    public var size: ImageSize
    /// Image row of the horizon and column of the vanishing point, in output pixels.
    public var horizonY: Double
    public var vanishingX: Double
    /// Focal length in pixels assumed for the footage (dashcam, ~60° horizontal field of view).
    public var focal: Double
    public var cameraHeight: Double
    public var speed: Double
    public var fps: Double
    public var events: [ScheduledEvent]
    public var tunnelLevel: Double
    public var autoExposure: AutoExposure.Parameters
    public var hunting: Hunting?
    public var sunX: Double
    public var underpassLength: Double
    /// glare-long: peak radiance of the wet road's sheen under the sun (relative to the footage's
    /// own exposure, where asphalt is ≈ 0.05–0.2).
    public var sheen: Double = 0
    /// Frames over which a long event's light fades in and out.
    public var fadeFrames: Double = 1

    /// `frames` and `fps` are the source's; `eventSeconds` sets the duration of a long event
    /// (glare-long, flicker; else drawn from the seed). `retimed(fps:frames:)` maps the plan to
    /// resampled footage.
    public init(preset: Preset, seed: UInt64, frames: Int, size: ImageSize, fps: Double, horizonY: Double?, eventSeconds: Double? = nil) {
        var rng = SeededRandom(seed: seed, stream: "degrade-\(preset.rawValue)")
        self.preset = preset
        self.seed = seed
        self.frames = max(frames, 1)
        self.size = size
        self.fps = fps
        let w = Double(size.width), h = Double(size.height)
        self.horizonY = horizonY ?? 0.58 * h
        vanishingX = w / 2
        focal = w / 2 / tan(30 * Double.pi / 180)
        cameraHeight = 1.4
        speed = rng.uniform(18, 28)
        tunnelLevel = rng.uniform(0.004, 0.012)
        sunX = w * (rng.chance(0.5) ? rng.uniform(0.15, 0.38) : rng.uniform(0.62, 0.85))
        underpassLength = rng.uniform(10, 25)
        let n = self.frames
        func eventFrame(_ lo: Double, _ hi: Double) -> Int {
            let a = Int((lo * Double(n)).rounded()), b = max(a, Int((hi * Double(n)).rounded()))
            return min(rng.integer(a...b), n - 1)
        }
        var events: [ScheduledEvent] = []
        var hunting: Hunting?
        switch preset {
        case .tunnelExit: events = [ScheduledEvent(kind: "tunnel-exit", frame: eventFrame(0.2, 0.5))]
        case .tunnelEntry: events = [ScheduledEvent(kind: "tunnel-entry", frame: eventFrame(0.2, 0.5))]
        case .tunnelPass:
            let f1 = eventFrame(0.12, 0.3)
            events = [ScheduledEvent(kind: "tunnel-entry", frame: f1),
                      ScheduledEvent(kind: "tunnel-exit", frame: min(f1 + max(Int(0.35 * Double(n)), 12), n - 1))]
        case .underpass: events = [ScheduledEvent(kind: "underpass", frame: eventFrame(0.2, 0.5))]
        case .lowSun: events = [ScheduledEvent(kind: "low-sun", frame: eventFrame(0.2, 0.5))]
        case .nightHeadlights: events = [ScheduledEvent(kind: "headlights", frame: eventFrame(0.35, 0.6))]
        case .clear: events = []
        case .glareLong:
            // The sun ahead, low, a little to one side, its reflection on a wet road below it.
            sunX = w * (0.5 + (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.04, 0.16))
            sheen = rng.uniform(150, 300)
            let drawn = rng.uniform(2, 5)
            let (start, end) = Scenario.longEvent(seconds: eventSeconds ?? drawn, frames: n, fps: fps, position: rng.uniform(0, 1))
            events = [ScheduledEvent(kind: "glare-long", frame: start, endFrame: end)]
            fadeFrames = max(0.3 * fps, 1)
        case .flicker:
            let drawn = rng.uniform(2, 4)
            let (start, end) = Scenario.longEvent(seconds: eventSeconds ?? drawn, frames: n, fps: fps, position: rng.uniform(0, 1))
            let hertz = rng.uniform(1.5, 4)
            hunting = Hunting(startFrame: start, endFrame: end, amplitudeEV: rng.uniform(3.2, 4.2), periodFrames: fps / hertz, shape: 1.6)
            events = [ScheduledEvent(kind: "flicker", frame: start, endFrame: end)]
        case .mixed:
            var frame = eventFrame(0.1, 0.25)
            while frame < n - 8 {
                switch rng.integer(0...2) {
                case 0:
                    events.append(ScheduledEvent(kind: "underpass", frame: frame))
                    frame += rng.integer(25...45)
                case 1:
                    let exit = frame + rng.integer(20...40)
                    events.append(ScheduledEvent(kind: "tunnel-entry", frame: frame))
                    events.append(ScheduledEvent(kind: "tunnel-exit", frame: exit))
                    frame = exit + rng.integer(25...45)
                default:
                    let end = frame + rng.integer(15...30)
                    hunting = Hunting(startFrame: frame, endFrame: end, amplitudeEV: rng.uniform(1.2, 2.2), periodFrames: rng.uniform(8, 16))
                    events.append(ScheduledEvent(kind: "hunting", frame: frame))
                    frame = end + rng.integer(10...30)
                }
            }
        }
        self.events = events
        self.hunting = hunting
        autoExposure = AutoExposure.Parameters(key: 0.18, rate: rng.uniform(0.05, 0.12), maxStepEV: rng.uniform(0.08, 0.2),
                                               minExposure: 1.0 / 64, maxExposure: 64)
    }

    /// The plan for the footage resampled to `newFPS` (`newFrames` frames, the same clip in time):
    /// event frames mapped by time, hunting's period and fades scaled, the auto-exposure's
    /// per-frame rate and step changed so its lag is the same in seconds. Unchanged at the same rate.
    public func retimed(fps newFPS: Double, frames newFrames: Int) -> DegradePlan {
        guard newFPS != fps || newFrames != frames else { return self }
        var p = self
        let k = newFPS / fps
        func map(_ f: Int) -> Int { min(max(Int((Double(f) * k).rounded()), 0), max(newFrames - 1, 0)) }
        p.fps = newFPS
        p.frames = max(newFrames, 1)
        p.events = events.map { ScheduledEvent(kind: $0.kind, frame: map($0.frame), endFrame: $0.endFrame.map(map)) }
        if let h = hunting {
            p.hunting = Hunting(startFrame: map(h.startFrame), endFrame: map(h.endFrame), amplitudeEV: h.amplitudeEV, periodFrames: h.periodFrames * k, shape: h.shape)
        }
        p.fadeFrames = max(fadeFrames * k, 1)
        p.autoExposure = autoExposure.retimed(by: k)
        return p
    }

    /// Whether the camera is inside a tunnel at frame t (between an entry and the next exit).
    func insideTunnel(_ t: Int) -> Bool {
        var inside = preset == .tunnelExit || events.first?.kind == "tunnel-exit"
        for e in events.sorted(by: { $0.frame < $1.frame }) where e.frame <= t {
            if e.kind == "tunnel-entry" { inside = true }
            if e.kind == "tunnel-exit" { inside = false }
        }
        return inside
    }

    /// The next portal ahead at frame t (its frame and whether it is an exit).
    func nextPortal(after t: Int) -> ScheduledEvent? {
        events.filter { ($0.kind == "tunnel-entry" || $0.kind == "tunnel-exit") && $0.frame > t }.min { $0.frame < $1.frame }
    }
}

/// Runs a `DegradePlan` over frames one at a time (frames must come in order).
public struct Degrader {
    public let plan: DegradePlan
    public private(set) var camera: CameraModel
    public private(set) var autoExposure: AutoExposure
    private var radiance: RadianceImage
    private var glare: RadianceImage
    private var calibrated = false

    public init(plan: DegradePlan) {
        self.plan = plan
        // The footage already went through its camera's curve: re-film with a plain sRGB response
        // (no extra shoulder), so frames without an event come out close to the original.
        // Noise and floor chosen so the truth's crush level lands on the same 8-bit level (~24) as
        // in synthetic drives, whose response has a shoulder that lifts shadows.
        let parameters = CameraModel.Parameters(shotNoise: 0.0001, readNoise: 0.0015, bloomStrength: 0.35,
                                                bloomRadius: 0.006, shoulder: 10_000, snrFloor: 5, idealKnee: 0.6)
        camera = CameraModel(parameters: parameters, size: plan.size, seed: plan.seed)
        autoExposure = AutoExposure(parameters: plan.autoExposure)
        radiance = RadianceImage(width: plan.size.width, height: plan.size.height)
        glare = RadianceImage(width: plan.size.width, height: plan.size.height)
    }

    /// Degrades `clean` (frame t of the footage) into `frame` with its truth holes; returns the
    /// exposure used and the converged one.
    public mutating func degrade(_ clean: RGBImage, frame t: Int, into frame: inout RGBImage, holes: inout Mask) -> (exposure: Double, converged: Double) {
        radiance.linearize(clean)
        let rows = AutoExposure.meteringRows(height: plan.size.height)
        if !calibrated {
            // Calibrate the key on the unmodified first frame, so the settled camera reproduces it (E = 1).
            autoExposure.parameters.key = radiance.logAverageLuminance(rows: rows, cap: plan.autoExposure.meteringCap)
            calibrated = true
        }
        let hasGlare = modulate(frame: t)
        let cap = plan.autoExposure.meteringCap
        // Metered on the camera's own clipped picture (see DriveSynthesizer.render).
        let clip = t == 0 ? cap : min(cap, Float(3 / autoExposure.exposure))
        let blackLevel = t == 0 ? Float(1e-4) : Float(0.01 / autoExposure.exposure)
        let metered = radiance.logAverageLuminance(rows: rows, cap: clip, floor: blackLevel, extra: hasGlare ? glare : nil)
        if t == 0 { autoExposure.settle(meteredMean: metered) } else { autoExposure.step(meteredMean: metered) }
        var exposure = autoExposure.exposure
        if let hunting = plan.hunting, t >= hunting.startFrame && t <= hunting.endFrame {
            if hunting.shape == 1 {  // (kept as first written: the same bytes as before)
                exposure *= exp2(hunting.amplitudeEV * sin(2 * .pi * Double(t - hunting.startFrame) / hunting.periodFrames))
            } else {
                exposure *= hunting.factor(at: t)
            }
        }
        camera.develop(radiance, glare: hasGlare ? glare : nil, exposure: exposure, frame: t, mode: .sensor, into: &frame, holes: &holes)
        return (exposure, autoExposure.target(meteredMean: radiance.logAverageLuminance(rows: rows, cap: cap)))
    }

    /// Multiplies the radiance by the event's light field at frame t; fills `glare` for light
    /// sources; returns whether there is glare.
    private mutating func modulate(frame t: Int) -> Bool {
        let p = plan
        let w = p.size.width, h = p.size.height
        let hy = p.horizonY, vx = p.vanishingX, f = p.focal
        var factor: @Sendable (Int, Int) -> SIMD3<Float> = { _, _ in SIMD3(1, 1, 1) }
        var glareSources: [(x: Double, y: Double, amplitude: Float)] = []
        var sheenAmplitude: Float = 0
        let metresPerFrame = p.speed / p.fps
        switch p.preset {
        case .tunnelExit, .tunnelEntry, .tunnelPass, .mixed:
            let inside = p.insideTunnel(t)
            let level = Float(p.tunnelLevel)
            // The next portal's opening as seen from `distance` metres: 10 m wide, 6 m tall.
            var mouth: (x0: Double, x1: Double, y0: Double, y1: Double)?
            if let portal = p.nextPortal(after: t) {
                let distance = Double(portal.frame - t) * metresPerFrame + 1
                let halfWidth = f * 5.5 / distance
                mouth = (vx - halfWidth, vx + halfWidth, hy - f * (6 - p.cameraHeight) / distance, hy + f * p.cameraHeight / distance + 2)
            }
            var band: (y0: Double, y1: Double, under: Bool)?
            for e in p.events where e.kind == "underpass" {
                let distance = Double(e.frame - t) * metresPerFrame
                if distance > -p.underpassLength && distance < 120 {
                    let near = max(distance, 0.5), far = distance + p.underpassLength
                    band = (hy + f * p.cameraHeight / far, hy + f * p.cameraHeight / near, distance <= 0)
                }
            }
            let mouthBox = mouth, bandBox = band
            let width = Double(w)
            // Tunnel light: sodium-orange lamps, the ceiling darker than the road, and daylight
            // spilling in around the mouth.
            let sodium = SIMD3<Float>(1.0, 0.78, 0.5)
            factor = { x, y in
                let fx = Double(x), fy = Double(y)
                var inMouth = false, mouthDistance = 1e9
                if let mouth = mouthBox {
                    // An arched opening: straight walls up to two thirds of its height, then a half ellipse.
                    let cx = (mouth.x0 + mouth.x1) / 2, half = (mouth.x1 - mouth.x0) / 2
                    let spring = mouth.y1 - (mouth.y1 - mouth.y0) * 0.66, rise = spring - mouth.y0
                    let dx = (fx - cx) / max(half, 1)
                    let top = abs(dx) <= 1 ? spring - rise * (1 - dx * dx).squareRoot() : spring
                    inMouth = abs(dx) <= 1 && fy <= mouth.y1 && fy >= top
                    let ox = max(abs(fx - cx) - half, 0), oy = max(max(top - fy, fy - mouth.y1), 0)
                    mouthDistance = (ox * ox + oy * oy).squareRoot()
                }
                var darkness: Bool
                if mouthBox != nil { darkness = inside ? !inMouth : inMouth } else { darkness = inside }
                var k = SIMD3<Float>(1, 1, 1)
                if darkness {
                    var l = level * (fy < hy ? 0.45 : 1)
                    if inside && mouthBox != nil { l *= Float(1 + 3 * exp(-mouthDistance / (0.06 * width))) }
                    k = sodium * l
                }
                if let band = bandBox {
                    if band.under ? fy >= band.y0 : (fy >= band.y0 && fy <= band.y1) { k *= 0.12 }
                    if band.under && fy < hy - f * 3 / max(p.underpassLength, 1) { k *= 0.15 }  // the deck overhead
                }
                return k
            }
        case .underpass:
            let e = p.events[0]
            let distance = Double(e.frame - t) * metresPerFrame
            if distance > -p.underpassLength && distance < 150 {
                let near = max(distance, 0.5), far = distance + p.underpassLength
                let y0 = hy + f * p.cameraHeight / far, y1 = hy + f * p.cameraHeight / near
                let under = distance <= 0
                // The deck: a band above the road from the face height to the clearance height.
                let deckTop = hy - f * (6.5 - p.cameraHeight) / max(near, 0.5), deckBottom = hy - f * (5 - p.cameraHeight) / max(near, 0.5)
                factor = { _, y in
                    let fy = Double(y)
                    var k: Float = 1
                    if under ? fy >= y0 : (fy >= y0 && fy <= y1) { k = 0.12 }
                    if fy >= deckTop && fy <= deckBottom || (under && fy < deckBottom) { k = min(k, 0.1) }
                    return SIMD3(k, k, k)
                }
            }
        case .lowSun:
            let e = p.events[0]
            let ramp = Float(min(max(Double(t - e.frame + 1) / 5, 0), 1))
            if ramp > 0 { glareSources.append((p.sunX, hy - 0.04 * Double(h), 16 * ramp)) }
        case .nightHeadlights:
            let e = p.events[0]
            factor = { x, y in
                // Night: only the own headlights' pool on the road below the horizon stays lit.
                let dx = (Double(x) - vx) / Double(w), dy = (Double(y) - hy) / Double(h)
                let beam = dy > 0 ? Float(exp(-(dx * dx) / (0.08 + dy * 0.5)) * min(dy * 4, 1)) : 0
                let k = 0.006 + 0.5 * beam
                return SIMD3(k, k * 0.97, k * 0.9)
            }
            let distance = Double(e.frame - t) * metresPerFrame * 2 + 6
            if distance > 3 {
                let y = hy + f * (p.cameraHeight - 0.65) / distance
                for side in [-1.0, 1.0] {
                    let x = vx - f * 3.6 / distance + side * f * 0.75 / distance
                    glareSources.append((x, y, Float(1.2 / (1 + (distance / 12) * (distance / 12)))))
                }
            }
        case .glareLong:
            let e = p.events[0]
            let end = e.endFrame ?? e.frame
            let fadeIn = min(max(Double(t - e.frame + 1) / p.fadeFrames, 0), 1)
            let fadeOut = min(max(Double(end - t + 1) / p.fadeFrames, 0), 1)
            let ramp = Float(min(fadeIn, fadeOut))
            if ramp > 0 {
                glareSources.append((p.sunX, hy - 0.03 * Double(h), 16 * ramp))
                sheenAmplitude = Float(p.sheen) * ramp
            }
        case .flicker, .clear:
            break
        }
        let fn = factor
        radiance.values.withUnsafeMutableBufferPointer { v in
            let out = SharedPointer(v.baseAddress!)
            ParallelRows.run(rows: h) { rows in
                for y in rows {
                    for x in 0..<w {
                        let k = fn(x, y)
                        if k != SIMD3(1, 1, 1) {
                            let i = (y * w + x) * 3
                            out[i] *= k.x
                            out[i + 1] *= k.y
                            out[i + 2] *= k.z
                        }
                    }
                }
            }
        }
        guard !glareSources.isEmpty else { return false }
        let sources = glareSources
        let width = Float(w)
        // glare-long: the sun's reflection on the wet road, a bright path below the sun that
        // widens toward the camera and fills most of the road near it.
        let sheen = sheenAmplitude, sheenX = Float(p.sunX), horizon = Float(hy), height = Float(h)
        glare.values.withUnsafeMutableBufferPointer { g in
            let out = SharedPointer(g.baseAddress!)
            ParallelRows.run(rows: h) { rows in
                for y in rows {
                    for x in 0..<w {
                        var a: Float = 0
                        for s in sources {
                            let dx = Float(Double(x) - s.x), dy = Float(Double(y) - s.y)
                            let r = (dx * dx + dy * dy).squareRoot() / width
                            a += s.amplitude * (expf(-r / 0.035) + 0.12 * expf(-r / 0.18) + 0.02 * expf(-r / 0.6))
                            if r > 0.004 {
                                let across = abs(sinf(atan2f(dy, dx) * 3 + 0.4)) * r * width
                                a += s.amplitude * 0.5 * expf(-across * across / 4) * expf(-r / 0.16)
                            }
                            if r * width < 3 { a += 3000 }  // the source itself
                        }
                        if sheen > 0 && Float(y) > horizon + 2 {
                            let below = (Float(y) - horizon) / (height - horizon)  // 0 at the horizon, 1 at the bottom
                            let spread = width * (0.03 + 0.45 * below)
                            let dx = (Float(x) - sheenX) / spread
                            a += sheen * expf(-dx * dx) * (0.55 + 0.45 * expf(-below / 0.35))
                        }
                        let i = (y * w + x) * 3
                        out[i] = a
                        out[i + 1] = a * 0.95
                        out[i + 2] = a * 0.85
                    }
                }
            }
        }
        return true
    }
}
