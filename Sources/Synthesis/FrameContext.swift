import Exposure
import Imaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The scenario at one frame, flattened into Float constants for the per-pixel loop.
struct FrameContext: Sendable {
    struct OverheadState: Sendable {
        var kind: OverheadKind
        var start: Float, end: Float, height: Float
        var leftWall: Float, rightWall: Float
        var faceHeight: Float, shadowShift: Float
        var lampSpacing: Float, lampRadiance: Float, interior: Float
    }
    struct VehicleState: Sendable {
        var u: Float, s: Float, halfWidth: Float, height: Float, length: Float
        var albedo: SIMD3<Float>
        var oncoming: Bool, lightsOn: Bool
    }
    struct TreeState: Sendable {
        var u: Float, start: Float, end: Float, minHeight: Float, maxHeight: Float
        var albedo: SIMD3<Float>
    }
    struct RoadState: Sendable {
        var leftEdge: Float, rightEdge: Float, laneWidth: Float
    }

    let height: Float, lateral: Float, s: Float, focal: Float
    let cx: Float, cy: Float
    let cosRoll: Float, sinRoll: Float, cosPitch: Float, sinPitch: Float
    let night: Bool
    let skyZenith: Float, skyHorizon: Float, clouds: Float, headingAngle: Float
    let hazeColor: SIMD3<Float>
    let sunUp: Bool
    let sunDirection: SIMD3<Float>
    let sunRadius: Float, sunRadiance: Float, sunGlare: Float, sunGlint: Float
    /// Wet road: the low sun's broad specular sheen (0 when dry).
    let wetGlint: Float
    let sunElevationTan: Float
    let sunIllumination: Float, skyIllumination: Float
    let headlightPower: Float
    let overheads: [OverheadState]
    let vehicles: [VehicleState]
    let treeLines: [TreeState]
    let road: RoadState
    let asphalt: SIMD3<Float>
    let shoulderLeft: Float, shoulderRight: Float
    let guardRail: Bool
    let railLeft: Float, railRight: Float
    let lampRows: [Float]

    init(scenario: Scenario, pose: CameraPose, size: ImageSize) {
        let l = scenario.lighting, r = scenario.road
        height = Float(pose.height)
        lateral = Float(pose.lateral)
        s = Float(pose.s)
        focal = Float(pose.focal)
        cx = Float(pose.cx)
        cy = Float(pose.cy)
        cosRoll = Float(cos(pose.roll)); sinRoll = Float(sin(pose.roll))
        cosPitch = Float(cos(pose.pitch)); sinPitch = Float(sin(pose.pitch))
        night = l.night
        skyZenith = Float(l.skyZenith)
        skyHorizon = Float(l.skyHorizon)
        clouds = Float(l.clouds)
        // Road heading at the camera relative to s = 0 (the sun's azimuth is given against it).
        var heading = 0.0
        var q = 0.0
        while q < pose.s { heading += r.curvature(at: q) * 2; q += 2 }
        headingAngle = Float(heading)
        hazeColor = SIMD3<Float>(0.78, 0.9, 1.12) * Float(l.skyHorizon) * 0.5
        let az = l.sunAzimuth - heading, el = l.sunElevation
        sunUp = el > 0 && !l.night
        sunDirection = SIMD3(Float(sin(az) * cos(el)), Float(sin(el)), Float(cos(az) * cos(el)))
        sunRadius = Float(l.sunRadius)
        let shown = Float(l.sunShown(at: Double(pose.frame) / scenario.fps))
        sunRadiance = Float(l.sunRadiance) * shown
        // Lens glare and road sheen grow as the sun nears the horizon.
        let low = Float(max(0, 1 - el / (12 * .pi / 180)))
        sunGlare = (5 * low + 1) * shown
        // (A wet road's sheen replaces the dry one; it goes to the filmed frame only, see
        // RoadRenderer.renderWetSheen, so the clean truth shows the road without glare.)
        sunGlint = l.wetGlint > 0 ? 0 : 4 * low * shown
        wetGlint = Float(l.wetGlint) * low * shown
        sunElevationTan = Float(tan(max(el, 0.001)))
        sunIllumination = Float(l.sunIllumination) * (l.night ? 0 : min(1, Float(max(el, 0) / (8 * .pi / 180)) * 0.6 + 0.4))
        skyIllumination = Float(l.skyIllumination)
        headlightPower = Float(l.headlightPower)
        let t = Float(pose.frame) / Float(scenario.fps)
        let leftEdge = Float(r.leftEdge), rightEdge = Float(r.rightEdge)
        overheads = scenario.overheads.map { o in
            let tunnel = o.kind == .tunnel
            return OverheadState(kind: o.kind, start: Float(o.start), end: Float(o.end), height: Float(o.height),
                                 leftWall: tunnel ? leftEdge - 1.3 : leftEdge - Float(r.shoulderLeft) - 1.5,
                                 rightWall: tunnel ? rightEdge + 1.3 : rightEdge + Float(r.shoulderRight) + 1.5,
                                 faceHeight: Float(o.faceHeight), shadowShift: Float(o.shadowShift),
                                 lampSpacing: Float(max(o.lampSpacing, 1)), lampRadiance: Float(o.lampRadiance),
                                 interior: Float(o.interiorIllumination))
        }
        vehicles = scenario.vehicles.map { v in
            VehicleState(u: Float(v.u), s: Float(v.s0 + v.speed * Double(t)), halfWidth: Float(v.width / 2), height: Float(v.height),
                         length: Float(v.length), albedo: SIMD3(Float(v.albedo.0), Float(v.albedo.1), Float(v.albedo.2)),
                         oncoming: v.oncoming, lightsOn: v.lightsOn)
        }.filter { $0.s > Float(pose.s) + 2 }
        treeLines = scenario.treeLines.map { line in
            TreeState(u: Float(line.u), start: Float(line.start), end: Float(line.end), minHeight: Float(line.minHeight),
                      maxHeight: Float(line.maxHeight), albedo: SIMD3(Float(line.albedo.0), Float(line.albedo.1), Float(line.albedo.2)))
        }
        road = RoadState(leftEdge: leftEdge, rightEdge: rightEdge, laneWidth: Float(r.laneWidth))
        let a = Float(r.asphaltAlbedo)
        asphalt = SIMD3(a * Float(r.asphaltTint.0), a * Float(r.asphaltTint.1), a * Float(r.asphaltTint.2))
        shoulderLeft = Float(r.shoulderLeft)
        shoulderRight = Float(r.shoulderRight)
        guardRail = r.guardRail
        railLeft = leftEdge - Float(r.shoulderLeft) - 0.3
        railRight = rightEdge + Float(r.shoulderRight) + 0.3
        let centre = (leftEdge + rightEdge) / 2
        lampRows = r.laneCount >= 3 ? [centre - Float(r.laneWidth) * 0.5, centre + Float(r.laneWidth) * 0.5] : [centre]
    }

