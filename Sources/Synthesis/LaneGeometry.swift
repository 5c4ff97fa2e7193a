import Drives
import Imaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exact lane labels and the camera profile of a synthetic drive, both projected from the scene.
public struct LaneGeometry: Sendable {
    public let scenario: Scenario
    public let size: ImageSize
    /// TuSimple rows: from just below the horizon to the bottom, every height/72 rows.
    public let hSamples: [Int]
    /// The lines labeled: the ego lane's two lines and their neighbours (≤ 4), left to right.
    public let labeledLines: [Int]

    public init(scenario: Scenario, size: ImageSize) {
        self.scenario = scenario
        self.size = size
        let nominal = LaneGeometry.nominalPose(scenario: scenario, size: size)
        let step = max(size.height / 72, 1)
        let first = Int(((nominal.horizonY + max(0.04 * Double(size.height), 4)) / Double(step)).rounded(.up)) * step
        hSamples = Array(stride(from: max(first, 0), to: size.height, by: step))
        let e = scenario.road.egoLane
        labeledLines = [e - 1, e, e + 1, e + 2].filter { $0 >= 0 && $0 <= scenario.road.laneCount }
    }

    /// The camera at rest on a straight, level road (for the camera profile).
    public static func nominalPose(scenario: Scenario, size: ImageSize) -> CameraPose {
        var pose = CameraPose(scenario: scenario, frame: 0, size: size)
        pose.lateral = 0
        pose.roll = 0
        pose.pitch = scenario.rig.pitch
        pose.bend = [Float](repeating: 0, count: CameraPose.bendCount)
        return pose
    }

    /// Labels of the frame seen from `pose`.
    public func label(frame: Int, pose: CameraPose) -> LaneLabel {
        var lanes: [[Double]] = []
        let lines = scenario.road.lines
        for j in labeledLines {
            let u = lines[j].u
            // Points along the line, near to far; rows decrease with distance.
            var points: [(x: Double, y: Double)] = []
            var z = 1.5
            while z < 160 {
                if let p = pose.project(u: u, z: z) { points.append(p) }
                z *= 1.04
            }
            var xs: [Double] = []
            for row in hSamples {
                let y = Double(row)
                var x = LaneLabel.absent
                for k in 0..<(max(points.count, 1) - 1) {
                    let a = points[k], b = points[k + 1]
                    if (a.y >= y && b.y <= y) && a.y != b.y {
                        let t = (a.y - y) / (a.y - b.y)
                        let value = a.x + (b.x - a.x) * t
                        if value >= 0 && value < Double(size.width) { x = value.rounded() }
                        break
                    }
                }
                xs.append(x)
            }
            if xs.contains(where: { $0 != LaneLabel.absent }) { lanes.append(xs) }
        }
        return LaneLabel(rawFile: String(format: "frames/%06d.png", frame), hSamples: hSamples, lanes: lanes)
    }

    /// The camera profile: lane ROI (the ego lane and its neighbours up to 60 m ahead) and the
    /// bird's-eye rectangle (the ego lane between 7 and 30 m), from the nominal camera.
    public func cameraProfile() -> CameraProfile {
        let pose = LaneGeometry.nominalPose(scenario: scenario, size: size)
        let road = scenario.road
        let w = Double(size.width), h = Double(size.height)
        let left = max(road.leftEdge, -1.5 * road.laneWidth) - 0.8
        let right = min(road.rightEdge, 1.5 * road.laneWidth) + 0.8
        func clampPoint(_ p: (x: Double, y: Double)) -> [Double] {
            [min(max(p.x, 0), w).rounded(), min(max(p.y, 0), h).rounded()]
        }
        var leftSide: [[Double]] = [], rightSide: [[Double]] = []
        var z = 0.5
        while z <= 60 {
            if let p = pose.project(u: left, z: z) { leftSide.append(clampPoint(p)) }
            if let p = pose.project(u: right, z: z) { rightSide.append(clampPoint(p)) }
            z *= 1.5
        }
        if let p = pose.project(u: left, z: 60) { leftSide.append(clampPoint(p)) }
        if let p = pose.project(u: right, z: 60) { rightSide.append(clampPoint(p)) }
        var polygon = [[0, h]] + leftSide + rightSide.reversed() + [[w, h]]
        // Drop consecutive duplicates left by clamping.
        polygon = polygon.enumerated().filter { $0.offset == 0 || $0.element != polygon[$0.offset - 1] }.map(\.element)
        let half = road.laneWidth / 2
        let corners = [(-half, 7.0), (-half, 30.0), (half, 30.0), (half, 7.0)].map { u, z -> [Double] in
            let p = pose.project(u: u, z: z)!
            return [(p.x * 10).rounded() / 10, (p.y * 10).rounded() / 10]
        }
        return CameraProfile(roi: polygon, birdseye: corners, horizonY: (pose.horizonY * 10).rounded() / 10)
    }
}
