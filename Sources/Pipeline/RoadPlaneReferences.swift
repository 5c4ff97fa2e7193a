import Foundation
import Imaging
import Lanes

/// Filmed frames kept with their road-plane poses, and the road-plane paste (`restorer.align:
/// road-plane`).
///
/// **Memory (seconds, filmed frames only).** A frame is a candidate every `stride` seconds and
/// is kept when it shows some road (at least `minRoadShare` of the road region valid). The newest
/// `recent` candidates are kept whatever their holes — during an event they are the freshest view
/// of whatever road is still visible. A frame leaving that ring moves to the `kept` pool when it
/// is at least as well exposed (road hole share) as the worst frame there (which it replaces; the
/// older among equals), so the well-exposed frames from before a blowout stay for its whole
/// length. A reference is dropped once it is `maxAge` seconds old or the car has driven past all
/// the road it showed (`reach`: forward travel beyond the profile's road rectangle's far end
/// less the near road's start). Restored frames never enter: nothing here is a copy of a copy.
///
/// **Paste.** A hole pixel in the road region (inside the ROI, below the horizon) at road point
/// (u, v) is, in a reference taken at pose p_k, at (u + lateral − p_k.lateral, v + forward −
/// p_k.forward): H⁻¹·T(Δ)·H. It is sampled (bilinear) from the longest-held reference whose four
/// neighbouring pixels there are valid and inside its road region, and where the point is no
/// farther than `maxSourceV` (measured on six dev drives: oldest first 84.5 %, newest first
/// 83.7 %, best exposed first 83.7 % exposure-affected lane accuracy).
final class RoadPlaneReferences {
    struct Entry {
        var time: Double
        var pose: RoadPlaneMotion.Pose
        var holeShare: Double
        var recent: Bool
    }

    let recentCapacity: Int
    let keptCapacity: Int
    let stride: Double
    let maxAge: Double
    let minRoadShare = 0.02
    /// Reference order per pixel: the oldest (longest-held) reference that shows the point first
    /// (measured best, as for the affine paste: docs/decisions/0017 and 0021), or the newest first.
    var newestFirst = false
    /// Best exposed (smallest road hole share) first, newest among equals (tried; no better).
    var exposedFirst = false
    /// A reference point farther than this (road v: 1 = the far edge of the profile's road
    /// rectangle) is not copied: it has too few pixels, and is often haze.
    var maxSourceV = 1.0
    /// A sample whose luma falls outside this range is skipped for the next reference (tried:
    /// 30…215 measured no better than the full range).
    var sampleRange: ClosedRange<Float> = 0...255
    /// References the car has driven more than this past (road v) are not pasted from.
    var maxTravel = 100.0

    private(set) var entries: [Entry?] = []
    private var images: [RGBImage] = []
    private var valid: [Mask] = []
    private var lastCandidate = -Double.infinity
    private var order: [Int] = []

    // Per full-size pixel: road coordinates (u, v), and whether it is in the road region.
    private(set) var size = ImageSize(width: 0, height: 0)
    private var roadU: [Float] = [], roadV: [Float] = []
    private(set) var road = Mask(width: 0, height: 0, fill: 0)
    private var roadPixels = 0
    private var toImage = [Double](repeating: 0, count: 9)
    /// Forward travel after which a reference shows none of the current road region.
    private(set) var reach = 1.0

    init(recent: Int, kept: Int, stride: Double, maxAge: Double) {
        recentCapacity = max(1, recent)
        keptCapacity = max(0, kept)
        self.stride = stride
        self.maxAge = maxAge
        order.reserveCapacity(recent + kept)
    }

