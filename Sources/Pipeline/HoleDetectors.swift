import Imaging
import Lanes

/// Factories for the live hole detector, used where a drive has no truth masks.
public enum HoleDetectors {
    /// The live exposure analyzer for a camera geometry (processing size), or nil while the
    /// Exposure module is not part of this build.
    public static let live: @Sendable (RoadGeometry) -> (any HoleDetecting)? = { _ in nil }
}
