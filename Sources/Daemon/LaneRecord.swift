import Foundation

/// One line of the daemon's lanes output (`daemon.lanes_output`), schema `clearlane.lanes/2`:
///
/// `{"frame":12,"pts_ns":400000000,"width":960,"height":540,"h_samples":[…],"lanes":[{"x":[…],"confidence":0.93}],
///   "restored":true,"restoration":"restored","hole_coverage":0.0812,"latency_ms":21.40}`
///
/// Coordinates are the camera's native pixels (`width` × `height`, the camera profile's size), as
/// `clearlane detect` and TuSimple labels write them, although frames are processed at the
/// processing box fitted to the camera's aspect ratio: `h_samples` are native rows, `x` native
/// columns, −2 where a lane is absent. The writer encodes by hand into a reused buffer (no
/// allocation per frame); `Codable` is the schema's reader (tests, consumers written in Swift).
public struct LaneRecord: Codable, Equatable, Sendable {
    public struct Lane: Codable, Equatable, Sendable {
        public var x: [Double]
        public var confidence: Double
        public init(x: [Double], confidence: Double) {
            self.x = x
            self.confidence = confidence
        }
    }

    /// Output frame number: keeps counting across camera reconnects.
    public var frame: Int
    public var ptsNs: UInt64?
    /// The pixel size `h_samples` and `x` are in (the camera's native size).
    public var width: Int
    public var height: Int
    public var hSamples: [Int]
    public var lanes: [Lane]
    /// True when the CPNet restored the frame.
    public var restored: Bool
    /// `not_needed`, `restored`, `copied_last`, `skipped_deadline`, `skipped_no_references`, `disabled`.
    public var restoration: String
    /// Share of the lane region of interest covered by holes.
    public var holeCoverage: Double
    /// Capture (or arrival) to output, milliseconds.
    public var latencyMs: Double

    enum CodingKeys: String, CodingKey {
        case frame, ptsNs = "pts_ns", width, height, hSamples = "h_samples", lanes, restored, restoration
        case holeCoverage = "hole_coverage", latencyMs = "latency_ms"
    }

    public init(frame: Int, ptsNs: UInt64?, width: Int, height: Int, hSamples: [Int], lanes: [Lane], restored: Bool,
                restoration: String, holeCoverage: Double, latencyMs: Double) {
        self.frame = frame
        self.ptsNs = ptsNs
        self.width = width
        self.height = height
        self.hSamples = hSamples
        self.lanes = lanes
        self.restored = restored
        self.restoration = restoration
        self.holeCoverage = holeCoverage
        self.latencyMs = latencyMs
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        frame = try c.decode(Int.self, forKey: .frame)
        ptsNs = try c.decodeIfPresent(UInt64.self, forKey: .ptsNs)
        width = try c.decode(Int.self, forKey: .width)
        height = try c.decode(Int.self, forKey: .height)
        hSamples = try c.decode([Int].self, forKey: .hSamples)
        lanes = try c.decode([Lane].self, forKey: .lanes)
        restored = try c.decode(Bool.self, forKey: .restored)
        restoration = try c.decode(String.self, forKey: .restoration)
        holeCoverage = try c.decode(Double.self, forKey: .holeCoverage)
        latencyMs = try c.decode(Double.self, forKey: .latencyMs)
    }

    /// The record as one JSON object (no newline) into `out`, which is cleared first. Numbers:
    /// x with 2 decimals (integers without), confidence 3, hole_coverage 4, latency_ms 2.
    public func encodeJSON(into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        func put(_ s: String) { out.append(contentsOf: s.utf8) }
        func number(_ v: Double) -> String {
            v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(format: "%.2f", v)
        }
        put("{\"frame\":\(frame),\"pts_ns\":")
        put(ptsNs.map(String.init) ?? "null")
        put(",\"width\":\(width),\"height\":\(height),\"h_samples\":[")
        put(hSamples.map(String.init).joined(separator: ","))
        put("],\"lanes\":[")
        for (i, lane) in lanes.enumerated() {
            if i > 0 { put(",") }
            put("{\"x\":[\(lane.x.map(number).joined(separator: ","))],\"confidence\":\(String(format: "%.3f", lane.confidence))}")
        }
        put("],\"restored\":\(restored),\"restoration\":\"\(restoration)\"")
        put(",\"hole_coverage\":\(String(format: "%.4f", holeCoverage)),\"latency_ms\":\(String(format: "%.2f", latencyMs))}")
    }
}