    /// Sizes the storage and the road-region tables for frames of `size` (no-op when done).
    func prepare(size: ImageSize, geometry: RoadGeometry) {
        guard size != self.size else { return }
        self.size = size
        let g = geometry.imageSize == size ? geometry : geometry.scaled(to: size)
        let slots = recentCapacity + keptCapacity
        images = (0..<slots).map { _ in RGBImage(width: size.width, height: size.height) }
        valid = (0..<slots).map { _ in Mask(width: size.width, height: size.height, fill: 0) }
        entries = Array(repeating: nil, count: slots)
        let n = size.width * size.height
        roadU = [Float](repeating: 0, count: n)
        roadV = [Float](repeating: 0, count: n)
        road = g.roiMask()
        guard let toRoad = Homography(from: g.roadQuad, to: RoadGeometry.unitRoadQuad) else {
            road.reshape(width: size.width, height: size.height, fill: 0)
            for i in 0..<n { road.values[i] = 0 }
            return
        }
        toImage = toRoad.inverse.h
        let roiTop = g.roi.map(\.y).min() ?? 0
        let top = max(roiTop, (g.horizonY ?? -1) + 0.02 * Double(size.height))
        var vNear = Double.infinity, vFar = -Double.infinity
        roadPixels = 0
        for y in 0..<size.height {
            for x in 0..<size.width {
                let i = y * size.width + x
                guard road.values[i] != 0 else { continue }
                let xc = Double(x) + 0.5, yc = Double(y) + 0.5
                let h = toRoad.h
                let w = h[6] * xc + h[7] * yc + h[8]
                let u = (h[0] * xc + h[1] * yc + h[2]) / w, v = (h[3] * xc + h[4] * yc + h[5]) / w
                guard yc > top, w.isFinite, u.isFinite, v.isFinite, v > -10, v < 20 else { road.values[i] = 0; continue }
                roadU[i] = Float(u)
                roadV[i] = Float(v)
                roadPixels += 1
                vNear = min(vNear, v)
                vFar = max(vFar, v)
            }
        }
        reach = vFar > vNear ? vFar - vNear : 1
        clear()
    }

    func clear() {
        for i in entries.indices { entries[i] = nil }
        lastCandidate = -Double.infinity
    }

