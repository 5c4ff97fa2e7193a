import COpenBLAS
#if canImport(Glibc)
import Glibc
#endif

/// The engine's only door to OpenBLAS. Swift code elsewhere never imports COpenBLAS.
public enum BLAS {
    /// C[m×n] = A[m×k] · B[k×n] (+ C when `accumulate`), row-major, with leading dimensions.
    @inlinable
    public static func sgemm(m: Int, n: Int, k: Int,
                             a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(lda), b, Int32(ldb), accumulate ? 1 : 0, c, Int32(ldc))
    }

    /// Threads OpenBLAS itself may use for one call. The engine sets 1 when it parallelises
    /// convolutions over output tiles itself.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Measures the sgemm peak of this machine: GFLOP/s of one large square product (n×n·n×n),
    /// best of `repeats`, with OpenBLAS using `threads` threads.
    public static func measurePeakGFLOPS(n: Int = 1024, repeats: Int = 5, threads: Int) -> Double {
        let saved = BLAS.threads
        BLAS.threads = threads
        defer { BLAS.threads = saved }
        let a = Tensor(shape: [n, n], fill: 0.5), b = Tensor(shape: [n, n], fill: 0.25), c = Tensor(shape: [n, n])
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = Clock.seconds()
            sgemm(m: n, n: n, k: n, a: a.data, lda: n, b: b.data, ldb: n, c: c.data, ldc: n)
            best = min(best, Clock.seconds() - start)
        }
        return 2 * Double(n) * Double(n) * Double(n) / best / 1e9
    }
}

/// Monotonic time in seconds.
public enum Clock {
    @inlinable public static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
