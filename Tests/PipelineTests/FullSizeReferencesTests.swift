import CPNet
import Imaging
import NeuralEngine
@testable import Pipeline
import Testing

/// Aligned pasting at the processing size, against direct per-pixel computations.
@Suite("Full-size aligned paste")
struct FullSizeReferencesTests {
    let size = ImageSize(width: 48, height: 30)

    func pattern(_ seed: Int) -> RGBImage {
        var image = RGBImage(width: size.width, height: size.height)
        for y in 0..<size.height {
            for x in 0..<size.width {
                image[x, y] = RGB(UInt8((x * 5 + y * 3 + seed * 40) % 256), UInt8((x * x + seed * 7) % 256), UInt8((y * 11 + seed) % 256))
            }
        }
        return image
    }

    @Test func aTranslationCopiesTheShiftedPixels() {
        let refs = FullSizeReferences()
        refs.prepare(size: size, slots: 2)
        let reference = pattern(1)
        refs.store(slot: 1, image: reference, invalid: Mask(width: size.width, height: size.height, fill: 0))
        // θ shifting by exactly dx pixels (align_corners=False: x_n + 2·dx/W lands on pixel x + dx).
        let dx = 3
        let theta: [Float] = [1, 0, 2 * Float(dx) / Float(size.width), 0, 1, 0]
        var frame = RGBImage(width: size.width, height: size.height, fill: 0)
        var missed = Mask(width: size.width, height: size.height, fill: 0)
        let filled = refs.pasteOldestFirst(into: &frame, fill: { $0 % size.width < 20 }, slots: [1], theta: theta, order: [0],
                                           missed: &missed)
        #expect(filled == 20 * size.height)
        for y in 0..<size.height {
            for x in 0..<size.width {
                #expect(frame[x, y] == (x < 20 ? reference[x + dx, y] : RGB(0, 0, 0)))
            }
        }
    }

    @Test func referencesBlendByWeightWhereVisibleAndHolesAreNeverCopied() {
        let refs = FullSizeReferences()
        refs.prepare(size: size, slots: 2)
        let a = pattern(2), b = pattern(3)
        var holeInA = Mask(width: size.width, height: size.height, fill: 0)
        for y in 0..<size.height { for x in 0..<10 { holeInA[x, y] = 1 } }
        var holeInB = Mask(width: size.width, height: size.height, fill: 0)
        for y in 0..<5 { for x in 0..<10 { holeInB[x, y] = 1 } }
        refs.store(slot: 0, image: a, invalid: holeInA)
        refs.store(slot: 1, image: b, invalid: holeInB)
        let identity: [Float] = [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0]
        let similarity: [Float] = [1, 3]
        var frame = RGBImage(width: size.width, height: size.height, fill: 7)
        var missed = Mask(width: size.width, height: size.height, fill: 0)
        refs.pasteBlended(into: &frame, fill: { _ in true }, slots: [0, 1], theta: identity, similarity: similarity, threads: 1,
                          missed: &missed)
        for y in 0..<size.height {
            for x in 0..<size.width {
                let got = frame[x, y]
                if x < 10 && y < 5 {
                    #expect(got == RGB(7, 7, 7))                  // no reference shows it: untouched
                } else if x < 10 {
                    #expect(got == b[x, y])                       // only b shows it
                } else {
                    let expected = (Double(a[x, y].r) + 3 * Double(b[x, y].r)) / 4
                    #expect(abs(Double(got.r) - expected) <= 0.5 + 1e-3)
                }
            }
        }
    }

    /// Oldest-first pasting: each pixel from the longest-held reference that shows it; a pixel
    /// only the newer reference shows comes from it.
    @Test func oldestPasteTakesEachPixelFromTheLongestHeldReferenceThatShowsIt() {
        let refs = FullSizeReferences()
        refs.prepare(size: size, slots: 3)
        let older = pattern(4), newer = pattern(5)
        var holeInOlder = Mask(width: size.width, height: size.height, fill: 0)
        for y in 0..<size.height { for x in 0..<10 { holeInOlder[x, y] = 1 } }
        var holeInNewer = Mask(width: size.width, height: size.height, fill: 0)
        for y in 0..<5 { for x in 0..<10 { holeInNewer[x, y] = 1 } }
        // Slot order is not age order: the newer frame sits in slot 0.
        refs.store(slot: 2, image: older, invalid: holeInOlder)
        refs.store(slot: 0, image: newer, invalid: holeInNewer)
        let identity: [Float] = [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0]
        var frame = RGBImage(width: size.width, height: size.height, fill: 7)
        var missed = Mask(width: size.width, height: size.height, fill: 0)
        let filled = refs.pasteOldestFirst(into: &frame, fill: { _ in true }, slots: [0, 2], theta: identity, order: [1, 0],
                                           missed: &missed)
        #expect(filled == size.width * size.height - 10 * 5)
        for y in 0..<size.height {
            for x in 0..<size.width {
                let expected = x < 10 ? (y < 5 ? RGB(7, 7, 7) : newer[x, y]) : older[x, y]
                #expect(frame[x, y] == expected)
            }
        }
    }

