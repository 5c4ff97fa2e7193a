import Exposure
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Scenario presets: what happens in a drive. Every event is placed at a seed-dependent frame
/// inside the requested frame count (between about 20 % and 55 % of it), so even short training
/// drives contain the event and its aftermath. The long events (`glare-long`, `flicker`) last a
/// stated number of seconds and start between 10 % and 35 % of the drive (earlier when the drive
/// is short, so that they end a second before it when it is long enough).
///
/// Time is in seconds: a scenario is drawn on a 30 fps timeline and its event frames are mapped
/// to the drive's frame rate, so the same seed filmed at 15 and 30 fps for the same duration is
/// the same drive in time (the same road, events at the same second, the auto-exposure's lag the
/// same in seconds); at 30 fps nothing changes.
public enum Preset: String, CaseIterable, Sendable {
    case tunnelExit = "tunnel-exit"
    case tunnelEntry = "tunnel-entry"
    case tunnelPass = "tunnel-pass"
    case underpass
    case lowSun = "low-sun"
    case nightHeadlights = "night-headlights"
    case clear
    case mixed
    case glareLong = "glare-long"
    case flicker

    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// One line per preset, for --help.
    public var summary: String {
        switch self {
        case .tunnelExit: return "starts inside a lit tunnel and drives out into daylight (white-out)"
        case .tunnelEntry: return "drives from daylight into a tunnel (black-out)"
        case .tunnelPass: return "enters a tunnel and leaves it again"
        case .underpass: return "passes under a bridge (dark band, brief black-out and white-out)"
        case .lowSun: return "leaves the shade of trees into a low sun ahead (sun blob, flare, glare)"
        case .nightHeadlights: return "night road lit by its own headlights, an oncoming car's headlights"
        case .clear: return "a day drive with no exposure event"
        case .mixed: return "a random sequence of underpasses, tunnels, shade and sun, exposure hunting"
        case .glareLong: return "a low sun ahead comes out over a wet road: its glare clips the road for 2–5 s (--event-seconds, else drawn from the seed)"
        case .flicker: return "exposure hunting / lamp flicker: the exposure oscillates ±2.2–3.2 stops (real footage ±3.2–4.2) at 1.5–4 Hz for 2–4 s (--event-seconds)"
        }
    }
}

