/* Max pooling over batch-innermost planes (C, H, W, N), N contiguous: ops/pool.py's MaxPool2d
 * in one pass each way. The NumPy path makes kh kw passes over views forward, and backward
 * builds a mask per window offset, counts the ties, and scatters: 7 passes for a 2x2 pool.
 *
 * g[] holds the geometry in elements (enum G); x and dx are padded planes (padding -inf for
 * x, as pool.py pads). Channels c0 <= c < c1 only: a thread's share. Semantics as the NumPy
 * path: NaN propagates forward; backward, the tied maxima of a window share its gradient
 * equally, and a window whose max is NaN passes no gradient (NaN equals nothing).
 */
#include <stddef.h>

enum G { G_KH, G_KW, G_HO, G_WO, G_N, G_SH, G_SW, G_DH, G_DW,
         G_XC, G_XH, G_XW, G_YC, G_YH, G_YW, G_GC, G_GH, G_GW, G_DC, G_DXH, G_DXW };

#define CHUNK 64 /* images at a time in the backward pass's per-image counts */

#define MAXPOOL(T)                                                                           \
    void maxpool_forward_##T(const T *restrict x, T *restrict y, const ptrdiff_t *g,          \
                             ptrdiff_t c0, ptrdiff_t c1) {                                   \
        const ptrdiff_t n = g[G_N];                                                          \
        for (ptrdiff_t c = c0; c < c1; c++)                                                  \
            for (ptrdiff_t h = 0; h < g[G_HO]; h++)                                          \
                for (ptrdiff_t w = 0; w < g[G_WO]; w++) {                                    \
                    const T *xb = x + c * g[G_XC] + h * g[G_SH] * g[G_XH] + w * g[G_SW] * g[G_XW]; \
                    T *yb = y + c * g[G_YC] + h * g[G_YH] + w * g[G_YW];                     \
                    for (ptrdiff_t l = 0; l < n; l++) yb[l] = xb[l];                         \
                    for (ptrdiff_t i = 0; i < g[G_KH]; i++)                                  \
                        for (ptrdiff_t j = (i == 0); j < g[G_KW]; j++) {                     \
                            const T *xp = xb + i * g[G_DH] * g[G_XH] + j * g[G_DW] * g[G_XW]; \
                            for (ptrdiff_t l = 0; l < n; l++) {                              \
                                const T v = xp[l], m = yb[l];                                \
                                yb[l] = (v > m || v != v) ? v : m; /* as np.maximum */       \
                            }                                                                \
                        }                                                                    \
                }                                                                            \
    }                                                                                        \
                                                                                             \
    /* dx[window] += gy / (number of maxima) where x == y, dx zeroed beforehand; or, where the \
     * windows tile dx without overlap (tile != 0), dx[window] = that, so dx needs no zeroing */ \
    void maxpool_backward_##T(const T *restrict x, const T *restrict y, const T *restrict gy, \
                              T *restrict dx, const ptrdiff_t *g, ptrdiff_t c0, ptrdiff_t c1, \
                              ptrdiff_t tile) {                                              \
        const ptrdiff_t n = g[G_N];                                                          \
        T count[CHUNK], share[CHUNK];                                                        \
        for (ptrdiff_t c = c0; c < c1; c++)                                                  \
            for (ptrdiff_t h = 0; h < g[G_HO]; h++)                                          \
                for (ptrdiff_t w = 0; w < g[G_WO]; w++)                                      \
                    for (ptrdiff_t n0 = 0; n0 < n; n0 += CHUNK) {                            \
                        const ptrdiff_t len = n - n0 < CHUNK ? n - n0 : CHUNK;               \
                        const ptrdiff_t hx = h * g[G_SH], wx = w * g[G_SW];                  \
                        const T *xb = x + c * g[G_XC] + hx * g[G_XH] + wx * g[G_XW] + n0;    \
                        T *db = dx + c * g[G_DC] + hx * g[G_DXH] + wx * g[G_DXW] + n0;       \
                        const T *yb = y + c * g[G_YC] + h * g[G_YH] + w * g[G_YW] + n0;      \
                        const T *gb = gy + c * g[G_GC] + h * g[G_GH] + w * g[G_GW] + n0;     \
                        for (ptrdiff_t l = 0; l < len; l++) count[l] = 0;                    \
                        for (ptrdiff_t i = 0; i < g[G_KH]; i++)                              \
                            for (ptrdiff_t j = 0; j < g[G_KW]; j++) {                        \
                                const T *xp = xb + i * g[G_DH] * g[G_XH] + j * g[G_DW] * g[G_XW]; \
                                for (ptrdiff_t l = 0; l < len; l++) count[l] += xp[l] == yb[l]; \
                            }                                                                \
                        for (ptrdiff_t l = 0; l < len; l++)                                  \
                            share[l] = gb[l] / (count[l] > 1 ? count[l] : (T)1);             \
                        for (ptrdiff_t i = 0; i < g[G_KH]; i++)                              \
                            for (ptrdiff_t j = 0; j < g[G_KW]; j++) {                        \
                                const ptrdiff_t di = i * g[G_DH], dj = j * g[G_DW];          \
                                const T *xp = xb + di * g[G_XH] + dj * g[G_XW];              \
                                T *dp = db + di * g[G_DXH] + dj * g[G_DXW];                  \
                                if (tile)                                                    \
                                    for (ptrdiff_t l = 0; l < len; l++)                      \
                                        dp[l] = xp[l] == yb[l] ? share[l] : (T)0;            \
                                else                                                         \
                                    for (ptrdiff_t l = 0; l < len; l++)                      \
                                        dp[l] += xp[l] == yb[l] ? share[l] : (T)0;           \
                            }                                                                \
                    }                                                                        \
    }

typedef float float32;
typedef double float64;
MAXPOOL(float32)
MAXPOOL(float64)
