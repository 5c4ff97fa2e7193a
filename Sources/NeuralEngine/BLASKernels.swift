import COpenBLAS
import Foundation

/// Which of OpenBLAS's kernels run the engine's sgemm, and the one correction ClearLane makes.
///
/// OpenBLAS (Debian's build has every kernel, `DYNAMIC_ARCH`) picks its kernels when it is loaded,
/// from the CPU's family and model numbers. A CPU newer than the library — here a Xeon of model
/// 207, unknown to OpenBLAS 0.3.21 — falls back to `Prescott`, the SSE3 kernels, although it has
/// AVX-512: the sgemm peak drops from 188 to 65 GFLOP/s and the CPNet's alignment step from
/// 9.0 to 16.1 ms (docs/decisions/0036-openblas-kernels.md). The only way to choose other kernels
/// is the `OPENBLAS_CORETYPE` environment variable, read when the library is loaded, before
/// `main`; so `clearlane` restarts itself once with it set (`ClearLane.main`).
public enum BLASKernels {
    /// The kernels OpenBLAS runs now (`openblas_get_corename`, e.g. "Prescott", "SkylakeX").
    public static var coreName: String {
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// OpenBLAS's cores whose kernels use AVX2 and FMA or more (lowercased): a CPU OpenBLAS
    /// knows gets one of these when it has AVX2.
    static let vectorCores: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

    /// The `OPENBLAS_CORETYPE` to use instead of `core` on a CPU with `cpuFlags` (/proc/cpuinfo's
    /// names), or nil when OpenBLAS's choice stands: it already runs AVX2 kernels, or the CPU has
    /// no AVX2 and FMA for them. AVX-512 (F, BW, DQ and VL, what the SkylakeX kernels use) gets
    /// "SkylakeX", AVX2 and FMA "Haswell".
    public static func correction(core: String, cpuFlags: Set<String>) -> String? {
        guard !vectorCores.contains(core.lowercased()) else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU's vector features in /proc/cpuinfo's names ("avx2", "fma", and "avx512f",
    /// "avx512bw", "avx512dq", "avx512vl" when the OS saves their state too), read with CPUID
    /// (`clearlane_cpu_vector_level`): the shipped systemd unit hides /proc/cpuinfo
    /// (`ProcSubset=pid`). Only the features `correction` looks at.
    public static var cpuFlags: Set<String> {
        switch clearlane_cpu_vector_level() {
        case 2: return ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
        case 1: return ["avx2", "fma"]
        default: return []
        }
    }

    /// The core type to restart with, or nil to go on as loaded: nil when `OPENBLAS_CORETYPE` is
    /// set in `environment` (the user's choice, or this process is the restart already), or when
    /// `correction` keeps OpenBLAS's own choice.
    public static func restartCoreType(environment: [String: String], core: String, cpuFlags: Set<String>) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil else { return nil }
        return correction(core: core, cpuFlags: cpuFlags)
    }
}
