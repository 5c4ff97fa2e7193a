import Exposure
import Foundation
import Imaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Renders a scenario's scene radiance (linear light) frame by frame: a ray per pixel against the
/// road plane, lane paint, roadside (guard rails, trees), tunnels and bridges, vehicles and the
/// sky; plus, separately, the lens glare of the sun and of headlights that only the real camera
/// sees. Rows are rendered in parallel; the result does not depend on the thread count.
public struct RoadRenderer: Sendable {
    public let scenario: Scenario
    public let size: ImageSize
    let fine: TileTexture      // asphalt grain, 2 cm texels
    let coarse: TileTexture    // stains, patches, foliage, 25 cm texels
    let clouds: TileTexture

    /// What one rendered frame holds besides the radiance.
    public struct FrameInfo: Sendable {
        public var pose: CameraPose
        /// Whether `glare` holds anything (a visible sun or headlights).
        public var hasGlare: Bool
        /// Fraction of the sun disk that is visible (0 when hidden or off screen).
        public var sunVisibility: Double
    }

    public init(scenario: Scenario, size: ImageSize) {
        self.scenario = scenario
        self.size = size
        var rng = SeededRandom(seed: scenario.seed, stream: "textures")
        fine = TileTexture(size: 256, texel: 0.02, amplitudes: [0.05, 0.06, 0.08, 0.1, 0.12, 0.1], rng: &rng)
        coarse = TileTexture(size: 256, texel: 0.25, amplitudes: [0.12, 0.1, 0.08, 0.06, 0.05], rng: &rng)
        clouds = TileTexture(size: 256, texel: 1, amplitudes: [0.5, 0.3, 0.2, 0.1], rng: &rng)
        // Tree-line canopy heights along the road, tabulated once (every 0.5 m).
        let span = scenario.motion.speed * Double(scenario.frames) / scenario.fps
        canopyOrigin = -800
        canopyCount = Int((span + 2400) / Double(RoadRenderer.canopyStep))
        var heights: [Float] = []
        for line in scenario.treeLines {
            for i in 0..<canopyCount {
                let s = Float(canopyOrigin) + Float(i) * RoadRenderer.canopyStep
                let bump = min(max(coarse.sample(s * 0.9, Float(line.u) * 3, footprint: 0.25) * 2.2 - 1.6, 0), 1)
                // Individual crowns, 4–7 m apart: rounded tops instead of a smooth ridge.
                let spacing: Float = 4 + 3 * fine.sample(Float(line.u) * 7, floorf(s / 5) * 0.37, footprint: 0.02).truncatingRemainder(dividingBy: 1)
                let phase = (s / spacing).truncatingRemainder(dividingBy: 1) * 2 - 1
                let crown = (max(1 - phase * phase, 0)).squareRoot()
                let top = Float(line.minHeight) + Float(line.maxHeight - line.minHeight) * bump
                heights.append(top * (0.78 + 0.22 * crown))
            }
        }
        canopy = TextureStorage(heights.isEmpty ? [0] : heights)
    }

    static let canopyStep: Float = 0.5
    let canopyOrigin: Float
    let canopyCount: Int
    let canopy: TextureStorage

    /// Canopy height of tree line `line` at road position s.
    @inline(__always)
    func canopyHeight(line: Int, s: Float) -> Float {
        let f = (s - canopyOrigin) / RoadRenderer.canopyStep
        let i = min(max(Int(f), 0), canopyCount - 2)
        let t = min(max(f - Float(i), 0), 1)
        let p = canopy.base + line * canopyCount + i
        return p[0] + (p[1] - p[0]) * t
    }

    // MARK: - Frame

