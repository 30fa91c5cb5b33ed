#ifndef LATHE_CBLAS_SHIM_H
#define LATHE_CBLAS_SHIM_H
// OpenBLAS's cblas.h also declares openblas_set_num_threads, which the engine
// uses to keep BLAS single-threaded while it parallelises over batches itself.
#include <cblas.h>
#include <stddef.h>

// LAPACK's divide-and-conquer SVD (libopenblas exports the Fortran symbol;
// Debian ships no lapack.h with it). Column-major. The trailing length is the
// hidden Fortran length of the `jobz` character argument (gfortran ABI).
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda,
             double *s, double *u, const int *ldu, double *vt, const int *ldvt,
             double *work, const int *lwork, int *iwork, int *info, size_t jobz_len);

// Cholesky factorisation and the inverse from it (symmetric positive definite,
// column-major), for GPTQ's inverse Hessian. The trailing length is `uplo`'s.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);
#endif