    /// The oldest-first paste samples only the pixels it fills (`Resample.AffineTap`); it must
    /// give exactly what warping every reference whole and then copying the first that shows
    /// each pixel gives (the simple reference), under rotation, scale and sub-pixel shifts.
    @Test func oldestPasteSamplesPerPixelExactlyAsWarpingWholeFrames() {
        let refs = FullSizeReferences()
        let slotsHeld = 3
        refs.prepare(size: size, slots: slotsHeld)
        let n = size.width * size.height
        var images: [RGBImage] = [], holes: [Mask] = []
        for k in 0..<slotsHeld {
            let image = pattern(10 + k)
            var hole = Mask(width: size.width, height: size.height, fill: 0)
            for y in 0..<size.height { for x in 0..<size.width where (x / (4 + k) + y / (3 + k)) % 3 == 0 { hole[x, y] = 1 } }
            images.append(image)
            holes.append(hole)
            refs.store(slot: k, image: image, invalid: hole)
        }
        let slots = [2, 0, 1]   // per-reference order ≠ slot order
        let theta: [Float] = [0.97, 0.05, 0.031, -0.04, 1.02, -0.06,
                              1.1, 0, -0.013, 0, 1.1, 0.02,
                              1, -0.02, 0.2, 0.03, 0.95, 0.1]
        let order = [1, 2, 0]
        var frame = RGBImage(width: size.width, height: size.height, fill: 9)
        let fill = { (i: Int) in (i * 7) % 5 != 0 }
        var missed = Mask(width: size.width, height: size.height, fill: 0)
        let filled = refs.pasteOldestFirst(into: &frame, fill: fill, slots: slots, theta: theta, order: order, missed: &missed)

        // Reference: each reference warped whole, then the first in `order` that shows the pixel.
        let alignedRGB = Tensor(shape: [slots.count, 3, size.height, size.width])
        let alignedValid = Tensor(shape: [slots.count, 1, size.height, size.width])
        for (k, slot) in slots.enumerated() {
            let rgb = Tensor(shape: [3, size.height, size.width]), valid = Tensor(shape: [1, size.height, size.width])
            Restorer.load(images[slot], holes: holes[slot], rgb: rgb.data, valid: valid.data)
            theta.withUnsafeBufferPointer { t in
                CPNetwork.warp(rgb: rgb.data, valid: valid.data, theta: t.baseAddress! + 6 * k, height: size.height, width: size.width,
                               threads: 1, alignedRGB: alignedRGB.slice(k), alignedValid: alignedValid.slice(k))
            }
        }
        let out = Tensor(shape: [3, size.height, size.width])
        var expectedFilled = 0, fromEach = [0, 0, 0]
        order.withUnsafeBufferPointer { preference in
            for i in 0..<n {
                guard fill(i), CPNetwork.copyFirst(pixel: i, planeSize: n, preference: preference, alignedRGB: alignedRGB.data,
                                                   alignedValid: alignedValid.data, into: out.data) else {
                    #expect(frame.pixels[3 * i] == 9)
                    continue
                }
                expectedFilled += 1
                if let k = preference.first(where: { alignedValid.slice($0)[i] > 0 }) { fromEach[k] += 1 }
                for c in 0..<3 {
                    #expect(frame.pixels[3 * i + c] == UInt8(min(max(out.data[c * n + i] * 255 + 0.5, 0), 255)))
                }
            }
        }
        #expect(filled == expectedFilled)
        #expect(fromEach.allSatisfy { $0 > 0 }, "every reference should supply some pixels: \(fromEach)")
    }
}