    /// Renders frame `frame` into `radiance` and the lens glare into `glare`.
    public func render(frame: Int, into radiance: inout RadianceImage, glare: inout RadianceImage) -> FrameInfo {
        radiance.reshape(width: size.width, height: size.height)
        glare.reshape(width: size.width, height: size.height)
        let pose = CameraPose(scenario: scenario, frame: frame, size: size)
        let context = FrameContext(scenario: scenario, pose: pose, size: size)
        let w = size.width
        radiance.values.withUnsafeMutableBufferPointer { out in
            let o = SharedPointer(out.baseAddress!)
            pose.bend.withUnsafeBufferPointer { bendBuffer in
                let bend = SendableBuffer(bendBuffer)
                ParallelRows.run(rows: size.height) { rows in
                    for py in rows {
                        for px in 0..<w {
                            let ray = context.ray(px: px, py: py)
                            let c = shade(ray: ray, context: context, bend: bend.buffer)
                            let i = (py * w + px) * 3
                            o[i] = c.x
                            o[i + 1] = c.y
                            o[i + 2] = c.z
                        }
                    }
                }
            }
        }
        let sun = sunVisibility(context: context, pose: pose)
        var hasGlare = renderGlare(context: context, pose: pose, sunVisibility: sun, into: &glare)
        if context.wetGlint > 0 && sun > 0 && renderWetSheen(context: context, pose: pose, sunVisibility: Float(sun), into: &glare, adding: hasGlare) {
            hasGlare = true
        }
        return FrameInfo(pose: pose, hasGlare: hasGlare, sunVisibility: sun)
    }

    /// A wet road mirrors a low sun ahead in a broad, far brighter sheen (glare-long), while the
    /// camera sees the sun (scaled by the visible share of its disk). It goes into the glare
    /// buffer, not the radiance: the filmed frame (and its auto-exposure) sees it, the clean truth
    /// shows the road without it, so it shows what the glare hides. Returns whether any pixel got
    /// sheen (the buffer is overwritten when not `adding`).
    func renderWetSheen(context k: FrameContext, pose: CameraPose, sunVisibility: Float, into glare: inout RadianceImage, adding: Bool) -> Bool {
        guard k.sunUp && k.sunDirection.z > 0.5 && k.sunDirection.y < 0.12 && k.sunIllumination > 0 else { return false }
        let w = size.width
        let lit = SharedCounter()
        glare.values.withUnsafeMutableBufferPointer { out in
            let o = SharedPointer(out.baseAddress!)
            pose.bend.withUnsafeBufferPointer { bendBuffer in
                let bend = SendableBuffer(bendBuffer)
                ParallelRows.run(rows: size.height) { rows in
                    var any = false
                    for py in rows {
                        for px in 0..<w {
                            let i = (py * w + px) * 3
                            var a: Float = 0
                            let d = k.ray(px: px, py: py)
                            if d.y < 0 {
                                let hit = trace(ray: d, context: k, bend: bend.buffer)
                                if case .ground = hit.surface, hit.u > k.road.leftEdge - k.shoulderLeft, hit.u < k.road.rightEdge + k.shoulderRight,
                                   !k.insideTunnel(hit.s) {
                                    let n = d / (d * d).sum().squareRoot()
                                    let cosAngle = (SIMD3<Float>(n.x, -n.y, n.z) * k.sunDirection).sum()
                                    if cosAngle > 0.7 {
                                        let x = (cosAngle - 0.7) / 0.3
                                        a = k.wetGlint * x * x * x * sunVisibility
                                    }
                                }
                            }
                            if a > 0 { any = true }
                            if adding {
                                o[i] += a; o[i + 1] += a * 0.95; o[i + 2] += a * 0.85
                            } else {
                                o[i] = a; o[i + 1] = a * 0.95; o[i + 2] = a * 0.85
                            }
                        }
                    }
                    if any { lit.set() }
                }
            }
        }
        return lit.value
    }

    // MARK: - Rays

    enum Surface {
        case ground, ceiling, wall, tunnelFar, portal, bridgeFace, vehicle(Int), rail, trees(Int), sky
    }

    struct Hit {
        var t: Float = .infinity
        var surface: Surface = .sky
        var u: Float = 0
        var s: Float = 0
        var y: Float = 0
        var z: Float = 0
        var overhead: Int = -1
    }

    @inline(__always)
    func shade(ray d: SIMD3<Float>, context k: FrameContext, bend: UnsafeBufferPointer<Float>) -> SIMD3<Float> {
        let hit = trace(ray: d, context: k, bend: bend)
        var color = surfaceRadiance(hit, ray: d, context: k, bend: bend)
        if !k.night && hit.t.isFinite && !k.insideTunnel(hit.s) {
            // Aerial perspective: distant things fade toward the horizon sky.
            let haze = hit.t / (hit.t + 3000)
            color = color + (k.hazeColor - color) * haze
        }
        return color
    }

