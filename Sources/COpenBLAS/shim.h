#ifndef CLEARLANE_COPENBLAS_SHIM_H
#define CLEARLANE_COPENBLAS_SHIM_H
// cblas from the pthread build of OpenBLAS (pkg-config openblas adds its include directory).
#include <cblas.h>

// openblas_set_num_threads / openblas_get_num_threads are declared in cblas.h of OpenBLAS.
#endif
