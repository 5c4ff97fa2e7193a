import Imaging

/// Restoration baselines for the report (issue: hole PSNR/SSIM of CPNet "vs no restoration, copy
/// from the last well-exposed frame, temporal median of the memory"). Both fill hole pixels only,
/// from the same kind of memory the CPNet restorer keeps (past frames at a stride), without
/// alignment — so the difference to `CPNetRestoration` is what the network adds.
///
/// Copy-last keeps, per pixel, the value from the most recent frame in which that pixel was not
/// a hole. ("The last well-exposed frame" taken whole would almost never exist: a daylight frame
/// nearly always has some clipped sky, so a whole-frame rule degenerates to no restoration.)
public final class CopyLastRestoration: FrameRestoring {
    private var last = RGBImage(width: 0, height: 0)
    /// 1 where `last` holds a value seen valid since the last reset.
    private var seen = Mask(width: 0, height: 0, fill: 0)

    public init() {}

    public func restore(_ frame: inout Frame, holes: Mask, budget: Double) -> RestorationOutcome {
        if last.size != frame.image.size {
            last.reshape(width: frame.width, height: frame.height)
            seen = Mask(width: frame.width, height: frame.height, fill: 0)
        }
        let n = frame.width * frame.height
        var filled = 0, holeCount = 0
        holes.values.withUnsafeBufferPointer { h in
            seen.values.withUnsafeMutableBufferPointer { known in
                last.pixels.withUnsafeMutableBufferPointer { memory in
                    frame.image.pixels.withUnsafeMutableBufferPointer { d in
                        for i in 0..<n {
                            if h[i] == 0 {
                                // Valid now: this becomes the pixel's last well-exposed value.
                                memory[3 * i] = d[3 * i]; memory[3 * i + 1] = d[3 * i + 1]; memory[3 * i + 2] = d[3 * i + 2]
                                known[i] = 1
                            } else {
                                holeCount += 1
                                guard known[i] != 0 else { continue }
                                d[3 * i] = memory[3 * i]; d[3 * i + 1] = memory[3 * i + 1]; d[3 * i + 2] = memory[3 * i + 2]
                                filled += 1
                            }
                        }
                    }
                }
            }
        }
        if holeCount == 0 { return .notNeeded }
        return filled > 0 ? .restored : .skipped(.noReferences)
    }

    public func reset(keepMemory: Bool) {
        // Forget every pixel's last value; the buffers stay for the next frame of this size.
        if !keepMemory { for i in seen.values.indices { seen.values[i] = 0 } }
    }
}

/// Fills each hole pixel with the per-channel median of the same pixel in the K most recent
/// memory frames (taken every `stride` frames) where that pixel was valid.
public final class TemporalMedianRestoration: FrameRestoring {
    public let capacity: Int
    public let stride: Int
    private var frames: [RGBImage] = []
    private var valid: [Mask] = []
    private var next = 0, offered = 0
    private var samples = [UInt8](repeating: 0, count: 64)

    public init(capacity: Int = 4, stride: Int = 2) {
        self.capacity = max(1, min(capacity, 64))
        self.stride = max(1, stride)
    }

    public func restore(_ frame: inout Frame, holes: Mask, budget: Double) -> RestorationOutcome {
        var outcome = RestorationOutcome.notNeeded
        if holes.setCount > 0 {
            outcome = frames.isEmpty ? .skipped(.noReferences) : fill(&frame.image, holes: holes)
        }
        remember(frame.image, holes: outcome == .restored ? nil : holes)
        return outcome
    }

    private func fill(_ image: inout RGBImage, holes: Mask) -> RestorationOutcome {
        guard frames[0].size == image.size else { return .skipped(.noReferences) }
        let n = image.width * image.height
        for i in 0..<n where holes.values[i] != 0 {
            for c in 0..<3 {
                var m = 0
                for k in frames.indices where valid[k].values[i] == 0 {
                    samples[m] = frames[k].pixels[3 * i + c]
                    m += 1
                }
                guard m > 0 else { continue }
                // Insertion sort of at most `capacity` values: no allocation.
                for a in 1..<max(m, 1) {
                    let v = samples[a]
                    var b = a - 1
                    while b >= 0 && samples[b] > v { samples[b + 1] = samples[b]; b -= 1 }
                    samples[b + 1] = v
                }
                image.pixels[3 * i + c] = samples[m / 2]
            }
        }
        return .restored
    }

    /// Stores every `stride`-th frame; `holes` nil = restored (no holes).
    private func remember(_ image: RGBImage, holes: Mask?) {
        defer { offered += 1 }
        guard offered % stride == 0 else { return }
        if frames.count < capacity {
            frames.append(image)
            valid.append(holes ?? Mask(width: image.width, height: image.height, fill: 0))
            next = frames.count % capacity
            return
        }
        frames[next] = image
        if let holes { valid[next] = holes } else { for i in valid[next].values.indices { valid[next].values[i] = 0 } }
        next = (next + 1) % capacity
    }

    public func reset(keepMemory: Bool) {
        if !keepMemory { frames.removeAll(); valid.removeAll(); next = 0; offered = 0 }
    }
}
