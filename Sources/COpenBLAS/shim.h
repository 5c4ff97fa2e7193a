#ifndef CLEARLANE_COPENBLAS_SHIM_H
#define CLEARLANE_COPENBLAS_SHIM_H
// cblas from the pthread build of OpenBLAS (pkg-config openblas adds its include directory).
#include <cblas.h>

// openblas_set_num_threads / openblas_get_num_threads / openblas_get_corename are declared in
// cblas.h of OpenBLAS.

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

// The vector instructions this CPU has and the OS saves on a context switch, for choosing
// OpenBLAS's kernels (docs/decisions/0036-openblas-kernels.md): 2 = AVX-512 F, DQ, BW and VL
// (SkylakeX's kernels), 1 = AVX2 and FMA (Haswell's), 0 = neither or not x86. Read with CPUID
// and XGETBV, not /proc/cpuinfo, which the shipped unit's ProcSubset=pid hides.
static inline int clearlane_cpu_vector_level(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!(fma && osxsave && avx)) return 0;
    unsigned int xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0x6) != 0x6) return 0;  // the OS saves SSE and AVX state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    if (!((b >> 5) & 1)) return 0;  // AVX2
    const int f = (b >> 16) & 1, dq = (b >> 17) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1;
    // opmask, ZMM upper halves and ZMM16-31 state saved too
    if (f && dq && bw && vl && (xcr0_low & 0xe6) == 0xe6) return 2;
    return 1;
#else
    return 0;
#endif
}
#endif