    /// Nearest surface along the ray.
    func trace(ray d: SIMD3<Float>, context k: FrameContext, bend: UnsafeBufferPointer<Float>) -> Hit {
        var hit = Hit()
        let h = k.height
        func point(_ t: Float) -> (u: Float, s: Float, y: Float, z: Float) {
            let z = t * d.z
            let x = t * d.x
            return (x - CameraPose.bend(bend, at: z) + k.lateral, k.s + z, t * d.y + h, z)
        }
        func take(_ t: Float, _ surface: Surface, overhead: Int = -1) {
            guard t > 0.05, t < hit.t else { return }
            let p = point(t)
            hit = Hit(t: t, surface: surface, u: p.u, s: p.s, y: p.y, z: p.z, overhead: overhead)
        }
        // Ground.
        var groundU: Float = .nan
        if d.y < -1e-5 && d.z > 0 {
            let t = h / -d.y
            take(t, .ground)
            groundU = hit.u
        }
        // Overheads: tunnels (ceiling, walls, portal face) and bridges (deck, face, abutments).
        for (index, o) in k.overheads.enumerated() where o.end > k.s - 5 && o.start < k.s + 600 {
            // Ceiling / deck underside.
            if d.y > 1e-5 {
                let t = (o.height - h) / d.y
                if t < hit.t {
                    let p = point(t)
                    if p.s >= o.start && p.s <= o.end && (o.kind == .bridge || (p.u > o.leftWall && p.u < o.rightWall)) {
                        take(t, .ceiling, overhead: index)
                    }
                }
            }
            // Face at s = start, seen from before it.
            if k.s < o.start && d.z > 0 {
                let t = (o.start - k.s) / d.z
                if t < hit.t {
                    let p = point(t)
                    switch o.kind {
                    case .tunnel:
                        let inOpening = p.u > o.leftWall && p.u < o.rightWall && p.y >= 0 && p.y < o.height
                        if !inOpening && p.y >= 0 && p.y < o.height + o.faceHeight + 6 * (k.coarseHill(p.u)) && abs(p.u) < 120 {
                            take(t, .portal, overhead: index)
                        }
                    case .bridge:
                        let deck = p.y >= o.height && p.y < o.height + o.faceHeight
                        let abutment = (p.u < o.leftWall || p.u > o.rightWall) && p.y >= 0 && p.y < o.height + o.faceHeight
                        if (deck || abutment) && abs(p.u) < 150 { take(t, .bridgeFace, overhead: index) }
                    }
                }
            }
            // Side walls (tunnel) / abutments (bridge) between start and end.
            for side in 0..<2 {
                let wall = side == 0 ? o.leftWall : o.rightWall
                if let t = wallHit(d, wallU: wall, context: k, bend: bend), t < hit.t {
                    let p = point(t)
                    if p.s >= o.start && p.s <= o.end && p.y >= 0 && p.y <= o.height { take(t, .wall, overhead: index) }
                }
            }
        }
        // A ray that entered a tunnel (or starts inside one) and got past its far end without
        // meeting a wall — the bend makes far walls hard to intersect exactly — either leaves through
        // the far opening or meets the tunnel's end wall there.
        for (index, o) in k.overheads.enumerated() where o.kind == .tunnel && o.end > k.s && d.z > 1e-4 {
            let throughEntry: Bool
            if k.s >= o.start {
                throughEntry = true
            } else {
                let te = (o.start - k.s) / d.z
                let p = point(te)
                throughEntry = te < hit.t && p.u > o.leftWall && p.u < o.rightWall && p.y >= 0 && p.y < o.height
            }
            guard throughEntry else { continue }
            let tx = (o.end - k.s) / d.z
            guard tx < hit.t || hit.t == .infinity else { continue }
            let p = point(tx)
            let inExit = p.u > o.leftWall && p.u < o.rightWall && p.y >= 0 && p.y < o.height
            if !inExit { take(tx - 0.01, o.end - k.s > 250 ? .tunnelFar : (p.y >= o.height ? .ceiling : (p.y < 0 ? .ground : .wall)), overhead: index) }
        }
        // Vehicles: the face toward the camera (rear, or front of oncoming cars).
        if d.z > 0 {
            for (index, v) in k.vehicles.enumerated() {
                let face = v.oncoming ? v.s : v.s
                let t = (face - k.s) / d.z
                guard t > 0.5, t < hit.t else { continue }
                let p = point(t)
                if abs(p.u - v.u) < v.halfWidth && p.y >= 0 && p.y < v.height { take(t, .vehicle(index)) }
            }
        }
        // Roadside: guard rails and tree lines, only where the ground hit lies beyond them (or
        // the ray never meets the ground).
        let beyondLeft = groundU.isNaN || groundU < k.railLeft, beyondRight = groundU.isNaN || groundU > k.railRight
        if k.guardRail && d.y < 0 {
            for side in 0..<2 {
                let wall = side == 0 ? k.railLeft : k.railRight
                guard side == 0 ? beyondLeft : beyondRight else { continue }
                if let t = wallHit(d, wallU: wall, context: k, bend: bend), t < hit.t {
                    let p = point(t)
                    let post = fmodf(p.s + 1000, 2) < 0.12
                    if (p.y >= 0.45 && p.y < 0.8) || (post && p.y >= 0 && p.y < 0.8) {
                        if !k.insideTunnel(p.s) { take(t, .rail) }
                    }
                }
            }
        }
        for (index, line) in k.treeLines.enumerated() {
            let beyond = line.u < 0 ? (groundU.isNaN || groundU < line.u) : (groundU.isNaN || groundU > line.u)
            guard beyond, let t = wallHit(d, wallU: line.u, context: k, bend: bend), t < hit.t else { continue }
            let p = point(t)
            guard p.s >= line.start && p.s < line.end && p.y >= 0 && !k.insideTunnel(p.s) else { continue }
            let canopy = canopyHeight(line: index, s: p.s)
            let ragged = canopy * (0.85 + 0.3 * fine.sample(p.s * 3, p.y * 3, footprint: 0.02 * max(t / k.focal * 50, 1)))
            if p.y < ragged { take(t, .trees(index)) }
        }
        return hit
    }

