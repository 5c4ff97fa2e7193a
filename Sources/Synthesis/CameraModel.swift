import Imaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The camera of exposure.md, in linear light: sensor value v = E·L, bloom (the excess above 1
/// spreads to neighbours), shot and read noise, clipping to [0, 1], a response curve with a soft
/// shoulder, 8-bit quantization. It also reports the truth holes: every pixel the frame clipped
/// or pushed below a signal-to-noise floor.
///
/// Two ways to develop the same radiance:
/// - `.sensor`: the real camera (degraded frames);
/// - `.ideal`: the same scene at the converged exposure through a camera whose highlights roll
///   off instead of clipping and with no lens glare (clean frames). Pixels below the roll-off
///   knee come out identical to `.sensor` at the same exposure and noise.
public struct CameraModel: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Shot-noise variance per unit of sensor value (σ² = shotNoise·v).
        public var shotNoise: Float
        /// Read-noise standard deviation, in sensor units.
        public var readNoise: Float
        /// Fraction of the above-white excess that spreads to neighbours as bloom.
        public var bloomStrength: Float
        /// Bloom spread (box-blur radius of three passes), as a fraction of the image width.
        public var bloomRadius: Float
        /// Response shoulder: y = sRGB((1 + c)·v / (v + c)); smaller c = stronger shoulder.
        public var shoulder: Float
        /// A pixel whose signal-to-noise ratio is below this is crushed (a hole).
        public var snrFloor: Float
        /// `.ideal` only: sensor values above this knee roll off smoothly toward 1 (never reaching it).
        public var idealKnee: Float

        public init(shotNoise: Float = 0.0002, readNoise: Float = 0.0012, bloomStrength: Float = 0.35,
                    bloomRadius: Float = 0.006, shoulder: Float = 1.0, snrFloor: Float = 3, idealKnee: Float = 0.6) {
            self.shotNoise = shotNoise
            self.readNoise = readNoise
            self.bloomStrength = bloomStrength
            self.bloomRadius = bloomRadius
            self.shoulder = shoulder
            self.snrFloor = snrFloor
            self.idealKnee = idealKnee
        }

        /// Sensor value below which the signal-to-noise ratio falls under `snrFloor`:
        /// v² = s²·(shot·v + read²) solved for v.
        public var crushLevel: Float {
            let s2 = snrFloor * snrFloor
            return (s2 * shotNoise + (s2 * s2 * shotNoise * shotNoise + 4 * s2 * readNoise * readNoise).squareRoot()) / 2
        }
    }

    public enum Mode: Sendable { case sensor, ideal }

    public let parameters: Parameters
    public let size: ImageSize
    public let seed: UInt64
    private let noise: NoiseTable
    /// Sensor value in [0, 1] (in 1/lutScale steps) → 8-bit code, response curve applied.
    private let responseLUT: [UInt8]
    private static let lutScale = 16383
    // Bloom works on a grid of blockSize² blocks: the spread is wide and smooth, so a coarse grid
    // loses nothing visible and costs a fraction of a full-resolution blur.
    private static let blockSize = 4
    private let gridWidth: Int, gridHeight: Int
    private var grid: [Float], gridScratch: [Float]
    private var sensor: [Float]

    public init(parameters: Parameters = .init(), size: ImageSize, seed: UInt64) {
        self.parameters = parameters
        self.size = size
        self.seed = seed
        noise = NoiseTable(seed: seed)
        let c = parameters.shoulder
        responseLUT = (0...CameraModel.lutScale).map { i in
            let v = Float(i) / Float(CameraModel.lutScale)
            let toned = (1 + c) * v / (v + c)
            return UInt8(min(max(ColorConversion.linearToSRGB(toned) * 255 + 0.5, 0), 255))
        }
        gridWidth = (size.width + CameraModel.blockSize - 1) / CameraModel.blockSize
        gridHeight = (size.height + CameraModel.blockSize - 1) / CameraModel.blockSize
        grid = [Float](repeating: 0, count: gridWidth * gridHeight * 3)
        gridScratch = grid
        sensor = [Float](repeating: 0, count: size.pixelCount * 3)
    }

    /// The 8-bit code the response curve gives a sensor value in [0, 1] (no noise).
    public func code(forSensorValue v: Float) -> UInt8 {
        responseLUT[Int(min(max(v, 0), 1) * Float(CameraModel.lutScale) + 0.5)]
    }

    /// Develops `radiance` (plus `glare`, lens flare that only the real camera sees, when given)
    /// at `exposure` into `image`. With `holes`, writes the truth mask (1 = clipped or crushed).
    /// Frame `frame` selects the noise; the same frame developed twice gets the same noise.
    /// Allocation-free once `image` and `holes` have the camera's size.
    public mutating func develop(_ radiance: RadianceImage, glare: RadianceImage? = nil, exposure: Double, frame: Int,
                                 mode: Mode, into image: inout RGBImage, holes: inout Mask) {
        holes.reshape(width: size.width, height: size.height, fill: 0)
        holes.values.withUnsafeMutableBufferPointer { h in
            develop(radiance, glare: glare, exposure: exposure, frame: frame, mode: mode, into: &image, holePointer: h.baseAddress!)
        }
    }

    /// `develop` without the truth mask.
    public mutating func develop(_ radiance: RadianceImage, glare: RadianceImage? = nil, exposure: Double, frame: Int,
                                 mode: Mode, into image: inout RGBImage) {
        develop(radiance, glare: glare, exposure: exposure, frame: frame, mode: mode, into: &image, holePointer: nil)
    }

    private mutating func develop(_ radiance: RadianceImage, glare: RadianceImage?, exposure: Double, frame: Int,
                                  mode: Mode, into image: inout RGBImage, holePointer holes: UnsafeMutablePointer<UInt8>?) {
        precondition(radiance.width == size.width && radiance.height == size.height, "radiance size differs from the camera's")
        image.reshape(width: size.width, height: size.height)
        let w = size.width, h = size.height
        let e = Float(exposure)
        let p = parameters
        let key = NoiseTable.frameKey(seed: seed, frame: frame)
        let crush = p.crushLevel
        let knee = p.idealKnee
        let addBloom = mode == .sensor && p.bloomStrength > 0
        sensor.withUnsafeMutableBufferPointer { sensorBuffer in
            let sv = SharedPointer(sensorBuffer.baseAddress!)
            // Without glare the radiance itself stands in for the glare buffer (never read).
            let glareValues = mode == .sensor ? glare?.values : nil
            let hasGlare = glareValues != nil
            radiance.values.withUnsafeBufferPointer { rad in
              (glareValues ?? radiance.values).withUnsafeBufferPointer { gla in
                let r = SharedPointer(UnsafeMutablePointer(mutating: rad.baseAddress!))
                let g = SharedPointer(UnsafeMutablePointer(mutating: gla.baseAddress!))
                ParallelRows.run(rows: h) { rows in
                    for i in (rows.lowerBound * w * 3)..<(rows.upperBound * w * 3) {
                        var v = e * (hasGlare ? r[i] + g[i] : r[i])
                        if mode == .ideal && v > knee {
                            // Smooth roll-off with slope 1 at the knee, asymptote 1.
                            v = knee + (1 - knee) * tanhf((v - knee) / (1 - knee))
                        }
                        sv[i] = v
                    }
                }
              }
            }
        }
        if addBloom { computeBloom() }
        let gw = gridWidth, gh = gridHeight, block = CameraModel.blockSize
        let strength = p.bloomStrength
        let shot = p.shotNoise, read = p.readNoise
        let lutScale = Float(CameraModel.lutScale)
        sensor.withUnsafeBufferPointer { sensorBuffer in
            grid.withUnsafeBufferPointer { gridBuffer in
                noise.values.withUnsafeBufferPointer { noiseBuffer in
                    responseLUT.withUnsafeBufferPointer { lutBuffer in
                        image.pixels.withUnsafeMutableBufferPointer { out in
                            let sv = sensorBuffer.baseAddress!, gb = gridBuffer.baseAddress!
                            let nz = noiseBuffer.baseAddress!, lut = lutBuffer.baseAddress!
                            let o = SharedPointer(out.baseAddress!)
                            let holePtr = holes.map(SharedPointer.init)
                            let send = SendableBox((sv, gb, nz, lut))
                            ParallelRows.run(rows: h) { rows in
                                let (sv, gb, nz, lut) = send.value
                                for y in rows {
                                    // Bilinear position of this row in the bloom grid (block centres).
                                    let gy = (Float(y) + 0.5) / Float(block) - 0.5
                                    let gy0 = min(max(Int(floorf(gy)), 0), gh - 1), gy1 = min(gy0 + 1, gh - 1)
                                    let wy = min(max(gy - Float(gy0), 0), 1)
                                    for x in 0..<w {
                                        let pixel = y * w + x
                                        let base = pixel * 3
                                        var bloom: (Float, Float, Float) = (0, 0, 0)
                                        if addBloom {
                                            let gx = (Float(x) + 0.5) / Float(block) - 0.5
                                            let gx0 = min(max(Int(floorf(gx)), 0), gw - 1), gx1 = min(gx0 + 1, gw - 1)
                                            let wx = min(max(gx - Float(gx0), 0), 1)
                                            let a = (gy0 * gw + gx0) * 3, b = (gy0 * gw + gx1) * 3
                                            let c = (gy1 * gw + gx0) * 3, d = (gy1 * gw + gx1) * 3
                                            func lerp(_ k: Int) -> Float {
                                                let top = gb[a + k] + (gb[b + k] - gb[a + k]) * wx
                                                let bottom = gb[c + k] + (gb[d + k] - gb[c + k]) * wx
                                                return strength * (top + (bottom - top) * wy)
                                            }
                                            bloom = (lerp(0), lerp(1), lerp(2))
                                        }
                                        let v0 = sv[base] + bloom.0, v1 = sv[base + 1] + bloom.1, v2 = sv[base + 2] + bloom.2
                                        // One hash per pixel; three 16-bit slices address the three channels' noise.
                                        let hash = SeededRandom.mix(key ^ UInt64(truncatingIfNeeded: pixel))
                                        let n0 = nz[Int(hash & 0xFFFF)], n1 = nz[Int((hash >> 16) & 0xFFFF)], n2 = nz[Int((hash >> 32) & 0xFFFF)]
                                        @inline(__always) func noisy(_ v: Float, _ n: Float) -> Float {
                                            let sigma = (shot * max(v, 0) + read * read).squareRoot()
                                            return min(max(v + sigma * n, 0), 1)
                                        }
                                        let q0 = noisy(v0, n0), q1 = noisy(v1, n1), q2 = noisy(v2, n2)
                                        o[base] = lut[Int(q0 * lutScale + 0.5)]
                                        o[base + 1] = lut[Int(q1 * lutScale + 0.5)]
                                        o[base + 2] = lut[Int(q2 * lutScale + 0.5)]
                                        if let holePtr {
                                            let luminance = 0.2126 * v0 + 0.7152 * v1 + 0.0722 * v2
                                            holePtr[pixel] = (luminance >= 1 || luminance < crush) ? 1 : 0
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Bloom source: per block, the mean excess above 1, then three box-blur passes (≈ Gaussian).
    private mutating func computeBloom() {
        let w = size.width, h = size.height, gw = gridWidth, gh = gridHeight, block = CameraModel.blockSize
        let radius = max(1, Int((parameters.bloomRadius * Float(w) / Float(block)).rounded()))
        sensor.withUnsafeBufferPointer { sv in
            grid.withUnsafeMutableBufferPointer { g in
                for i in 0..<g.count { g[i] = 0 }
                for y in 0..<h {
                    let gy = y / block
                    for x in 0..<w {
                        let gi = (gy * gw + x / block) * 3, si = (y * w + x) * 3
                        // Excess compressed above ~8× white: a lamp's charge spill saturates, so
                        // very bright points bloom into a soft disc rather than the blur kernel's box.
                        g[gi] += CameraModel.spill(sv[si])
                        g[gi + 1] += CameraModel.spill(sv[si + 1])
                        g[gi + 2] += CameraModel.spill(sv[si + 2])
                    }
                }
                let norm = 1 / Float(block * block)
                for i in 0..<g.count { g[i] *= norm }
            }
        }
        for _ in 0..<3 {
            CameraModel.boxBlur(&grid, &gridScratch, width: gw, height: gh, radius: radius)
        }
    }

    @inline(__always)
    static func spill(_ v: Float) -> Float {
        let excess = max(v - 1, 0)
        return excess / (1 + excess / 8)
    }

    /// Separable box blur of an RGB float grid (edges clamp), result back in `data`.
    static func boxBlur(_ data: inout [Float], _ scratch: inout [Float], width: Int, height: Int, radius: Int) {
        let norm = 1 / Float(2 * radius + 1)
        data.withUnsafeMutableBufferPointer { d in
            scratch.withUnsafeMutableBufferPointer { s in
                for y in 0..<height {
                    for c in 0..<3 {
                        var acc: Float = 0
                        for k in -radius...radius { acc += d[(y * width + min(max(k, 0), width - 1)) * 3 + c] }
                        for x in 0..<width {
                            s[(y * width + x) * 3 + c] = acc * norm
                            acc += d[(y * width + min(x + radius + 1, width - 1)) * 3 + c]
                            acc -= d[(y * width + max(x - radius, 0)) * 3 + c]
                        }
                    }
                }
                for x in 0..<width {
                    for c in 0..<3 {
                        var acc: Float = 0
                        for k in -radius...radius { acc += s[(min(max(k, 0), height - 1) * width + x) * 3 + c] }
                        for y in 0..<height {
                            d[(y * width + x) * 3 + c] = acc * norm
                            acc += s[(min(y + radius + 1, height - 1) * width + x) * 3 + c]
                            acc -= s[(max(y - radius, 0) * width + x) * 3 + c]
                        }
                    }
                }
            }
        }
    }
}

/// Carries non-Sendable values (raw pointers) into parallel row bands; see `SharedPointer`.
struct SendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
