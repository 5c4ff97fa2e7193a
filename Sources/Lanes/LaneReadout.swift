import Imaging

/// Reads a detection out as TuSimple lanes in the coordinates of the labels (the drive's native
/// size), although the detector runs at the processing size: rows are scaled down, columns up.
/// Buffers are kept between frames.
public struct LaneReadout: Sendable {
    public let labelSize: ImageSize
    public let processingSize: ImageSize
    public private(set) var hSamples: [Int]
    private var processingRows: [Double]
    private var scratch: [Double] = []

    public init(labelSize: ImageSize, processingSize: ImageSize, hSamples: [Int]) {
        self.labelSize = labelSize
        self.processingSize = processingSize
        self.hSamples = hSamples
        processingRows = []
        setRows(hSamples)
    }

    /// Changes the rows (labels of another frame may use other h_samples).
    public mutating func setRows(_ rows: [Int]) {
        guard rows != hSamples || processingRows.count != rows.count else { return }
        hSamples = rows
        let sy = Double(processingSize.height) / Double(labelSize.height)
        // Pixel centres: label row r covers [r, r+1) → processing row (r + 0.5)·sy − 0.5.
        processingRows = rows.map { (Double($0) + 0.5) * sy - 0.5 }
    }

    /// Lanes ordered left to right, x in label pixels (−2 where absent); `lanes` is resized.
    public mutating func read(_ detection: LaneDetection, from detector: LaneDetector, into lanes: inout [[Double]], confidences: inout [Double]) {
        let sx = Double(labelSize.width) / Double(processingSize.width)
        lanes.removeAll(keepingCapacity: true)
        confidences.removeAll(keepingCapacity: true)
        for lane in detection.lanes {
            detector.sample(lane, rows: processingRows, into: &scratch)
            var present = 0
            for j in scratch.indices where scratch[j] >= 0 {
                scratch[j] = (scratch[j] + 0.5) * sx - 0.5
                present += 1
            }
            guard present > 0 else { continue }
            lanes.append(scratch)
            confidences.append(lane.confidence)
        }
    }

    /// TuSimple-style rows for a camera: every `step` label pixels from just below the ROI top to
    /// the bottom of the frame.
    public static func defaultRows(geometry: RoadGeometry, step: Int = 10) -> [Int] {
        let top = geometry.roi.map(\.y).min() ?? 0
        let first = Int((max(top, geometry.horizonY ?? 0) / Double(step)).rounded(.up)) * step + step
        let last = geometry.imageSize.height - 1
        return first <= last ? Array(stride(from: first, through: last, by: step)) : []
    }
}