    /// Forward distance… as ray parameter t where the ray meets the vertical surface u = wallU that
    /// follows the road's bend; fixed-point iteration on z.
    @inline(__always)
    func wallHit(_ d: SIMD3<Float>, wallU: Float, context k: FrameContext, bend: UnsafeBufferPointer<Float>) -> Float? {
        guard d.z > 1e-4 else { return nil }
        let a = d.x / d.z
        let target = wallU - k.lateral
        var z: Float = 10
        for _ in 0..<4 {
            let x = target + CameraPose.bend(bend, at: z)
            guard abs(a) > 1e-6 else { return nil }
            let next = x / a
            guard next > 0 else { return nil }
            z = min(next, 5000)
        }
        let residual = a * z - (target + CameraPose.bend(bend, at: z))
        guard abs(residual) < 0.05 + 0.002 * z else { return nil }
        return z / d.z
    }

    // MARK: - Materials

    func surfaceRadiance(_ hit: Hit, ray d: SIMD3<Float>, context k: FrameContext, bend: UnsafeBufferPointer<Float>) -> SIMD3<Float> {
        let footprint = max(hit.t / k.focal, 0.002)
        switch hit.surface {
        case .ground:
            return groundRadiance(u: hit.u, s: hit.s, z: hit.z, footprint: footprint, grazing: footprint * hit.t / max(k.height, 0.5), ray: d, context: k)
        case .ceiling:
            let o = k.overheads[hit.overhead]
            if o.kind == .bridge {
                return SIMD3(0.3, 0.3, 0.29) * (k.skyIllumination * 0.12) * coarse.sample(hit.u, hit.s, footprint: footprint)
            }
            // Lamp rows over the lane lines.
            var lamp = false
            for lampU in k.lampRows where abs(hit.u - lampU) < 0.2 {
                if fmodf(hit.s - o.start + 1000 * o.lampSpacing, o.lampSpacing) < 1.4 { lamp = true }
            }
            if lamp { return SIMD3(1.0, 0.92, 0.75) * o.lampRadiance }
            return SIMD3(0.2, 0.2, 0.2) * k.tunnelIllumination(hit.s, o) * 0.6 * coarse.sample(hit.u, hit.s, footprint: footprint)
        case .wall:
            let o = k.overheads[hit.overhead]
            if o.kind == .bridge {
                return SIMD3(0.35, 0.34, 0.32) * (k.skyIllumination * 0.25) * coarse.sample(hit.s, hit.y, footprint: footprint)
            }
            let tiles = hit.y < 1 ? Float(0.12) : (fmodf(hit.y * 4, 1) < 0.06 || fmodf(hit.s * 4 + 100, 1) < 0.06 ? 0.2 : 0.35)
            return SIMD3(1, 0.97, 0.9) * tiles * k.tunnelIllumination(hit.s, o) * 0.8 * coarse.sample(hit.s, hit.y * 2, footprint: footprint)
        case .tunnelFar:
            // Deep inside a long tunnel: lamp-lit walls, far away.
            let o = k.overheads[hit.overhead]
            return SIMD3(0.25, 0.24, 0.22) * o.interior
        case .portal:
            let o = k.overheads[hit.overhead]
            let nearOpening = hit.y < o.height + 2.5 && hit.u > o.leftWall - 2.5 && hit.u < o.rightWall + 2.5
            let light = k.sunIllumination * 0.55 + k.skyIllumination
            let tex = coarse.sample(hit.u, hit.y, footprint: footprint)
            if nearOpening { return SIMD3(0.38, 0.37, 0.35) * light * tex }
            return SIMD3(0.09, 0.1, 0.07) * light * tex * fine.sample(hit.u * 0.2, hit.y * 0.2, footprint: footprint)
        case .bridgeFace:
            let light = k.sunIllumination * 0.4 + k.skyIllumination
            return SIMD3(0.4, 0.39, 0.37) * light * coarse.sample(hit.u, hit.y * 2, footprint: footprint)
        case .vehicle(let index):
            return vehicleRadiance(k.vehicles[index], u: hit.u, y: hit.y, context: k)
        case .rail:
            return SIMD3(0.42, 0.43, 0.45) * (k.sunIllumination * 0.5 + k.skyIllumination) * k.shadowFactor(u: hit.u, s: hit.s, renderer: self) 
        case .trees(let index):
            let line = k.treeLines[index]
            let tex = coarse.sample(hit.s * 2, hit.y * 2, footprint: footprint) * fine.sample(hit.s, hit.y, footprint: footprint)
            // Foliage clumps catch the sun unevenly; the lower trunks and undergrowth sit in shade.
            let clumps = coarse.sample(hit.s * 6 + 50, hit.y * 6, footprint: footprint)
            let sunny = k.sunIllumination * 0.5 * max(0, (clumps - 0.9) * 4 + 0.5)
            let height = min(hit.y / 4, 1)
            return line.albedo * (sunny * height + k.skyIllumination * (0.5 + 0.5 * height)) * tex
        case .sky:
            return skyRadiance(d, context: k)
        }
    }

