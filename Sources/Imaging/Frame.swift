/// One video frame as it moves through ClearLane: the image, its presentation time and its
/// position in the stream.
public struct Frame: Sendable, Equatable {
    public var image: RGBImage
    /// Presentation timestamp in nanoseconds from the stream start, or nil when the source gave none.
    public var pts: UInt64?
    /// Zero-based index of the frame in the stream (counts delivered frames).
    public var index: Int

    public init(image: RGBImage, pts: UInt64?, index: Int) {
        self.image = image
        self.pts = pts
        self.index = index
    }

    public var width: Int { image.width }
    public var height: Int { image.height }
}