    /// Camera-frame direction of pixel (px, py).
    @inline(__always)
    func ray(px: Int, py: Int) -> SIMD3<Float> {
        let xn = (Float(px) + 0.5 - cx) / focal, yn = -(Float(py) + 0.5 - cy) / focal
        let xr = xn * cosRoll - yn * sinRoll, yr = xn * sinRoll + yn * cosRoll
        return SIMD3(xr, yr * cosPitch - sinPitch, yr * sinPitch + cosPitch)
    }

    func insideTunnel(_ s: Float) -> Bool {
        for o in overheads where o.kind == .tunnel && s >= o.start && s <= o.end { return true }
        return false
    }

    /// Light falling on a horizontal surface inside a tunnel: lamp pools, and daylight reaching
    /// in from each portal.
    @inline(__always)
    func tunnelIllumination(_ s: Float, _ o: OverheadState) -> Float {
        let pool = 0.5 + 0.5 * cosf(2 * .pi * (s - o.start) / o.lampSpacing)
        // Skylight reaches only a few metres in (tunnel mouths look black from outside for that).
        let daylight = (sunIllumination * 0.3 + skyIllumination) * 0.1
        return o.interior * (0.7 + 0.6 * pool) + daylight * (expf(-(s - o.start) / 2.5) + expf(-(o.end - s) / 2.5))
    }

    /// 1 where the sun reaches the ground point, 0 in the shadow of a tree line.
    func shadowFactor(u: Float, s: Float, renderer: RoadRenderer) -> Float {
        guard sunUp, sunIllumination > 0 else { return 0 }
        let sx = sunDirection.x, sz = sunDirection.z
        let horizontal = (sx * sx + sz * sz).squareRoot()
        guard horizontal > 1e-3 else { return 1 }
        for (index, line) in treeLines.enumerated() {
            let du = line.u - u
            guard du * sx > 0, abs(sx) > 0.02 else { continue }
            let distance = du / sx * horizontal        // along the ground toward the sun
            let along = s + distance * sz / horizontal
            guard along >= line.start && along < line.end else { continue }
            let needed = distance * sunElevationTan
            let canopy = renderer.canopyHeight(line: index, s: along)
            if canopy * 0.95 > needed { return 0 }
        }
        return 1
    }

    /// Own low-beam headlights on the road at lateral u, forward distance z.
    @inline(__always)
    func headlightIllumination(u: Float, z: Float) -> Float {
        guard headlightPower > 0, z > 0.5 else { return 0 }
        let angle = (u - lateral) / z
        let beam = expf(-(angle * angle) / 0.12) * expf(-powf(z / 75, 4))
        return headlightPower * beam / (z * z + 16)
    }

    /// Height profile of the hill above a tunnel portal (0…1).
    @inline(__always)
    func coarseHill(_ u: Float) -> Float { 0.5 + 0.5 * sinf(u * 0.05 + 1) }
}