extension Scenario {
    /// Draws the scenario for `preset` and `seed`. Pure: same arguments, same scenario.
    /// `eventSeconds`: the duration of a long event (`glare-long`, `flicker`), else drawn from the
    /// seed (2–5 s, 2–4 s); other presets ignore it.
    public init(preset: Preset, seed: UInt64, frames: Int, fps: Double = 30, eventSeconds: Double? = nil) {
        var rng = SeededRandom(seed: seed, stream: "scenario-\(preset.rawValue)")
        let frameCount = max(frames, 1)
        let realFPS = fps
        // The schedule is drawn on the 30 fps timeline (`n` frames of it, `fps` = 30 below) and
        // mapped to the drive's frames at the end.
        let fps = Scenario.timelineFPS
        let n = realFPS == fps ? frameCount : max(Int((Double(frameCount) * fps / realFPS).rounded()), 1)
        /// A frame for an event: seed-dependent, inside [lo·n, hi·n].
        func eventFrame(_ lo: Double, _ hi: Double) -> Int {
            let a = Int((lo * Double(n)).rounded()), b = max(a, Int((hi * Double(n)).rounded()))
            return min(rng.integer(a...b), n - 1)
        }

        // Camera and motion.
        let rig = CameraRig(height: rng.uniform(1.2, 1.6), fieldOfView: rng.uniform(52, 68) * .pi / 180,
                            pitch: rng.uniform(0.5, 2.5) * .pi / 180,
                            pitchJitter: rng.uniform(0.05, 0.2) * .pi / 180, rollJitter: rng.uniform(0.05, 0.3) * .pi / 180)
        let speed = rng.uniform(18, 30)
        let motion = Motion(speed: speed, startS: 0, wanderAmplitude: rng.uniform(0.05, 0.3),
                            wanderPeriod: rng.uniform(4, 10), yawAmplitude: rng.uniform(0.1, 0.4) * .pi / 180)
        let span = speed * Double(n) / fps
        func sAt(_ frame: Int) -> Double { speed * Double(frame) / fps }

        // Road: lanes, lines, curvature.
        let night = preset == .nightHeadlights
        let twoWay = night || rng.chance(0.25)
        let laneCount = twoWay ? 2 : rng.integer(2...4)
        let laneWidth = rng.uniform(3.5, 3.75)
        let egoLane = twoWay ? 1 : rng.integer(0...(laneCount - 1))
        let paint = rng.uniform(0.10, 0.20)
        var lines: [LaneLine] = []
        let yellowLeftEdge = !twoWay && rng.chance(0.4)
        for j in 0...laneCount {
            let u = (Double(j - egoLane) - 0.5) * laneWidth
            let edge = j == 0 || j == laneCount
            var style: LineStyle = edge ? .solid : .dashed
            var yellow = false
            if twoWay && j == 1 { yellow = rng.chance(0.6); style = rng.chance(0.3) ? .solid : .dashed }
            if j == 0 && yellowLeftEdge { yellow = true }
            if !edge && rng.chance(0.05) { style = .solid }
            lines.append(LaneLine(u: u, style: style, yellow: yellow, width: edge ? paint * rng.uniform(1, 1.4) : paint,
                                  phase: rng.uniform(0, 12), wear: rng.chance(0.4) ? rng.uniform(0.2, 0.6) : rng.uniform(0, 0.15)))
        }
        // Curvature: straights and arcs (radius 250–1500 m) joined by 40 m transitions.
        let step = 2.0, origin = -400.0
        let length = span + 1200
        var curvature: [Double] = []
        var s = origin, target = 0.0, current = 0.0
        var segmentEnd = origin
        while s < origin + length {
            if s >= segmentEnd {
                let straight = rng.chance(0.45)
                target = straight ? 0 : (rng.chance(0.5) ? 1 : -1) / rng.uniform(250, 1500)
                segmentEnd = s + rng.uniform(80, 300)
            }
            current += max(min(target - current, step / 40 * 0.004), -step / 40 * 0.004)
            curvature.append(current)
            s += step
        }
        let road = RoadLayout(laneCount: laneCount, laneWidth: laneWidth, egoLane: egoLane, lines: lines,
                              shoulderLeft: rng.uniform(0.5, 2.5), shoulderRight: rng.uniform(1.0, 3.0),
                              guardRail: rng.chance(0.6), asphaltAlbedo: rng.uniform(0.11, 0.17),
                              asphaltTint: (1, rng.uniform(0.98, 1.02), rng.uniform(0.97, 1.06)),
                              curvature: curvature, curvatureOrigin: origin, curvatureStep: step,
                              gradeAmplitude: rng.uniform(0, 0.6) * .pi / 180, gradePeriod: rng.uniform(150, 400))

        // Daylight (or night).
        var lighting = Lighting(
            night: night, sunAzimuth: rng.uniform(-1, 1) * .pi * 0.9, sunElevation: rng.uniform(20, 55) * .pi / 180,
            sunRadiance: 3000, sunRadius: 0.0047 * 1.6, sunIllumination: 1.35, skyIllumination: 0.3,
            skyZenith: rng.uniform(1.2, 2), skyHorizon: rng.uniform(2.2, 3.6), clouds: rng.uniform(0, 0.7),
            shadowSide: rng.chance(0.5) ? 1 : -1, treeShadowDensity: rng.uniform(0, 0.6), headlightPower: 0)
        if night {
            lighting.sunElevation = -0.5
            lighting.sunIllumination = 0
            lighting.skyIllumination = 0.0012
            lighting.skyZenith = 0.0004
            lighting.skyHorizon = 0.0012
            lighting.clouds = 0
            lighting.treeShadowDensity = 0
            lighting.headlightPower = rng.uniform(10, 16)
        }

        let leftEdge = lines.first!.u, rightEdge = lines.last!.u
        var treeLines: [TreeLine] = []
        func addTrees(side: Double, start: Double, end: Double, minH: Double, maxH: Double) {
            let edge = side < 0 ? leftEdge - road.shoulderLeft : rightEdge + road.shoulderRight
            treeLines.append(TreeLine(u: edge + side * rng.uniform(3, 9), start: start, end: end, minHeight: minH, maxHeight: maxH,
                                      albedo: (rng.uniform(0.05, 0.08), rng.uniform(0.08, 0.12), rng.uniform(0.04, 0.06))))
        }
        if rng.chance(0.85) { addTrees(side: -1, start: origin, end: origin + length, minH: 3, maxH: rng.uniform(8, 16)) }
        if rng.chance(0.85) { addTrees(side: 1, start: origin, end: origin + length, minH: 3, maxH: rng.uniform(8, 16)) }

        var overheads: [Overhead] = []
        var vehicles: [Vehicle] = []
        var events: [ScheduledEvent] = []
        var hunting: Hunting?
        func tunnel(start: Double, end: Double) -> Overhead {
            Overhead(kind: .tunnel, start: start, end: end, height: rng.uniform(5.2, 6.5), lampSpacing: rng.uniform(6, 12),
                     lampRadiance: rng.uniform(1.0, 2.5), interiorIllumination: rng.uniform(0.0015, 0.004),
                     faceHeight: rng.uniform(6, 14), shadowShift: 0)
        }
        func bridge(at start: Double) -> Overhead {
            Overhead(kind: .bridge, start: start, end: start + rng.uniform(10, 28), height: rng.uniform(4.8, 6),
                     lampSpacing: 0, lampRadiance: 0, interiorIllumination: 0, faceHeight: rng.uniform(1.0, 2.0),
                     shadowShift: rng.uniform(-4, 2))
        }
        // The camera's s at the event frame: the portal / bridge face passes the camera then.
        switch preset {
        case .tunnelExit:
            let f = eventFrame(0.3, 0.55)
            overheads.append(tunnel(start: -600, end: sAt(f)))
            events.append(ScheduledEvent(kind: "tunnel-exit", frame: f))
        case .tunnelEntry:
            let f = eventFrame(0.2, 0.5)
            overheads.append(tunnel(start: sAt(f), end: sAt(f) + span + 800))
            events.append(ScheduledEvent(kind: "tunnel-entry", frame: f))
        case .tunnelPass:
            let f1 = eventFrame(0.12, 0.3)
            let f2 = min(f1 + max(Int(0.35 * Double(n)), 12) + rng.integer(0...max(1, n / 8)), n - 1)
            overheads.append(tunnel(start: sAt(f1), end: max(sAt(f2), sAt(f1) + 20)))
            events.append(ScheduledEvent(kind: "tunnel-entry", frame: f1))
            events.append(ScheduledEvent(kind: "tunnel-exit", frame: f2))
        case .underpass:
            let f = eventFrame(0.2, 0.5)
            overheads.append(bridge(at: sAt(f)))
            events.append(ScheduledEvent(kind: "underpass", frame: f))
            lighting.sunElevation = rng.uniform(25, 60) * .pi / 180
        case .lowSun:
            // The sun is low ahead on one side; trees on that side hide it until they end.
            let side: Double = rng.chance(0.5) ? 1 : -1
            lighting.sunAzimuth = side * rng.uniform(6, 16) * .pi / 180
            lighting.sunElevation = rng.uniform(1.5, 5) * .pi / 180
            lighting.skyHorizon = rng.uniform(3.5, 6)
            lighting.clouds = rng.uniform(0, 0.3)
            let f = eventFrame(0.2, 0.5)
            treeLines.removeAll { ($0.u > 0) == (side > 0) }
            // A sun ray from the camera at frame f meets the tree line at distance d·cot(azimuth):
            // ending the trees there brings the sun into view at frame f.
            let edge = side < 0 ? leftEdge - road.shoulderLeft : rightEdge + road.shoulderRight
            let treeU = edge + side * rng.uniform(2, 5)
            let reach = abs(treeU) / tan(abs(lighting.sunAzimuth))
            treeLines.append(TreeLine(u: treeU, start: origin, end: sAt(f) + reach, minHeight: 12, maxHeight: 22,
                                      albedo: (0.05, 0.08, 0.04)))
            lighting.shadowSide = side
            lighting.treeShadowDensity = 0
            events.append(ScheduledEvent(kind: "low-sun", frame: f))
        case .nightHeadlights:
            let f = eventFrame(0.35, 0.6)
            let oncomingSpeed = rng.uniform(18, 28)
            // Passes the camera (s equal) at frame f.
            let meet = sAt(f)
            vehicles.append(Vehicle(u: -laneWidth, s0: meet + oncomingSpeed * Double(f) / fps, speed: -oncomingSpeed,
                                    width: 1.8, height: 1.45, length: 4.5, albedo: (0.1, 0.1, 0.1), oncoming: true, lightsOn: true))
            events.append(ScheduledEvent(kind: "headlights", frame: f))
        case .clear:
            break
        case .glareLong:
            // A low sun ahead, a little to one side, comes out (from behind a distant ridge, out
            // of a curve) for `seconds` and goes again; the road is wet, so its reflection (a
            // broad, very bright sheen on the road) clips the road as long as it is in view.
            let side: Double = rng.chance(0.5) ? 1 : -1
            let drawn = rng.uniform(2, 5)
            let seconds = eventSeconds ?? drawn
            let (f, end) = Scenario.longEvent(seconds: seconds, frames: n, fps: fps, position: rng.uniform(0, 1))
            // The sun's azimuth is given against the road's heading at s = 0: aim it at the
            // heading in the middle of the event, so curves before it do not turn it out of view.
            var heading = 0.0, q = 0.0
            let middle = sAt((f + end) / 2)
            while q < middle { heading += road.curvature(at: q) * 2; q += 2 }
            lighting.sunAzimuth = heading + side * rng.uniform(3, 10) * .pi / 180
            lighting.sunElevation = rng.uniform(1.5, 4) * .pi / 180
            lighting.skyHorizon = rng.uniform(3.5, 6)
            lighting.clouds = rng.uniform(0, 0.3)
            lighting.wetGlint = rng.uniform(120, 250)
            lighting.sunWindow = Double(f) / fps...Double(end + 1) / fps
            lighting.shadowSide = side
            lighting.treeShadowDensity = 0
            treeLines.removeAll { ($0.u > 0) == (side > 0) }  // open land toward the sun
            events.append(ScheduledEvent(kind: "glare-long", frame: f, endFrame: end))
        case .flicker:
            // Exposure hunting / lamp flicker: the exposure oscillates for `seconds` (a light
            // oscillating in front of a steady exposure films the same).
            let drawn = rng.uniform(2, 4)
            let seconds = eventSeconds ?? drawn
            let (f, end) = Scenario.longEvent(seconds: seconds, frames: n, fps: fps, position: rng.uniform(0, 1))
            let hertz = rng.uniform(1.5, 4)
            hunting = Hunting(startFrame: f, endFrame: end, amplitudeEV: rng.uniform(2.2, 3.2), periodFrames: fps / hertz, shape: 1.6)
            events.append(ScheduledEvent(kind: "flicker", frame: f, endFrame: end))
        case .mixed:
            var frame = eventFrame(0.1, 0.25)
            while frame < n - 8 {
                switch rng.integer(0...3) {
                case 0:
                    overheads.append(bridge(at: sAt(frame)))
                    events.append(ScheduledEvent(kind: "underpass", frame: frame))
                    frame += rng.integer(25...45)
                case 1:
                    let exit = frame + rng.integer(20...40)
                    overheads.append(tunnel(start: sAt(frame), end: sAt(exit)))
                    events.append(ScheduledEvent(kind: "tunnel-entry", frame: frame))
                    events.append(ScheduledEvent(kind: "tunnel-exit", frame: exit))
                    frame = exit + rng.integer(25...45)
                case 2:
                    let end = frame + rng.integer(15...30)
                    hunting = Hunting(startFrame: frame, endFrame: end, amplitudeEV: rng.uniform(1.2, 2.2), periodFrames: rng.uniform(8, 16))
                    events.append(ScheduledEvent(kind: "hunting", frame: frame))
                    frame = end + rng.integer(10...30)
                default:
                    let bridgeStart = sAt(frame)
                    overheads.append(bridge(at: bridgeStart))
                    overheads[overheads.count - 1].end = bridgeStart + rng.uniform(30, 60)  // a wide overpass
                    events.append(ScheduledEvent(kind: "underpass", frame: frame))
                    frame += rng.integer(30...50)
                }
            }
        }
        // Traffic ahead, same direction, in some lanes (kept out of the ego lane's first 25 m).
        let traffic = rng.integer(0...3)
        for _ in 0..<traffic {
            let lane = twoWay ? 1 : rng.integer(0...(laneCount - 1))
            let truck = rng.chance(0.25)
            let palette: [(Double, Double, Double)] = [(0.6, 0.6, 0.6), (0.05, 0.05, 0.06), (0.35, 0.05, 0.04),
                                                       (0.08, 0.12, 0.3), (0.4, 0.4, 0.42), (0.7, 0.7, 0.68)]
            let albedo = truck ? (0.65, 0.65, 0.63) : rng.pick(palette)
            vehicles.append(Vehicle(u: (Double(lane - egoLane)) * laneWidth + rng.uniform(-0.3, 0.3),
                                    s0: rng.uniform(lane == egoLane ? 30 : 12, 90), speed: speed + rng.uniform(-2, 3),
                                    width: truck ? 2.5 : rng.uniform(1.7, 1.9), height: truck ? 3.6 : rng.uniform(1.4, 1.6),
                                    length: truck ? 12 : 4.5, albedo: albedo, oncoming: false, lightsOn: night))
        }

        // Night scenes are exposed darker (a camera keeps night looking like night).
        let ae = AutoExposure.Parameters(key: rng.uniform(0.14, 0.2) * (night ? 0.4 : 1), rate: rng.uniform(0.03, 0.08),
                                         maxStepEV: rng.uniform(0.06, 0.12), minExposure: 0.002, maxExposure: 64)
        var scenario = Scenario(preset: preset, seed: seed, frames: n, fps: fps, road: road, rig: rig, motion: motion, lighting: lighting,
                                overheads: overheads, vehicles: vehicles, treeLines: treeLines, autoExposure: ae, events: events, hunting: hunting)
        if realFPS != fps { scenario = scenario.retimed(fps: realFPS, frames: frameCount) }
        self = scenario
    }