    func skyRadiance(_ d: SIMD3<Float>, context k: FrameContext) -> SIMD3<Float> {
        let len = (d * d).sum().squareRoot()
        let n = d / len
        let elevation = max(n.y, 0)  // sin(elevation) ≈ elevation where the gradient matters
        let e = elevation / 0.22
        var l = k.skyZenith + (k.skyHorizon - k.skyZenith) / (1 + e + 0.5 * e * e)
        if k.clouds > 0 {
            let az = n.x / max(n.z, 0.2) + k.headingAngle
            let c = clouds.sample(az * 40, max(elevation, 0.02) * 60, footprint: 1)
            l *= 1 + k.clouds * max(c - 0.9, 0) * 3
        }
        var color = SIMD3<Float>(0.78, 0.9, 1.12) * l
        if k.sunUp {
            let cosAngle = (n * k.sunDirection).sum()
            // Small-angle: angle² ≈ 2 (1 − cos).
            let angle = (2 * max(1 - cosAngle, 0)).squareRoot()
            if angle < k.sunRadius && k.sunRadiance > 0 {
                return SIMD3(1, 0.97, 0.9) * k.sunRadiance
            }
            // Aureole: forward scattering around the sun, strongest for a low sun.
            let ratio = k.sunRadius / max(angle, k.sunRadius)
            let a: Float = angle / 0.15
            let aureole: Float = k.sunRadiance * 0.0008 * ratio * ratio
            let glow: Float = k.skyHorizon * 0.6 / (1 + a + 0.5 * a * a)
            color += SIMD3<Float>(1, 0.92, 0.78) * (aureole + glow)
        }
        return color
    }

