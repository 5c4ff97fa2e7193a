import Imaging

/// Grows clipped holes into the bright veil around them (`exposure.veil_level`, `veil_contrast`,
/// `veil_radius`; the analyzer builds the veil mask: bright, and no visible ridge near).
///
/// A low sun or a tunnel exit does not only clip: the sensor's bloom lays a smooth bright gradient
/// over the road beside the clipped core. There the paint is not clipped, so it is no hole by the
/// camera model's truth, yet it stands a few levels above a steep ramp and the lane detector cannot
/// find it (measured on dev-hard's real glare drive, frame 110: paint 194–198 on a ramp from 186 to
/// 200, against 86 → 233 in the clean frame). Decision 0042 measured what marking it as holes does.
///
/// A pixel joins the holes when it is in the veil mask and a path of veil pixels
/// (8-connected) leads to a saturated hole pixel within `radius` steps (chessboard distance along
/// the path). Connectivity keeps bright things beyond darker road out: paint across the lane from
/// a glare, a white car further ahead. The radius bounds how far a bright road could carry it.
///
/// One breadth-first pass from the seeds over a preallocated queue, marking each pixel as it is
/// reached: allocation-free per frame, and O(pixels reached) after two passes that find the
/// seeds. Tested against iterated one-pixel dilations gated by the veil (the definition) in
/// `Tests/ExposureTests`.
public struct VeilGrowth: Sendable {
    /// Steps from the nearest seed per pixel (UInt16.max = not reached).
    private var distance: [UInt16] = []
    private var queue: [Int32] = []

    public init() {}

    /// Adds to `holes` (0/1) every pixel of `veil` (0/1) within `radius` path steps of a pixel set
    /// in both `holes` and `seeds`. All masks have one size.
    public mutating func grow(_ holes: inout Mask, seeds: Mask, veil: Mask, radius: Int) {
        guard radius > 0 else { return }
        let w = holes.width, h = holes.height, n = w * h
        precondition(seeds.width == w && seeds.height == h && veil.width == w && veil.height == h, "VeilGrowth: masks of different sizes")
        if distance.count != n {
            distance = [UInt16](repeating: .max, count: n)
            queue = [Int32](repeating: 0, count: n)
        }
        let limit = UInt16(min(radius, Int(UInt16.max) - 1))
        holes.values.withUnsafeMutableBufferPointer { out in
            seeds.values.withUnsafeBufferPointer { seed in
                veil.values.withUnsafeBufferPointer { bright in
                    distance.withUnsafeMutableBufferPointer { dist in
                        queue.withUnsafeMutableBufferPointer { q in
                            for i in 0..<n { dist[i] = out[i] != 0 && seed[i] != 0 ? 0 : .max }
                            // Only seeds on the region's edge go in the queue: every path out of
                            // the seeds leaves through one, so the distances are those from all of
                            // them, and a clipped sun's interior (a fifth of the frame on the bench)
                            // is not visited pixel by pixel.
                            var tail = 0
                            for y in 0..<h {
                                for x in 0..<w where dist[y * w + x] == 0 {
                                    var inner = x > 0 && x < w - 1 && y > 0 && y < h - 1
                                    if inner {
                                        let a = (y - 1) * w + x, b = y * w + x, c = (y + 1) * w + x
                                        inner = dist[a - 1] == 0 && dist[a] == 0 && dist[a + 1] == 0 && dist[b - 1] == 0
                                            && dist[b + 1] == 0 && dist[c - 1] == 0 && dist[c] == 0 && dist[c + 1] == 0
                                    }
                                    if !inner {
                                        q[tail] = Int32(y * w + x)
                                        tail += 1
                                    }
                                }
                            }
                            // First in, first out: each pixel is reached first by its shortest path.
                            var head = 0
                            while head < tail {
                                let i = Int(q[head])
                                head += 1
                                let next = dist[i] + 1
                                guard next <= limit else { continue }
                                let x = i % w, y = i / w
                                for dy in -1...1 {
                                    let yy = y + dy
                                    guard yy >= 0 && yy < h else { continue }
                                    for dx in -1...1 {
                                        let xx = x + dx
                                        guard xx >= 0 && xx < w && (dx != 0 || dy != 0) else { continue }
                                        let j = yy * w + xx
                                        // Already a hole (a seed or not) or already reached: nothing to add.
                                        guard bright[j] != 0, dist[j] == .max else { continue }
                                        dist[j] = next
                                        out[j] = 1
                                        q[tail] = Int32(j)
                                        tail += 1
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