    var count: Int { entries.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// Offers the frame as filmed at `time` (seconds) and `pose`. Returns whether it was kept.
    @discardableResult
    func offer(_ image: RGBImage, holes: Mask, pose: RoadPlaneMotion.Pose, time: Double) -> Bool {
        guard image.size == size else { return false }
        // Out of reach or too old: gone, whatever the policy below would say.
        for k in entries.indices {
            guard let e = entries[k] else { continue }
            if time - e.time > maxAge || pose.forward - e.pose.forward > reach { entries[k] = nil }
        }
        // Small tolerance: stride_s converted at 30 fps lands on a whole number of frames.
        guard time - lastCandidate >= stride - 1e-3 else { return false }
        lastCandidate = time
        var roadHoles = 0
        holes.values.withUnsafeBufferPointer { h in
            road.values.withUnsafeBufferPointer { r in
                for i in 0..<h.count where r[i] != 0 && h[i] != 0 { roadHoles += 1 }
            }
        }
        let holeShare = roadPixels > 0 ? Double(roadHoles) / Double(roadPixels) : 1
        guard 1 - holeShare >= minRoadShare else { return false }
        // A free recent slot, else the oldest recent frame leaves the ring for the kept pool.
        var recentCount = 0, keptCount = 0, oldestRecent = -1, worstKept = -1, free = -1
        for k in entries.indices {
            guard let e = entries[k] else { if free < 0 { free = k }; continue }
            if e.recent {
                recentCount += 1
                if oldestRecent < 0 || e.time < entries[oldestRecent]!.time { oldestRecent = k }
            } else {
                keptCount += 1
                if worstKept < 0 { worstKept = k; continue }
                let worst = entries[worstKept]!
                if e.holeShare > worst.holeShare || (e.holeShare == worst.holeShare && e.time < worst.time) { worstKept = k }
            }
        }
        var slot: Int? = nil
        if recentCount < recentCapacity {
            slot = free
        } else if oldestRecent >= 0 {
            let leaving = oldestRecent
            if keptCapacity > 0 && keptCount < keptCapacity {
                entries[leaving]!.recent = false
                slot = free
            } else if keptCapacity > 0, worstKept >= 0, entries[leaving]!.holeShare <= entries[worstKept]!.holeShare {
                entries[worstKept] = nil
                entries[leaving]!.recent = false
                slot = worstKept
            } else {
                slot = leaving
            }
        }
        guard let slot else { return false }
        images[slot].pixels.withUnsafeMutableBufferPointer { d in
            image.pixels.withUnsafeBufferPointer { s in d.baseAddress!.update(from: s.baseAddress!, count: s.count) }
        }
        valid[slot].values.withUnsafeMutableBufferPointer { v in
            holes.values.withUnsafeBufferPointer { h in
                for i in 0..<h.count { v[i] = h[i] == 0 ? 1 : 0 }
            }
        }
        entries[slot] = Entry(time: time, pose: pose, holeShare: holeShare, recent: true)
        return true
    }

    /// Whether reference `a` is tried before `b`.
    private func precedes(_ a: Entry, _ b: Entry) -> Bool {
        if exposedFirst {
            let qa = (a.holeShare * 20).rounded(), qb = (b.holeShare * 20).rounded()
            if qa != qb { return qa < qb }
            return a.time > b.time
        }
        return newestFirst ? a.time > b.time : a.time < b.time
    }

    /// Fills the road-region pixels of `image` where `holes` ≠ 0 from the references (not the one
    /// taken at `time`, the frame itself); `filled` (frame size) gets 1 where a pixel was filled.
    /// Returns how many were.
    @discardableResult
    func paste(into image: inout RGBImage, holes: Mask, pose: RoadPlaneMotion.Pose, time: Double, filled: inout Mask) -> Int {
        let w = size.width, h = size.height, n = w * h
        order.removeAll(keepingCapacity: true)
        for k in entries.indices {
            guard let e = entries[k], e.time < time - 1e-9, pose.forward - e.pose.forward <= maxTravel else { continue }
            var at = order.count
            while at > 0, precedes(e, entries[order[at - 1]]!) { at -= 1 }
            order.insert(k, at: at)
        }
        filled.reshape(width: w, height: h, fill: 0)
        var count = 0
        let m = toImage
        let maxX = Float(w - 1), maxY = Float(h - 1)
        filled.values.withUnsafeMutableBufferPointer { out in
            for i in 0..<n { out[i] = 0 }
            guard !order.isEmpty else { return }
            image.pixels.withUnsafeMutableBufferPointer { px in
                holes.values.withUnsafeBufferPointer { hole in
                    road.values.withUnsafeBufferPointer { r in
                        for i in 0..<n where hole[i] != 0 && r[i] != 0 {
                            let u0 = Double(roadU[i]), v0 = Double(roadV[i])
                            for k in order {
                                let e = entries[k]!
                                let u = u0 + pose.lateral - e.pose.lateral, v = v0 + pose.forward - e.pose.forward
                                guard v <= maxSourceV else { continue }
                                let d = m[6] * u + m[7] * v + m[8]
                                guard d != 0 else { continue }
                                // Pixel-centre coordinates: centres at whole numbers.
                                let x = Float((m[0] * u + m[1] * v + m[2]) / d - 0.5)
                                let y = Float((m[3] * u + m[4] * v + m[5]) / d - 0.5)
                                guard x >= 0, y >= 0, x < maxX, y < maxY else { continue }
                                let x0 = Int(x), y0 = Int(y)
                                let a = y0 * w + x0
                                let ok = valid[k].values.withUnsafeBufferPointer { v in
                                    v[a] & v[a + 1] & v[a + w] & v[a + w + 1] != 0 && r[a] != 0 && r[a + w + 1] != 0
                                }
                                guard ok else { continue }
                                let fx = x - Float(x0), fy = y - Float(y0)
                                var rgb: (Float, Float, Float) = (0, 0, 0)
                                images[k].pixels.withUnsafeBufferPointer { src in
                                    @inline(__always) func at(_ c: Int) -> Float {
                                        let p00 = Float(src[3 * a + c]), p01 = Float(src[3 * (a + 1) + c])
                                        let p10 = Float(src[3 * (a + w) + c]), p11 = Float(src[3 * (a + w + 1) + c])
                                        let top = p00 + (p01 - p00) * fx, bottom = p10 + (p11 - p10) * fx
                                        return top + (bottom - top) * fy
                                    }
                                    rgb = (at(0), at(1), at(2))
                                }
                                guard sampleRange.contains(0.299 * rgb.0 + 0.587 * rgb.1 + 0.114 * rgb.2) else { continue }
                                px[3 * i] = UInt8(min(max(rgb.0 + 0.5, 0), 255))
                                px[3 * i + 1] = UInt8(min(max(rgb.1 + 0.5, 0), 255))
                                px[3 * i + 2] = UInt8(min(max(rgb.2 + 0.5, 0), 255))
                                out[i] = 1
                                count += 1
                                break
                            }
                        }
                    }
                }
            }
        }
        return count
    }
}