    /// Frame rate of the timeline scenarios are drawn on (and the one `AutoExposure.Parameters`'s
    /// per-frame rate is stated for).
    public static let timelineFPS = 30.0

    /// Start and end frame of a long event of `seconds` in a drive of `frames` at `fps`: it starts
    /// between 10 % and 35 % of the drive (`position` 0…1 between the earliest and latest start),
    /// no later than one second before the end leaves room for it; it is cut at the last frame
    /// when the drive is too short.
    public static func longEvent(seconds: Double, frames: Int, fps: Double, position: Double) -> (start: Int, end: Int) {
        let total = Double(frames) / fps
        let latest = max(0.1 * total, min(0.35 * total, total - seconds - 1))
        let earliest = min(0.1 * total, latest)
        let start = min(Int(((earliest + position * (latest - earliest)) * fps).rounded()), frames - 1)
        let end = min(start + max(Int((seconds * fps).rounded()) - 1, 0), frames - 1)
        return (start, end)
    }

    /// The same scenario filmed at another frame rate: event frames mapped by time, exposure
    /// hunting's period in frames scaled, and the auto-exposure's per-frame rate and step limit
    /// changed so its lag is the same in seconds.
    public func retimed(fps newFPS: Double, frames newFrames: Int) -> Scenario {
        var s = self
        let k = newFPS / fps
        func map(_ f: Int) -> Int { min(max(Int((Double(f) * k).rounded()), 0), newFrames - 1) }
        s.fps = newFPS
        s.frames = newFrames
        s.events = events.map { ScheduledEvent(kind: $0.kind, frame: map($0.frame), endFrame: $0.endFrame.map(map)) }
        if let h = hunting {
            s.hunting = Hunting(startFrame: map(h.startFrame), endFrame: map(h.endFrame), amplitudeEV: h.amplitudeEV, periodFrames: h.periodFrames * k, shape: h.shape)
        }
        s.autoExposure = autoExposure.retimed(by: k)
        return s
    }
}

extension AutoExposure.Parameters {
    /// The same loop run `k` times as often (k = new fps / old fps): the fraction corrected per
    /// frame compounds to the same fraction per second, the step limit per second is kept.
    public func retimed(by k: Double) -> AutoExposure.Parameters {
        guard k != 1 else { return self }
        var p = self
        p.rate = 1 - pow(1 - rate, 1 / k)
        p.maxStepEV = maxStepEV / k
        return p
    }
}
