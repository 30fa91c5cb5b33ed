#ifndef LATHE_BLAS_H
#define LATHE_BLAS_H
// OpenBLAS, opened at process start rather than linked (see blas_loader.c),
// so that its kernel set and thread count are chosen before it initialises.
// Matrices are row-major unless a function says otherwise; a `trans_*` flag
// of 1 takes the transpose of that operand.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Why OpenBLAS could not be opened, or NULL when it was.
const char *lathe_blas_load_error(void);

/// The kernel set OpenBLAS runs on this CPU ("SkylakeX", "Haswell", ...), or
/// "" when it is not loaded.
const char *lathe_blas_core(void);

/// The threads OpenBLAS runs a call on (1 once loaded), or 0 when it is not loaded.
int lathe_blas_threads(void);

/// c = alpha * op(a) * op(b) + beta * c, op(a) m x k, op(b) k x n.
void lathe_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);

/// y = alpha * op(a) * x + beta * y, a m x n (row-major), op(a) = a or its transpose.
void lathe_sgemv(int trans, int m, int n, float alpha, const float *a, int lda, const float *x, int incx, float beta,
                 float *y, int incy);

/// The double-precision `lathe_sgemm`.
void lathe_dgemm(int trans_a, int trans_b, int m, int n, int k, double alpha, const double *a, int lda,
                 const double *b, int ldb, double beta, double *c, int ldc);

// LAPACK, column-major, with the reference arguments (the trailing length is
// the hidden Fortran length of the character argument, gfortran ABI).

/// Divide-and-conquer SVD.
void lathe_dgesdd(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u,
                  const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork, int *iwork, int *info,
                  size_t jobz_len);

/// Cholesky factorisation of a symmetric positive definite matrix.
void lathe_dpotrf(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);

/// The inverse from `lathe_dpotrf`'s factor.
void lathe_dpotri(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len);

#ifdef __cplusplus
}
#endif
#endif
