import Imaging

/// Per pixel, its value in the last frame in which it was not a hole: the memory behind the
/// copy-last baseline and behind `CPNetRestoration`'s deadline fallback. Storage is sized once
/// and reused; recording and filling allocate nothing.
struct LastFilmedPixels {
    private var values = RGBImage(width: 0, height: 0)
    /// 1 where `values` holds a pixel filmed since the last `forget()`.
    private var known = Mask(width: 0, height: 0, fill: 0)

    /// Sizes the storage for frames of `size`; a new size forgets every pixel.
    mutating func prepare(size: ImageSize) {
        guard values.size != size else { return }
        values.reshape(width: size.width, height: size.height)
        known.reshape(width: size.width, height: size.height, fill: 0)
        forget()
    }

    mutating func forget() {
        known.values.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// The valid pixels of `image` (`holes` = 0) become their last filmed values.
    ///
    /// Runs on every frame of the daemon, most of them without holes: the valid pixels are copied
    /// a run at a time (`update(from:)`, a memcpy), not pixel by pixel.
    mutating func record(_ image: RGBImage, holes: Mask) {
        let n = image.width * image.height
        holes.values.withUnsafeBufferPointer { h in
            known.values.withUnsafeMutableBufferPointer { seen in
                image.pixels.withUnsafeBufferPointer { px in
                    values.pixels.withUnsafeMutableBufferPointer { last in
                        guard let h = h.baseAddress, let seen = seen.baseAddress,
                              let px = px.baseAddress, let last = last.baseAddress else { return }
                        var i = 0
                        while i < n {
                            while i < n && h[i] != 0 { i += 1 }
                            let start = i
                            while i < n && h[i] == 0 { i += 1 }
                            guard i > start else { continue }
                            (last + 3 * start).update(from: px + 3 * start, count: 3 * (i - start))
                            (seen + start).update(repeating: 1, count: i - start)
                        }
                    }
                }
            }
        }
    }

    /// Gives each hole pixel of `image` its last filmed value, where it has one; returns how many
    /// it filled.
    func fill(_ image: inout RGBImage, holes: Mask) -> Int {
        let n = image.width * image.height
        var filled = 0
        holes.values.withUnsafeBufferPointer { h in
            known.values.withUnsafeBufferPointer { seen in
                values.pixels.withUnsafeBufferPointer { last in
                    image.pixels.withUnsafeMutableBufferPointer { px in
                        for i in 0..<n where h[i] != 0 && seen[i] != 0 {
                            px[3 * i] = last[3 * i]; px[3 * i + 1] = last[3 * i + 1]; px[3 * i + 2] = last[3 * i + 2]
                            filled += 1
                        }
                    }
                }
            }
        }
        return filled
    }
}
