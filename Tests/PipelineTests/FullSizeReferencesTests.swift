import Imaging
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
        let similarity: [Float] = [1]
        var frame = RGBImage(width: size.width, height: size.height, fill: 0)
        let filled = refs.paste(into: &frame, fill: { $0 % size.width < 20 }, slots: [1], theta: theta, source: .oldestAligned,
                                oldestFirst: [0], similarity: similarity, threads: 2)
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
        refs.paste(into: &frame, fill: { _ in true }, slots: [0, 1], theta: identity, source: .blendAligned, oldestFirst: [0, 1],
                   similarity: similarity, threads: 1)
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

    /// Oldest-first pasting: each pixel from the longest-held reference that shows it, whatever
    /// the similarities; a pixel only the newer reference shows comes from it.
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
        let similarity: [Float] = [100, 1]   // the blend would all but ignore the older frame
        var frame = RGBImage(width: size.width, height: size.height, fill: 7)
        let filled = refs.paste(into: &frame, fill: { _ in true }, slots: [0, 2], theta: identity, source: .oldestAligned,
                                oldestFirst: [1, 0], similarity: similarity, threads: 2)
        #expect(filled == size.width * size.height - 10 * 5)
        for y in 0..<size.height {
            for x in 0..<size.width {
                let expected = x < 10 ? (y < 5 ? RGB(7, 7, 7) : newer[x, y]) : older[x, y]
                #expect(frame[x, y] == expected)
            }
        }
    }
}
