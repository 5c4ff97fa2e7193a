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
    private var last = LastFilmedPixels()

    public init() {}

    public func restore(_ frame: inout Frame, holes: Mask, budget: Double) -> RestorationOutcome {
        last.prepare(size: frame.image.size)
        // Valid pixels and holes are disjoint: recording first leaves the holes' memory as it was.
        last.record(frame.image, holes: holes)
        guard holes.setCount > 0 else { return .notNeeded }
        return last.fill(&frame.image, holes: holes) > 0 ? .restored : .skippedNoReferences
    }

    public func reset(keepMemory: Bool) {
        // Forget every pixel's last value; the buffers stay for the next frame of this size.
        if !keepMemory { last.forget() }
    }
}

/// Fills each hole pixel with the per-channel median of the same pixel in the K most recent
/// memory frames (taken every `stride` frames) where that pixel was valid. Replay builds it with
/// the CPNet's memory in seconds (`StageFactory.median(fps:)`).
public final class TemporalMedianRestoration: FrameRestoring {
    public let capacity: Int
    public let stride: Int
    private var frames: [RGBImage] = []
    private var valid: [Mask] = []
    private var next = 0, offered = 0
    private var samples = [UInt8](repeating: 0, count: 64)

    public init(capacity: Int, stride: Int) {
        self.capacity = max(1, min(capacity, 64))
        self.stride = max(1, stride)
    }

    public func restore(_ frame: inout Frame, holes: Mask, budget: Double) -> RestorationOutcome {
        var outcome = RestorationOutcome.notNeeded
        if holes.setCount > 0 {
            outcome = frames.isEmpty ? .skippedNoReferences : fill(&frame.image, holes: holes)
        }
        remember(frame.image, holes: outcome == .restored ? nil : holes)
        return outcome
    }

    private func fill(_ image: inout RGBImage, holes: Mask) -> RestorationOutcome {
        guard frames[0].size == image.size else { return .skippedNoReferences }
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