    func groundRadiance(u: Float, s: Float, z: Float, footprint: Float, grazing: Float, ray d: SIMD3<Float>, context k: FrameContext) -> SIMD3<Float> {
        let road = k.road
        var albedo: SIMD3<Float>
        let asphaltTex = fine.sample(u, s, footprint: footprint) * coarse.sample(u * 0.7, s * 0.35, footprint: footprint)
        if u > road.leftEdge - 0.4 && u < road.rightEdge + 0.4 {
            // Asphalt, darker in the tyre tracks of each lane, with patches.
            var a = k.asphalt * asphaltTex
            let laneU = u - road.leftEdge
            let inLane = laneU - floorf(laneU / road.laneWidth) * road.laneWidth
            let track = min(abs(inLane - road.laneWidth * 0.27), abs(inLane - road.laneWidth * 0.73))
            if track < 0.35 { a *= 0.9 + 0.1 * track / 0.35 }
            let patch = coarse.sample(u * 0.05 + 31, s * 0.02, footprint: 0.25)
            if patch > 1.12 { a *= 0.82 } else if patch < 0.86 { a *= 1.1 }
            albedo = a
            // Paint: the nearest line, antialiased across (footprint) and along (dash ends).
            let paint = paintCoverage(u: u, s: s, footprint: footprint, along: max(grazing, footprint))
            if paint.coverage > 0 {
                albedo = albedo + (paint.color - albedo) * paint.coverage
            }
        } else if u > road.leftEdge - k.shoulderLeft && u < road.rightEdge + k.shoulderRight {
            albedo = k.asphalt * 1.15 * asphaltTex * fine.sample(u * 2 + 7, s * 2, footprint: footprint)
        } else {
            let grass = coarse.sample(u * 2, s * 0.5, footprint: footprint) * fine.sample(u * 3, s * 3, footprint: footprint)
            albedo = SIMD3(0.07, 0.1, 0.045) * grass
        }
        var light = k.skyIllumination
        if k.sunIllumination > 0 {
            light += k.sunIllumination * k.shadowFactor(u: u, s: s, renderer: self)
        }
        for (index, o) in k.overheads.enumerated() where s >= o.start - 40 && s <= o.end + 40 {
            _ = index
            if o.kind == .tunnel && s >= o.start && s <= o.end {
                light = k.tunnelIllumination(s, o)
            } else if o.kind == .bridge {
                let a = o.start + o.shadowShift, b = o.end + o.shadowShift
                // Penumbra of about a metre at each end of the shadow band.
                let inside = min(max((s - a) + 0.5, 0), 1) * min(max((b - s) + 0.5, 0), 1)
                if inside > 0 {
                    let under = k.skyIllumination * (s >= o.start && s <= o.end ? 0.12 : 0.5)
                    light = light + (under - light) * inside
                }
            }
        }
        if k.night {
            light += k.headlightIllumination(u: u, z: z)
        }
        for v in k.vehicles {
            if !v.oncoming && s >= v.s - 0.3 && s <= v.s + v.length && abs(u - v.u) < v.halfWidth + 0.15 {
                light = min(light, k.skyIllumination * 0.3)
            }
            if v.oncoming && v.lightsOn && s < v.s {
                let dist = v.s - s, side = u - v.u
                let spread = 0.3 * dist + 1
                light += 8 * expf(-(side * side) / (spread * spread)) / (dist * dist + 25)
            }
        }
        var color = albedo * light
        // Low sun: the road's sheen toward the sun (forward scattering off the asphalt).
        if k.sunUp && k.sunDirection.z > 0.5 && k.sunDirection.y < 0.12 && k.sunIllumination > 0 {
            let n = d / (d * d).sum().squareRoot()
            let mirror = SIMD3<Float>(n.x, -n.y, n.z)
            let cosAngle = (mirror * k.sunDirection).sum()
            if cosAngle > 0.9 {
                let lobe = powf((cosAngle - 0.9) / 0.1, 6)
                color += SIMD3(1, 0.93, 0.8) * (k.sunGlint * lobe * k.shadowFactor(u: u, s: s, renderer: self))
            }
        }
        return color
    }

