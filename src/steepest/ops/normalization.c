/* Batch norm's passes over channels that are each one contiguous block of m values (the
 * batch-innermost layout a convolution returns, (C, H, W, N)): ops/normalization.py's
 * BatchNorm in 3 passes forward and 2 backward, where the NumPy path takes 4 and 4 and
 * allocates. Sums are kept in float64 vectors, so float32 statistics are exact to float32.
 * Channels c0 <= c < c1 only: a thread's share. */
#include <math.h>
#include <stddef.h>

typedef float f32x16 __attribute__((vector_size(64)));
typedef float uf32x16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef double f64x8 __attribute__((vector_size(64)));
typedef double uf64x8 __attribute__((vector_size(64), aligned(8), may_alias));

/* sum of p[i] (q == NULL), or of (p[i] - shift)^2, or of p[i] q[i], in double */
static double sum_f32(const float *p, const float *q, double shift, ptrdiff_t m, int square) {
    f64x8 lo = {0}, hi = {0};
    ptrdiff_t i = 0;
    for (; i + 16 <= m; i += 16) {
        f32x16 v = *(const uf32x16 *)(p + i);
        f64x8 a = __builtin_convertvector(__builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7), f64x8);
        f64x8 b = __builtin_convertvector(__builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15), f64x8);
        if (square) {
            a -= shift, b -= shift;
            a *= a, b *= b;
        } else if (q) {
            f32x16 w = *(const uf32x16 *)(q + i);
            a *= __builtin_convertvector(__builtin_shufflevector(w, w, 0, 1, 2, 3, 4, 5, 6, 7), f64x8);
            b *= __builtin_convertvector(__builtin_shufflevector(w, w, 8, 9, 10, 11, 12, 13, 14, 15), f64x8);
        }
        lo += a, hi += b;
    }
    double s = 0;
    for (int l = 0; l < 8; l++) s += lo[l] + hi[l];
    for (; i < m; i++) {
        double a = p[i];
        s += square ? (a - shift) * (a - shift) : (q ? a * q[i] : a);
    }
    return s;
}

static double sum_f64(const double *p, const double *q, double shift, ptrdiff_t m, int square) {
    f64x8 acc[2] = {{0}, {0}};
    ptrdiff_t i = 0;
    for (; i + 16 <= m; i += 16)
        for (int k = 0; k < 2; k++) {
            f64x8 a = *(const uf64x8 *)(p + i + 8 * k);
            if (square) {
                a -= shift;
                a *= a;
            } else if (q) {
                a *= *(const uf64x8 *)(q + i + 8 * k);
            }
            acc[k] += a;
        }
    double s = 0;
    for (int l = 0; l < 8; l++) s += acc[0][l] + acc[1][l];
    for (; i < m; i++) s += square ? (p[i] - shift) * (p[i] - shift) : (q ? p[i] * q[i] : p[i]);
    return s;
}

/* mean, var (biased) per channel; xhat = (x - mean) r, y = w xhat + b, r = 1/sqrt(var + eps) */
#define BN_FORWARD(T)                                                                        \
    void batchnorm_forward_##T(const T *restrict x, T *restrict xhat, T *restrict y,          \
                               const T *w, const T *b, T *mean, T *var, double eps,          \
                               ptrdiff_t m, ptrdiff_t c0, ptrdiff_t c1) {                    \
        for (ptrdiff_t c = c0; c < c1; c++) {                                                \
            const T *xc = x + c * m;                                                         \
            const double mu = sum_##T(xc, NULL, 0, m, 0) / m;                                \
            const double v = sum_##T(xc, NULL, mu, m, 1) / m;                                \
            const T r = (T)(1 / sqrt(v + eps)), wc = w[c], bc = b[c], muc = (T)mu;           \
            T *xh = xhat + c * m, *yc = y + c * m;                                           \
            for (ptrdiff_t i = 0; i < m; i++) {                                              \
                const T h = (xc[i] - muc) * r;                                               \
                xh[i] = h;                                                                   \
                yc[i] = h * wc + bc;                                                         \
            }                                                                                \
            mean[c] = (T)mu, var[c] = (T)v;                                                  \
        }                                                                                    \
    }                                                                                        \
                                                                                             \
    /* db = sum g, dw = sum g xhat; dx = a (g - db/m - xhat dw/m), a = w r per channel */     \
    void batchnorm_backward_##T(const T *restrict g, const T *restrict xhat, T *restrict dx, \
                                const T *a, T *db, T *dw, ptrdiff_t m, ptrdiff_t c0,         \
                                ptrdiff_t c1) {                                              \
        for (ptrdiff_t c = c0; c < c1; c++) {                                                \
            const T *gc = g + c * m, *xh = xhat + c * m;                                     \
            const double sb = sum_##T(gc, NULL, 0, m, 0), sw = sum_##T(gc, xh, 0, m, 0);     \
            const T ac = a[c], shift = (T)(sb / m), slope = (T)(sw / m);                     \
            T *d = dx + c * m;                                                               \
            for (ptrdiff_t i = 0; i < m; i++) d[i] = ac * (gc[i] - shift - xh[i] * slope);   \
            db[c] = (T)sb, dw[c] = (T)sw;                                                    \
        }                                                                                    \
    }

typedef float float32;
typedef double float64;
#define sum_float32 sum_f32
#define sum_float64 sum_f64
BN_FORWARD(float32)
BN_FORWARD(float64)
