/// A single-channel image (luma, a mask, a float map), row-major, packed.
public struct Plane<Element: Sendable>: Sendable {
    public private(set) var width: Int
    public private(set) var height: Int
    public var values: [Element]

    public init(width: Int, height: Int, fill: Element) {
        self.width = width
        self.height = height
        self.values = [Element](repeating: fill, count: width * height)
    }

    public init(width: Int, height: Int, values: [Element]) {
        precondition(values.count == width * height, "plane buffer size does not match \(width)x\(height)")
        self.width = width
        self.height = height
        self.values = values
    }

    public var size: ImageSize { ImageSize(width: width, height: height) }

    @inlinable
    public subscript(x: Int, y: Int) -> Element {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// Changes the size, keeping storage where the count allows; contents are unspecified afterwards.
    public mutating func reshape(width: Int, height: Int, fill: Element) {
        guard width != self.width || height != self.height else { return }
        self.width = width
        self.height = height
        let count = width * height
        if values.count > count {
            values.removeLast(values.count - count)
        } else if values.count < count {
            // Array(repeating:) fills in one pass; appending a `repeatElement` sequence went element
            // by element through its iterator (about 40 ms for a 640x360 plane, perf).
            values.append(contentsOf: [Element](repeating: fill, count: count - values.count))
        }
    }
}

extension Plane: Equatable where Element: Equatable {}

/// A binary mask: 1 = set (e.g. a hole), 0 = clear.
public typealias Mask = Plane<UInt8>
/// 8-bit luma.
public typealias GrayImage = Plane<UInt8>

extension Plane where Element == UInt8 {
    /// Number of set (non-zero) pixels.
    /// (A plain loop with wrapping adds, which vectorizes; `reduce` with a checked add did not,
    /// and it runs on every frame's hole masks.)
    public var setCount: Int {
        values.withUnsafeBufferPointer { v in
            var count = 0
            for x in v { count &+= x != 0 ? 1 : 0 }
            return count
        }
    }
    /// Fraction of pixels that are set.
    public var coverage: Double { values.isEmpty ? 0 : Double(setCount) / Double(values.count) }
}
