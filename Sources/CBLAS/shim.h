#ifndef LATHE_CBLAS_SHIM_H
#define LATHE_CBLAS_SHIM_H
// OpenBLAS's cblas.h also declares openblas_set_num_threads, which the engine
// uses to keep BLAS single-threaded while it parallelises over batches itself.
#include <cblas.h>
#endif
