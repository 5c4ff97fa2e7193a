/// An 8-bit RGB image, packed row-major with no padding (`stride == width * 3`).
///
/// GStreamer buffers carry a row stride that may exceed `width * 3`; `Media` copies rows into
/// this packed layout at the boundary so every algorithm downstream can index `(y * width + x) * 3`.
public struct RGBImage: Equatable, Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    /// `width * height * 3` bytes, R G B per pixel.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, fill: UInt8 = 0) {
        precondition(width >= 0 && height >= 0, "image size must be non-negative")
        self.width = width
        self.height = height
        self.pixels = [UInt8](repeating: fill, count: width * height * 3)
    }

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "pixel buffer size does not match \(width)x\(height) RGB")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public var size: ImageSize { ImageSize(width: width, height: height) }
    public var rowBytes: Int { width * 3 }

    /// Changes the size, keeping the storage when the byte count allows (no allocation after the
    /// first frame of a given size). Contents are unspecified afterwards.
    public mutating func reshape(width: Int, height: Int) {
        guard width != self.width || height != self.height else { return }
        self.width = width
        self.height = height
        let count = width * height * 3
        if pixels.count != count {
            if pixels.count > count {
                pixels.removeLast(pixels.count - count)
            } else {
                pixels.append(contentsOf: [UInt8](repeating: 0, count: count - pixels.count))  // one pass, as in Plane.reshape
            }
        }
    }

    @inlinable
    public subscript(x: Int, y: Int) -> RGB {
        get {
            let i = (y * width + x) * 3
            return RGB(pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }
}

public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    @inlinable public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
}

public struct ImageSize: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Parses "640x360" (also accepts "640X360" and "640×360").
    public init?(parsing text: String) {
        let parts = text.lowercased().split(whereSeparator: { $0 == "x" || $0 == "×" })
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        self.init(width: w, height: h)
    }

    public var pixelCount: Int { width * height }
    public var description: String { "\(width)x\(height)" }

    /// The processing size for frames of `native` size when `self` is the processing box (the
    /// `processing:` width × height of the config): the largest frame with `native`'s aspect ratio
    /// that fits inside the box, the width a multiple of 4 (GStreamer pads RGB rows to 4 bytes, and
    /// written video wants it) and the height even (the network's 2× reductions need it). Scaling by it is uniform up to the rounding to even pixels, so a camera profile,
    /// a label or a mask maps between native and processing pixels by one scale per axis that
    /// differs from the other by less than one pixel in the frame. A 16:9 camera in a 640x360 box
    /// keeps 640x360; 4:3 gets 480x360, CULane's 1640x590 gets 640x230.
    public func fitting(aspectOf native: ImageSize) -> ImageSize {
        guard native.width > 0, native.height > 0, width > 0, height > 0 else { return self }
        let scale = min(Double(width) / Double(native.width), Double(height) / Double(native.height))
        func multiple(_ m: Int, of v: Double, limit: Int) -> Int {
            min(max(m, limit - limit % m), max(m, Int((v / Double(m)).rounded()) * m))
        }
        return ImageSize(width: multiple(4, of: Double(native.width) * scale, limit: width),
                         height: multiple(2, of: Double(native.height) * scale, limit: height))
    }
}
