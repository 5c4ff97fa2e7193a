import Foundation

/// CULane labels: per frame a `NNNNNN.lines.txt` with one lane per line, "x1 y1 x2 y2 …" (image
/// pixels, floats; CULane lists each lane bottom to top). A drive keeps them in a `labels/` folder;
/// the frame index is the file name's number (like TuSimple's raw_file).
///
/// For the TuSimple metric each lane is resampled at the drive's h_samples (`culaneRows`): every
/// `rowStep` (10) pixels from the top-most labeled y of the whole drive (rounded up to a whole row,
/// at least 0) down to the image's last row (height − 1). At a row inside a lane's y-range, x is
/// interpolated linearly between the two points around it (points taken in y order); outside the
/// range, or where the interpolated x is negative, the lane is absent there (−2). The points as
/// labeled stay in `LaneLabel.points` for the CULane F1.
extension LaneLabelFile {
    public static let culaneSuffix = ".lines.txt"
    /// Coordinates beyond ±this many pixels are no label (CULane frames are 1640×590; lanes that
    /// leave the frame go a little negative). Bounding them keeps the rows an integer range.
    public static let culaneCoordinateLimit = 1_000_000.0

    /// Reads every `*.lines.txt` in `folder` (other files are ignored).
    public init(culaneFolder folder: String, imageHeight: Int, rowStep: Int = 10) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder)
                .filter { $0.hasSuffix(Self.culaneSuffix) && !$0.hasPrefix(".") }.sorted()
        } catch {
            throw Problem(file: folder, line: 0, message: "cannot be read as a folder of CULane NNNNNN.lines.txt labels")
        }
        guard !names.isEmpty else {
            throw Problem(file: folder, line: 0, message: "holds no NNNNNN.lines.txt file (CULane labels: one per labeled frame)")
        }
        var parsed: [(index: Int, file: String, lanes: [[LanePoint]])] = []
        var seen: [Int: String] = [:]
        for name in names {
            let file = (folder as NSString).appendingPathComponent(name)
            let stem = String(name.dropLast(Self.culaneSuffix.count))
            guard let index = Int(stem), index >= 0 else {
                throw Problem(file: file, line: 0, message: "names no frame number (expected e.g. 000123.lines.txt)")
            }
            if let other = seen[index] {
                throw Problem(file: file, line: 0, message: "frame \(index) is labeled twice (also \(other))")
            }
            seen[index] = name
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw Problem(file: file, line: 0, message: "cannot be read (missing file or not UTF-8)")
            }
            parsed.append((index, file, try Self.parseCULane(text, file: file)))
        }
        let rows = Self.culaneRows(parsed.flatMap { $0.lanes }, imageHeight: imageHeight, rowStep: rowStep)
        var byFrame: [Int: LaneLabel] = [:]
        for p in parsed {
            var label = LaneLabel(rawFile: "labels/" + (p.file as NSString).lastPathComponent, hSamples: rows,
                                  lanes: p.lanes.map { Self.resample($0, rows: rows) })
            label.points = p.lanes
            byFrame[p.index] = label
        }
        self.init(path: folder, byFrame: byFrame)
    }

    /// One `.lines.txt`: a lane per non-empty line of "x y" pairs. Errors name the file and line.
    public static func parseCULane(_ text: String, file: String) throws -> [[LanePoint]] {
        var lanes: [[LanePoint]] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = offset + 1
            let fields = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            var values: [Double] = []
            values.reserveCapacity(fields.count)
            for field in fields {
                guard let v = Double(field), v.isFinite else {
                    throw Problem(file: file, line: line, message: "\"\(field)\" is not a number (a CULane lane is \"x1 y1 x2 y2 …\")")
                }
                guard abs(v) <= culaneCoordinateLimit else {
                    throw Problem(file: file, line: line,
                                  message: "\"\(field)\" is not a pixel coordinate (CULane labels lie within ±\(Int(culaneCoordinateLimit)) px)")
                }
                values.append(v)
            }
            guard values.count % 2 == 0 else {
                throw Problem(file: file, line: line, message: "has \(values.count) numbers; a CULane lane needs x y pairs (an even count)")
            }
            lanes.append(stride(from: 0, to: values.count, by: 2).map { LanePoint(x: values[$0], y: values[$0 + 1]) })
            if lanes.count > LaneLabel.maxLanes {
                throw Problem(file: file, line: line, message: "is lane \(lanes.count); at most \(LaneLabel.maxLanes) lanes per frame are allowed")
            }
        }
        return lanes
    }

    /// The h_samples of a CULane-labeled drive: every `rowStep` px from the top-most labeled y
    /// (rounded up, at least 0) to height − 1; empty without points.
    public static func culaneRows(_ lanes: [[LanePoint]], imageHeight: Int, rowStep: Int = 10) -> [Int] {
        guard let top = lanes.lazy.flatMap({ $0 }).map(\.y).min() else { return [] }
        let first = max(0, Int(top.rounded(.up)))
        let last = imageHeight - 1
        return first <= last ? Array(stride(from: first, through: last, by: max(rowStep, 1))) : []
    }

    /// A lane's x at each row by linear interpolation between its points in y order (ties in
    /// file order): at a row, the first point with y ≥ row gives x when its y equals the row,
    /// else x is interpolated between the point before it and it. −2 outside the lane's y-range
    /// or where x < 0.
    public static func resample(_ lane: [LanePoint], rows: [Int]) -> [Double] {
        let points = lane.enumerated().sorted { ($0.element.y, $0.offset) < ($1.element.y, $1.offset) }.map(\.element)
        guard let low = points.first?.y, let high = points.last?.y else { return rows.map { _ in LaneLabel.absent } }
        return rows.map { row -> Double in
            let y = Double(row)
            guard y >= low && y <= high else { return LaneLabel.absent }
            // The first point (in y order) at or below row y on the image: at y exactly, its x;
            // else between it and the point before.
            var k = 0
            while points[k].y < y { k += 1 }
            let b = points[k]
            let x: Double
            if b.y == y {
                x = b.x
            } else {
                let a = points[k - 1]
                x = a.x + (b.x - a.x) * (y - a.y) / (b.y - a.y)
            }
            return x >= 0 ? x : LaneLabel.absent
        }
    }
}
