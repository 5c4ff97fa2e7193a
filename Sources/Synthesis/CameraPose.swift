import Exposure
import Imaging
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the camera is and how it is turned at one frame, and the road's bend ahead of it.
///
/// Coordinates: camera-centred, x right, y up, z forward along the camera's heading (yaw only);
/// the road surface is the plane y = −height. The road ahead bends: a point `u` metres right of
/// the ego lane centre at forward distance z sits at x = bend(z) + u − lateral.
public struct CameraPose: Sendable {
    public var frame: Int
    /// Distance along the road.
    public var s: Double
    /// Camera offset to the right of the ego lane centre.
    public var lateral: Double
    public var pitch: Double
    public var roll: Double
    public var height: Double
    public var focal: Double
    public var cx: Double
    public var cy: Double
    /// bend(z) sampled every `bendStep` metres of z.
    public var bend: [Float]
    public static let bendStep: Float = 1
    public static let bendCount = 700

    public init(scenario: Scenario, frame: Int, size: ImageSize) {
        let t = Double(frame) / scenario.fps
        let m = scenario.motion, rig = scenario.rig
        self.frame = frame
        s = m.startS + m.speed * t
        // Smooth, seed-dependent wobble: sums of incommensurate sines.
        let phase = Double(scenario.seed % 997) * 0.37
        lateral = m.wanderAmplitude * sin(2 * .pi * t / m.wanderPeriod + phase)
        let yaw = m.yawAmplitude * cos(2 * .pi * t / m.wanderPeriod + phase) + 0.3 * m.yawAmplitude * sin(2 * .pi * t / 1.7 + 2 * phase)
        let grade = scenario.road.gradeAmplitude * sin(2 * .pi * s / scenario.road.gradePeriod + phase)
        pitch = rig.pitch + grade + rig.pitchJitter * (0.6 * sin(2 * .pi * t * 1.3 + phase) + 0.4 * sin(2 * .pi * t * 3.1 + 1.7 * phase))
        roll = rig.rollJitter * (0.7 * sin(2 * .pi * t * 0.9 + 0.5 * phase) + 0.3 * sin(2 * .pi * t * 2.3 + phase))
        height = rig.height
        focal = Double(size.width) / 2 / tan(rig.fieldOfView / 2)
        cx = Double(size.width) / 2
        cy = Double(size.height) / 2
        // bend(z) = ∫ heading, heading(z) = ∫ curvature − yaw (small angles).
        var bend = [Float](repeating: 0, count: CameraPose.bendCount)
        var heading = -yaw, x = 0.0
        let dz = Double(CameraPose.bendStep)
        for k in 1..<CameraPose.bendCount {
            heading += scenario.road.curvature(at: s + Double(k) * dz) * dz
            x += heading * dz
            bend[k] = Float(x)
        }
        self.bend = bend
    }

    /// bend(z), extrapolated linearly past the table.
    @inline(__always)
    public func bend(at z: Float) -> Float {
        bend.withUnsafeBufferPointer { b in CameraPose.bend(b, at: z) }
    }

    @inline(__always)
    static func bend(_ b: UnsafeBufferPointer<Float>, at z: Float) -> Float {
        let f = max(z, 0) / bendStep
        let i = Int(f)
        if i >= bendCount - 1 {
            let slope = b[bendCount - 1] - b[bendCount - 2]
            return b[bendCount - 1] + slope * (f - Float(bendCount - 1))
        }
        let t = f - Float(i)
        return b[i] + (b[i + 1] - b[i]) * t
    }

    /// Camera-frame direction of pixel (px, py) (pixel centres at +0.5), not normalized.
    public func ray(px: Double, py: Double) -> (x: Double, y: Double, z: Double) {
        let xn = (px + 0.5 - cx) / focal, yn = -(py + 0.5 - cy) / focal
        let xr = xn * cos(roll) - yn * sin(roll), yr = xn * sin(roll) + yn * cos(roll)
        return (xr, yr * cos(pitch) - sin(pitch), yr * sin(pitch) + cos(pitch))
    }

    /// Pixel position (x, y) of a camera-frame point, or nil behind the camera.
    public func project(x: Double, y: Double, z: Double) -> (x: Double, y: Double)? {
        // Undo pitch, then roll.
        let yr = y * cos(pitch) + z * sin(pitch), zr = -y * sin(pitch) + z * cos(pitch)
        guard zr > 0.1 else { return nil }
        let xn = x * cos(roll) + yr * sin(roll), yn = -x * sin(roll) + yr * cos(roll)
        return (focal * xn / zr + cx - 0.5, -focal * yn / zr + cy - 0.5)
    }

    /// Pixel of the road point (u, forward distance z, height y above the road).
    public func project(u: Double, z: Double, y: Double = 0) -> (x: Double, y: Double)? {
        project(x: Double(bend(at: Float(z))) + u - lateral, y: y - height, z: z)
    }

    /// Image row of the horizon at the image centre column.
    public var horizonY: Double { cy - 0.5 - focal * tan(pitch) }
}
