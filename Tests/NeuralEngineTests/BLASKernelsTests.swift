import Foundation
import NeuralEngine
import Testing

/// Decision 0036: when OpenBLAS's kernels are replaced, and by which.
@Suite("OpenBLAS kernel choice")
struct BLASKernelsTests {
    let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
    let avx2: Set<String> = ["sse3", "avx", "avx2", "fma"]

    @Test func aFallbackCoreIsReplacedByTheCPUsBestVectorKernels() {
        #expect(BLASKernels.correction(core: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASKernels.correction(core: "Prescott", cpuFlags: avx2) == "Haswell")
        #expect(BLASKernels.correction(core: "Nehalem", cpuFlags: avx2) == "Haswell")
        // AVX-512 without the BW/DQ/VL parts the SkylakeX kernels use (Knights Landing): AVX2's.
        #expect(BLASKernels.correction(core: "Prescott", cpuFlags: avx2.union(["avx512f"])) == "Haswell")
    }

    @Test func vectorKernelsAndCPUsWithoutThemAreLeftAlone() {
        for core in ["Haswell", "Zen", "SkylakeX", "COOPERLAKE", "SapphireRapids"] {
            #expect(BLASKernels.correction(core: core, cpuFlags: avx512) == nil, "\(core)")
        }
        #expect(BLASKernels.correction(core: "Sandybridge", cpuFlags: ["sse3", "avx"]) == nil)
        #expect(BLASKernels.correction(core: "Prescott", cpuFlags: ["sse3", "avx2"]) == nil)
        #expect(BLASKernels.correction(core: "Prescott", cpuFlags: []) == nil)
    }

    @Test func aSetCoreTypeIsNeverOverridden() {
        #expect(BLASKernels.restartCoreType(environment: [:], core: "Prescott", cpuFlags: avx512) == "SkylakeX")
        #expect(BLASKernels.restartCoreType(environment: ["OPENBLAS_CORETYPE": "Prescott"], core: "Prescott", cpuFlags: avx512) == nil)
    }

    /// CPUID and the kernel agree: /proc/cpuinfo lists a feature only where the OS enabled it,
    /// as the XGETBV check does.
    @Test func cpuidReadsWhatTheKernelReports() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("flags") })
        let kernel = Set(line.split(separator: ":")[1].split(separator: " ").map(String.init))
        let looked = ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
        let expected = Set(looked.filter(kernel.contains))
        // CPUID's answer is all-or-nothing per level; the kernel's flags must then hold exactly it
        // for AVX2/FMA and for the four AVX-512 parts together.
        let hasVector = expected.isSuperset(of: ["avx2", "fma"])
        let hasAVX512 = hasVector && expected.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"])
        let want: Set<String> = hasAVX512 ? Set(looked) : hasVector ? ["avx2", "fma"] : []
        #expect(BLASKernels.cpuFlags == want, "cpuinfo \(expected)")
    }
}
