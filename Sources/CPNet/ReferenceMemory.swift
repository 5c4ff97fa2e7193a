import Imaging
import NeuralEngine

/// The K past frames the restorer copies from (cpnet.md §7, ARCHITECTURE.md).
///
/// Policy (what `offer` does):
/// 1. **Stride.** Frames are offered in temporal order; only every `stride`-th offer (the 1st,
///    the (s+1)-th, …) is considered, so the references spread over K·s frames of the past.
/// 2. **Free slot.** While fewer than K references are held, a considered frame is admitted.
/// 3. **Full memory: prefer well-exposed frames.** The candidate for eviction is the held reference
///    with the largest hole fraction, the oldest among equals. The new frame replaces it when its
///    own hole fraction is not larger; otherwise it is rejected, so a run of badly exposed frames
///    (a tunnel) cannot push the good frames from before it out of the memory. With equally good
///    frames this is plain first-in-first-out, which keeps the memory recent. Restored frames are
///    written back with only their unseen pixels as holes, a tiny fraction.
/// 4. **Age limit.** A reference more than `maxAge` offers old is replaced by the next considered
///    frame whatever the hole fractions (0 = no limit). Without it a long blowout keeps the
///    well-exposed frames from before it for seconds (restored frames, with a few unseen pixels,
///    never beat their zero), by then too far back for the alignment network, which was trained
///    on references at most 9 frames back (training/configs): the pasted lanes land off their true place.
///
/// Each slot holds the frame [3, H, W] in [0, 1], its visibility [1, H, W] and its alignment
/// encoder features [a3, S/8, S/8], computed once on admission (they do not depend on the target).
/// When the network runs on reduced frames and the restorer pastes aligned pixels, a slot also
/// holds the frame at the processing size (`fullRGB`, `fullValid`): the paste copies full-size
/// paint instead of an upsampled blur.
public final class ReferenceMemory: @unchecked Sendable {
    public struct Entry: Equatable, Sendable {
        /// Fraction of the frame's pixels in holes when it was admitted (0 for restored frames).
        public var holeFraction: Double
        /// Admission order (larger = newer).
        public var sequence: Int
        /// Index of the offer that brought it (0-based count of frames offered).
        public var offer: Int
        /// A frame the restorer filled (written back restored), not one as filmed.
        public var restored = false
    }

    public let capacity: Int
    public let stride: Int
    /// Offers after which a reference is replaced regardless of holes (0 = never).
    public let maxAge: Int
    /// Slot contents; nil = free.
    public private(set) var entries: [Entry?]
    /// Occupied slot indices in slot order (what the network iterates over).
    public private(set) var occupied: [Int]
    /// Frames offered so far.
    public private(set) var offers = 0
    private var admissions = 0

    /// Per-slot storage, allocated by `prepare`.
    public private(set) var rgb: [Tensor] = []
    public private(set) var valid: [Tensor] = []
    public private(set) var features: [Tensor] = []
    /// Per-slot storage at the processing size; empty when slots are kept at one size only.
    public private(set) var fullRGB: [Tensor] = []
    public private(set) var fullValid: [Tensor] = []
    /// The processing size of `fullRGB`/`fullValid`; nil when there are none.
    public private(set) var fullSize: ImageSize?

    public init(capacity: Int, stride: Int, maxAge: Int = 0) {
        precondition(capacity >= 1 && stride >= 1 && maxAge >= 0, "reference memory needs capacity ≥ 1, stride ≥ 1, maxAge ≥ 0")
        self.capacity = capacity
        self.stride = stride
        self.maxAge = maxAge
        entries = Array(repeating: nil, count: capacity)
        occupied = []
        occupied.reserveCapacity(capacity)
    }

    public var count: Int { occupied.count }

    /// Allocates slot storage for frames of `height`×`width`, and at `fullSize` too when given
    /// (empties the memory if a size changes: its frames would not match the new ones).
    public func prepare(height: Int, width: Int, featureShape: [Int], fullSize: ImageSize? = nil) {
        if let first = rgb.first, first.shape == [3, height, width], features.first?.shape == featureShape,
           self.fullSize == fullSize { return }
        rgb = (0..<capacity).map { _ in Tensor(shape: [3, height, width]) }
        valid = (0..<capacity).map { _ in Tensor(shape: [1, height, width]) }
        features = (0..<capacity).map { _ in Tensor(shape: featureShape) }
        self.fullSize = fullSize
        if let fullSize {
            fullRGB = (0..<capacity).map { _ in Tensor(shape: [3, fullSize.height, fullSize.width]) }
            fullValid = (0..<capacity).map { _ in Tensor(shape: [1, fullSize.height, fullSize.width]) }
        } else {
            fullRGB = []
            fullValid = []
        }
        clear()
    }

    /// Applies the policy to one offered frame: returns the slot the caller must fill (frame,
    /// visibility, features), or nil when the frame is not kept. `restored`: the frame is the
    /// restorer's output (its holes filled), not a frame as filmed.
    public func offer(holeFraction: Double, restored: Bool = false) -> Int? {
        let index = offers
        offers += 1
        guard index % stride == 0 else { return nil }
        var slot: Int
        if let free = entries.firstIndex(where: { $0 == nil }) {
            slot = free
        } else {
            // Rule 4 first: a reference past the age limit goes, whatever the hole fractions.
            var oldest = 0
            for i in 1..<capacity where entries[i]!.offer < entries[oldest]!.offer { oldest = i }
            if maxAge > 0, index - entries[oldest]!.offer > maxAge {
                slot = oldest
            } else {
                slot = 0
                for i in 1..<capacity {
                    let a = entries[i]!, b = entries[slot]!
                    if a.holeFraction > b.holeFraction || (a.holeFraction == b.holeFraction && a.sequence < b.sequence) { slot = i }
                }
                guard holeFraction <= entries[slot]!.holeFraction else { return nil }
            }
        }
        entries[slot] = Entry(holeFraction: holeFraction, sequence: admissions, offer: index, restored: restored)
        admissions += 1
        occupied.removeAll(keepingCapacity: true)
        for i in 0..<capacity where entries[i] != nil { occupied.append(i) }
        return slot
    }

    /// Forgets every reference (e.g. at a cut or a new drive); storage is kept.
    public func clear() {
        for i in 0..<capacity { entries[i] = nil }
        occupied.removeAll(keepingCapacity: true)
        offers = 0
        admissions = 0
    }
}