    func paintCoverage(u: Float, s: Float, footprint: Float, along: Float) -> (coverage: Float, color: SIMD3<Float>) {
        let lines = scenario.road.lines
        let road = scenario.road
        let index = min(max(Int(((Double(u) - road.leftEdge) / road.laneWidth).rounded()), 0), lines.count - 1)
        let line = lines[index]
        guard line.style != .none else { return (0, .zero) }
        let half = Float(line.width) / 2
        let du = abs(u - Float(line.u))
        var coverage = min(max((half - du) / footprint + 0.5, 0), 1) * min(1, Float(line.width) / footprint)
        guard coverage > 0 else { return (0, .zero) }
        if line.style == .dashed {
            let p = fmodf(s + Float(line.phase) + 12_000, 12)
            // Distance into the 3 m dash, antialiased over the along-road footprint.
            let inside = min(p, 3 - p)
            let dash = p < 3 ? min(max(inside / along + 0.5, 0), 1) : min(max(0.5 - min(p - 3, 12 - p) / along, 0), 1)
            coverage *= min(1, max(dash, along > 12 ? 0.25 : 0))
        }
        if line.wear > 0 {
            let worn = fine.sample(s * 0.8 + Float(index) * 13, u * 4, footprint: footprint * 0.5)
            coverage *= max(0, 1 - Float(line.wear) * max(0, (1.05 - worn) * 6))
        }
        var color: SIMD3<Float> = line.yellow ? SIMD3(0.55, 0.42, 0.1) : SIMD3(0.62, 0.62, 0.6)
        if scenario.lighting.night { color *= 2.5 }  // retroreflective beads under headlights
        return (coverage, color)
    }

    func vehicleRadiance(_ v: FrameContext.VehicleState, u: Float, y: Float, context k: FrameContext) -> SIMD3<Float> {
        let x = u - v.u
        let light = k.sunIllumination * 0.35 + k.skyIllumination + (k.night ? k.headlightIllumination(u: u, z: v.s - k.s) * 0.5 : 0)
        if y < 0.32 { return SIMD3(0.02, 0.02, 0.02) * light }
        if v.oncoming {
            for lamp in 0..<2 {
                let side: Float = lamp == 0 ? -1 : 1
                let dx = x - side * (v.halfWidth - 0.3), dy = y - 0.65
                if v.lightsOn && dx * dx + dy * dy < 0.012 { return SIMD3(1, 0.97, 0.9) * 4000 }
            }
            if y > 0.95 && y < v.height - 0.1 { return SIMD3(0.03, 0.03, 0.035) * light }
            return v.albedo * light
        }
        if y > 0.62 * v.height && y < v.height - 0.08 && v.height < 2 { return SIMD3(0.04, 0.045, 0.05) * light }
        if abs(x) > v.halfWidth - 0.3 && y > 0.7 && y < 0.95 {
            return k.night || v.lightsOn ? SIMD3(3, 0.25, 0.12) : SIMD3(0.45, 0.05, 0.03) * light
        }
        if y > 0.4 && y < 0.52 && abs(x) < 0.3 { return SIMD3(0.7, 0.7, 0.68) * light }  // number plate
        return v.albedo * light
    }

    // MARK: - Sun and glare

