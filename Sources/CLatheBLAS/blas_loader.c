// OpenBLAS is opened here, before main, instead of being linked: a linked
// OpenBLAS initialises before any of our code runs, and two of its start-up
// choices cost the engine time.
//
// - Its kernel set. OpenBLAS 0.3.21 (Debian 12) does not know AMD's AVX-512
//   CPUs (Zen 4 and 5) and runs them on its AVX2 "Haswell" kernels: half the
//   width, ~58 against ~108 GMAC/s for a convolution-sized sgemm on one core
//   here. On such a CPU we ask for the "SkylakeX" kernels (AVX-512F/CD/BW/DQ/VL,
//   all of which the CPU has). A user's own OPENBLAS_CORETYPE (not empty) is kept.
// - Its threads. The engine parallelises itself and calls BLAS from several
//   workers at once, so BLAS must run single-threaded; set after start-up,
//   OpenBLAS has already started a thread per core, which spins in
//   sched_yield for ~0.1 s beside our workers. Opened with one thread, it
//   starts none.
//
// The environment is changed only around dlopen, in a constructor (one thread,
// before main), and restored afterwards, so no child process inherits it.
#define _GNU_SOURCE
#include "lathe_blas.h"
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };  // cblas.h's CBLAS_ORDER / CBLAS_TRANSPOSE

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef void (*dgemm_fn)(int, int, int, int, int, int, double, const double *, int, const double *, int, double,
                         double *, int);
typedef void (*dgesdd_fn)(const char *, const int *, const int *, double *, const int *, double *, double *,
                          const int *, double *, const int *, double *, const int *, int *, int *, size_t);
typedef void (*dpotr_fn)(const char *, const int *, double *, const int *, int *, size_t);
typedef char *(*corename_fn)(void);
typedef void (*set_threads_fn)(int);

static struct {
    sgemm_fn sgemm;
    sgemv_fn sgemv;
    dgemm_fn dgemm;
    dgesdd_fn dgesdd;
    dpotr_fn dpotrf, dpotri;
    corename_fn corename;
    int (*get_threads)(void);
    const char *error;
    char message[512];
} blas;

/// Whether this is an AMD CPU with the AVX-512 subsets of OpenBLAS's SkylakeX kernels (the
/// compiler's checks include the OS saving the 512-bit registers).
static int amd_with_avx512(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    return __builtin_cpu_is("amd") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd")
        && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vl");
#else
    return 0;
#endif
}

/// Sets `name` to `value` for the dlopen (with `overwrite` 0, only when it is unset or empty),
/// keeping the old value (a copy, or NULL) to restore.
static char *set_for_load(const char *name, const char *value, int overwrite) {
    const char *old = getenv(name);
    char *saved = old ? strdup(old) : NULL;
    setenv(name, value, overwrite || !old || !*old);
    return saved;
}

static void restore(const char *name, char *saved) {
    if (saved) {
        setenv(name, saved, 1);
        free(saved);
    } else {
        unsetenv(name);
    }
}

static void fail(const char *what) {
    snprintf(blas.message, sizeof blas.message, "%s", what);
    blas.error = blas.message;
}

__attribute__((constructor)) static void lathe_blas_open(void) {
    const int wider_core = amd_with_avx512();
    char *threads = set_for_load("OPENBLAS_NUM_THREADS", "1", 1);
    char *core = wider_core ? set_for_load("OPENBLAS_CORETYPE", "SKYLAKEX", 0) : NULL;
    // libopenblas.so.0 is the runtime name every Debian OpenBLAS variant provides (libopenblas0).
    void *library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!library) library = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
    const char *open_error = library ? NULL : dlerror();
    restore("OPENBLAS_NUM_THREADS", threads);
    if (wider_core) restore("OPENBLAS_CORETYPE", core);
    if (!library) {
        char what[480];
        snprintf(what, sizeof what, "cannot open OpenBLAS (libopenblas.so.0; `make deps` installs it): %s",
                 open_error ? open_error : "unknown error");
        fail(what);
        return;
    }
    blas.sgemm = (sgemm_fn)dlsym(library, "cblas_sgemm");
    blas.sgemv = (sgemv_fn)dlsym(library, "cblas_sgemv");
    blas.dgemm = (dgemm_fn)dlsym(library, "cblas_dgemm");
    blas.dgesdd = (dgesdd_fn)dlsym(library, "dgesdd_");
    blas.dpotrf = (dpotr_fn)dlsym(library, "dpotrf_");
    blas.dpotri = (dpotr_fn)dlsym(library, "dpotri_");
    blas.corename = (corename_fn)dlsym(library, "openblas_get_corename");
    blas.get_threads = (int (*)(void))dlsym(library, "openblas_get_num_threads");
    set_threads_fn set_threads = (set_threads_fn)dlsym(library, "openblas_set_num_threads");
    if (!blas.sgemm || !blas.sgemv || !blas.dgemm || !blas.dgesdd || !blas.dpotrf || !blas.dpotri) {
        fail("the OpenBLAS found (libopenblas.so.0) lacks cblas_sgemm, cblas_sgemv, cblas_dgemm, dgesdd_, dpotrf_ "
             "or dpotri_");
        return;
    }
    // Also for an OpenBLAS that ignored the variable (an OpenMP build reads OMP_NUM_THREADS instead).
    if (set_threads) set_threads(1);
}

const char *lathe_blas_load_error(void) { return blas.error; }

const char *lathe_blas_core(void) {
    if (blas.error || !blas.corename) return "";
    const char *name = blas.corename();
    return name ? name : "";
}

int lathe_blas_threads(void) { return blas.error || !blas.get_threads ? 0 : blas.get_threads(); }

/// Calls without an OpenBLAS stop the process with the reason (LatheCore checks `lathe_blas_load_error`
/// first and reports it; this is the last resort).
static void require(void *function) {
    if (function) return;
    fprintf(stderr, "lathe: %s\n", blas.error ? blas.error : "OpenBLAS is not loaded");
    abort();
}

void lathe_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc) {
    require((void *)blas.sgemm);
    blas.sgemm(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb,
               beta, c, ldc);
}

void lathe_sgemv(int trans, int m, int n, float alpha, const float *a, int lda, const float *x, int incx, float beta,
                 float *y, int incy) {
    require((void *)blas.sgemv);
    blas.sgemv(ROW_MAJOR, trans ? TRANS : NO_TRANS, m, n, alpha, a, lda, x, incx, beta, y, incy);
}

void lathe_dgemm(int trans_a, int trans_b, int m, int n, int k, double alpha, const double *a, int lda,
                 const double *b, int ldb, double beta, double *c, int ldc) {
    require((void *)blas.dgemm);
    blas.dgemm(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb,
               beta, c, ldc);
}

void lathe_dgesdd(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u,
                  const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork, int *iwork, int *info,
                  size_t jobz_len) {
    require((void *)blas.dgesdd);
    blas.dgesdd(jobz, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, iwork, info, jobz_len);
}

void lathe_dpotrf(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len) {
    require((void *)blas.dpotrf);
    blas.dpotrf(uplo, n, a, lda, info, uplo_len);
}

void lathe_dpotri(const char *uplo, const int *n, double *a, const int *lda, int *info, size_t uplo_len) {
    require((void *)blas.dpotri);
    blas.dpotri(uplo, n, a, lda, info, uplo_len);
}