    /// Share of the sun disk's rays that reach the sky (trees and tunnels hide it).
    func sunVisibility(context k: FrameContext, pose: CameraPose) -> Double {
        guard k.sunUp else { return 0 }
        let dir = k.sunDirection
        guard let centre = pose.project(x: Double(dir.x), y: Double(dir.y), z: Double(dir.z)) else { return 0 }
        let radiusPx = Double(k.sunRadius) * pose.focal
        let r = Int(radiusPx.rounded(.up)) + 1
        var total = 0, visible = 0
        pose.bend.withUnsafeBufferPointer { bend in
            for py in (Int(centre.y) - r)...(Int(centre.y) + r) {
                for px in (Int(centre.x) - r)...(Int(centre.x) + r) {
                    let d = k.ray(px: px, py: py)
                    let n = d / (d * d).sum().squareRoot()
                    guard acosf(min(max((n * dir).sum(), -1), 1)) < k.sunRadius else { continue }
                    total += 1
                    if case .sky = trace(ray: d, context: k, bend: bend).surface { visible += 1 }
                }
            }
        }
        // Off-screen parts of the disk count as hidden for the lens (no flare from outside the view).
        let inside = (centre.x >= 0 && centre.x < Double(size.width) && centre.y >= 0 && centre.y < Double(size.height))
        return total == 0 || !inside ? 0 : Double(visible) / Double(total)
    }

    /// Lens glare (veiling glare around bright sources, and diffraction streaks), in radiance.
    func renderGlare(context k: FrameContext, pose: CameraPose, sunVisibility: Double, into glare: inout RadianceImage) -> Bool {
        var sources: [(x: Float, y: Float, amplitude: Float, tint: SIMD3<Float>, streaks: Float)] = []
        let w = Float(size.width)
        if sunVisibility > 0, let p = pose.project(x: Double(k.sunDirection.x), y: Double(k.sunDirection.y), z: Double(k.sunDirection.z)) {
            sources.append((Float(p.x), Float(p.y), Float(sunVisibility) * k.sunGlare, SIMD3(1, 0.93, 0.8), 1))
        }
        for v in k.vehicles where v.oncoming && v.lightsOn {
            let dist = v.s - k.s
            guard dist > 1 else { continue }
            for side: Float in [-1, 1] {
                if let p = pose.project(u: Double(v.u + side * (v.halfWidth - 0.3)), z: Double(dist), y: 0.65) {
                    let amplitude = 2.5 / (1 + (dist / 15) * (dist / 15))
                    sources.append((Float(p.x), Float(p.y), amplitude, SIMD3(1, 0.97, 0.92), 0.25))
                }
            }
        }
        guard !sources.isEmpty else { return false }
        let width = size.width
        let list = sources
        glare.values.withUnsafeMutableBufferPointer { out in
            let o = SharedPointer(out.baseAddress!)
            ParallelRows.run(rows: size.height) { rows in
                for py in rows {
                    for px in 0..<width {
                        var g = SIMD3<Float>(0, 0, 0)
                        for src in list {
                            let dx = Float(px) - src.x, dy = Float(py) - src.y
                            let r = (dx * dx + dy * dy).squareRoot() / w
                            // Core halo, wide veil, and six streaks.
                            var a = src.amplitude * (expf(-r / 0.03) + 0.06 * expf(-r / 0.15) + 0.008 * expf(-r / 0.5))
                            if src.streaks > 0 && r > 0.004 {
                                let angle = atan2f(dy, dx) * 3 + 0.4
                                let across = abs(sinf(angle)) * r * w  // distance to the nearest streak, px
                                a += src.amplitude * src.streaks * 0.35 * expf(-across * across / 3) * expf(-r / 0.12)
                            }
                            g += src.tint * a
                        }
                        let i = (py * width + px) * 3
                        o[i] = g.x
                        o[i + 1] = g.y
                        o[i + 2] = g.z
                    }
                }
            }
        }
        return true
    }
}

/// A buffer pointer that can cross into parallel row bands (read-only use).
struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<T>
    init(_ buffer: UnsafeBufferPointer<T>) { self.buffer = buffer }
}

/// A flag any parallel row band may raise.
final class SharedCounter: @unchecked Sendable {
    private var flag = false
    private let lock = NSLock()
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}
