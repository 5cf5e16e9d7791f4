/* Direct 2-D convolution over batch-innermost planes: the three kernels of ops/conv.py
 * (forward, input gradient, weight gradient) without im2col columns.
 *
 * Arrays are laid out (C, H, W, N) with N contiguous, the layout _im2col.py keeps, so the
 * batch is the vector axis: one output pixel of NB images is NB adjacent values, and each
 * kernel tap is one vector multiply-add. im2col + GEMM instead writes C kh kw values per
 * output value to memory and reads them back (LeNet-5's first layer: 10 MB a step, for a GEMM
 * whose 6 rows leave BLAS mostly idle). Accumulators live in fixed-size local arrays that
 * the compiler keeps in vector registers (OB output channels x NB images, or OB x TB taps).
 *
 * g[] holds the geometry of one group, in elements (see enum G). Pointers point at the
 * group's first channel. The weights come packed as (C kh kw, O), row stride ldw, so the OB
 * values one tap needs are adjacent (conv_direct.py packs them). The caller splits work
 * across threads by rows (forward), input channels (input gradient) or tap rows (weight
 * gradient), so no two threads write the same value.
 */
#include <stddef.h>
#include <stdlib.h>

enum G { G_C, G_O, G_KH, G_KW, G_HO, G_WO, G_N, G_SH, G_SW, G_DH, G_DW,
         G_XC, G_XH, G_XW, G_YC, G_YH, G_YW };

/* 64-byte vectors (one AVX-512 register; two or four elsewhere, which the compiler splits).
 * The unaligned, may-alias variants read and write arrays at any element offset. */
typedef float vf32 __attribute__((vector_size(64)));
typedef double vf64 __attribute__((vector_size(64)));
typedef float uf32 __attribute__((vector_size(64), aligned(4), may_alias));
typedef double uf64 __attribute__((vector_size(64), aligned(8), may_alias));
#define LANES(T) ((int)(64 / sizeof(T)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* ----- forward: y[o,h,w,:] = b[o] + sum_{c,i,j} W[o,c,i,j] x[c, sh h + dh i, sw w + dw j, :]
 * A block: OB output channels of one pixel for NV vectors of images, OB x NV accumulators.
 * x points at the window's corner [0, sh h, sw w, n0], y at [o0, h, w, n0]. */
#define FWD_BLOCK(T, NAME, OB, NV, KW)                                                       \
    static void NAME(const T *restrict x, const T *restrict wk, ptrdiff_t ldw,               \
                     const T *restrict b, T *restrict y, const ptrdiff_t *g) {               \
        const ptrdiff_t kw = KW ? KW : g[G_KW]; /* 3 and 5 known here: the tap loop unrolls */ \
        v##T acc[OB][NV];                                                                    \
        for (int o = 0; o < OB; o++)                                                         \
            for (int v = 0; v < NV; v++) acc[o][v] = (v##T){0} + (b ? b[o] : (T)0);          \
        const ptrdiff_t di = g[G_DH] * g[G_XH], dj = g[G_DW] * g[G_XW];                     \
        for (ptrdiff_t c = 0; c < g[G_C]; c++)                                               \
            for (ptrdiff_t i = 0; i < g[G_KH]; i++) {                                        \
                const T *xr = x + c * g[G_XC] + i * di;                                      \
                for (ptrdiff_t j = 0; j < kw; j++, wk += ldw) {                              \
                    v##T xv[NV];                                                             \
                    for (int v = 0; v < NV; v++) xv[v] = *(const u##T *)(xr + j * dj + v * LANES(T)); \
                    for (int o = 0; o < OB; o++)                                             \
                        for (int v = 0; v < NV; v++) acc[o][v] += wk[o] * xv[v];             \
                }                                                                            \
            }                                                                                \
        for (int o = 0; o < OB; o++)                                                         \
            for (int v = 0; v < NV; v++) *(u##T *)(y + o * g[G_YC] + v * LANES(T)) = acc[o][v]; \
    }

/* images left over after the vector blocks (fewer than LANES): the same sums, one at a time */
#define FWD_TAIL(T, NAME)                                                                    \
    static void NAME(const T *restrict x, const T *restrict wk, ptrdiff_t ldw,               \
                     const T *restrict b, T *restrict y, const ptrdiff_t *g, ptrdiff_t len) { \
        for (ptrdiff_t o = 0; o < g[G_O]; o++)                                               \
            for (ptrdiff_t l = 0; l < len; l++) {                                            \
                T s = b ? b[o] : (T)0;                                                       \
                const T *w = wk + o;                                                         \
                for (ptrdiff_t c = 0; c < g[G_C]; c++)                                       \
                    for (ptrdiff_t i = 0; i < g[G_KH]; i++)                                  \
                        for (ptrdiff_t j = 0; j < g[G_KW]; j++, w += ldw)                    \
                            s += *w * x[c * g[G_XC] + i * g[G_DH] * g[G_XH] +                \
                                        j * g[G_DW] * g[G_XW] + l];                          \
                y[o * g[G_YC] + l] = s;                                                      \
            }                                                                                \
    }

#define FWD_NV_KW(T, NV, KW)                                                                 \
    FWD_BLOCK(T, fwd_##T##_##NV##_1_##KW, 1, NV, KW)                                         \
    FWD_BLOCK(T, fwd_##T##_##NV##_2_##KW, 2, NV, KW)                                         \
    FWD_BLOCK(T, fwd_##T##_##NV##_3_##KW, 3, NV, KW)                                         \
    FWD_BLOCK(T, fwd_##T##_##NV##_4_##KW, 4, NV, KW)                                         \
    FWD_BLOCK(T, fwd_##T##_##NV##_5_##KW, 5, NV, KW)                                         \
    FWD_BLOCK(T, fwd_##T##_##NV##_6_##KW, 6, NV, KW)                                         \
    FWD_BLOCK(T, fwd_##T##_##NV##_7_##KW, 7, NV, KW)                                         \
    FWD_BLOCK(T, fwd_##T##_##NV##_8_##KW, 8, NV, KW)
#define FWD_NV(T, NV) FWD_NV_KW(T, NV, 0) FWD_NV_KW(T, NV, 3) FWD_NV_KW(T, NV, 5)
#define FWD_ROW(T, NV, KW)                                                                   \
    {0, fwd_##T##_##NV##_1_##KW, fwd_##T##_##NV##_2_##KW, fwd_##T##_##NV##_3_##KW,           \
     fwd_##T##_##NV##_4_##KW, fwd_##T##_##NV##_5_##KW, fwd_##T##_##NV##_6_##KW,              \
     fwd_##T##_##NV##_7_##KW, fwd_##T##_##NV##_8_##KW}
#define FWD_KW(T, KW) {{0}, FWD_ROW(T, 1, KW), FWD_ROW(T, 2, KW)}

/* rows h0 <= h < h1 of the output, all O channels */
#define FWD(T)                                                                               \
    FWD_NV(T, 1)                                                                             \
    FWD_NV(T, 2)                                                                             \
    FWD_TAIL(T, fwd_tail_##T)                                                                \
    typedef void (*fwd_fn_##T)(const T *, const T *, ptrdiff_t, const T *, T *,              \
                               const ptrdiff_t *);                                           \
    static const fwd_fn_##T FWD_##T[3][3][9] = {FWD_KW(T, 0), FWD_KW(T, 3), FWD_KW(T, 5)};    \
    void conv_forward_##T(const T *x, const T *wk, ptrdiff_t ldw, const T *b, T *y,           \
                          const ptrdiff_t *g, ptrdiff_t h0, ptrdiff_t h1) {                  \
        const ptrdiff_t n = g[G_N], O = g[G_O], lanes = LANES(T);                            \
        const int kv = g[G_KW] == 3 ? 1 : (g[G_KW] == 5 ? 2 : 0);                            \
        for (ptrdiff_t h = h0; h < h1; h++)                                                  \
            for (ptrdiff_t w = 0; w < g[G_WO]; w++) {                                        \
                const T *xb = x + h * g[G_SH] * g[G_XH] + w * g[G_SW] * g[G_XW];             \
                T *yb = y + h * g[G_YH] + w * g[G_YW];                                       \
                ptrdiff_t n0 = 0;                                                            \
                while (n - n0 >= lanes) { /* the window stays in L1 across the blocks */     \
                    const int nv = n - n0 >= 2 * lanes ? 2 : 1;                              \
                    for (ptrdiff_t o = 0; o < O; o += 8)                                     \
                        FWD_##T[kv][nv][MIN(8, O - o)](xb + n0, wk + o, ldw, b ? b + o : 0,  \
                                                   yb + o * g[G_YC] + n0, g);                \
                    n0 += nv * lanes;                                                        \
                }                                                                            \
                if (n0 < n) fwd_tail_##T(xb + n0, wk, ldw, b, yb + n0, g, n - n0);           \
            }                                                                                \
    }

/* ----- input gradient: dx[c, sh h + dh i, sw w + dw j, :] += sum_o W[o,c,i,j] dy[o,h,w,:]
 * (the adjoint of the forward). dx: the zeroed padded planes. Only input channels
 * c0 <= c < c1: a thread's share, into which no other thread adds. A block holds OB output
 * channels' gradients of one pixel (NV vectors of images) in registers while every tap adds
 * their weighted sum into dx. */
#define DX_BLOCK(T, NAME, OB, NV)                                                            \
    static void NAME(T *restrict dx, const T *restrict wk, ptrdiff_t ldw,                    \
                     const T *restrict dy, const ptrdiff_t *g, ptrdiff_t c0, ptrdiff_t c1) {  \
        v##T d[OB][NV];                                                                      \
        for (int o = 0; o < OB; o++)                                                         \
            for (int v = 0; v < NV; v++) d[o][v] = *(const u##T *)(dy + o * g[G_YC] + v * LANES(T)); \
        const ptrdiff_t di = g[G_DH] * g[G_XH], dj = g[G_DW] * g[G_XW];                     \
        const T *w = wk + c0 * g[G_KH] * g[G_KW] * ldw;                                      \
        for (ptrdiff_t c = c0; c < c1; c++)                                                  \
            for (ptrdiff_t i = 0; i < g[G_KH]; i++)                                          \
                for (ptrdiff_t j = 0; j < g[G_KW]; j++, w += ldw) {                          \
                    u##T *xp = (u##T *)(dx + c * g[G_XC] + i * di + j * dj);                 \
                    for (int v = 0; v < NV; v++) {                                           \
                        v##T s = xp[v];                                                      \
                        for (int o = 0; o < OB; o++) s += w[o] * d[o][v];                    \
                        xp[v] = s;                                                           \
                    }                                                                        \
                }                                                                            \
    }

#define DX_TAIL(T, NAME)                                                                     \
    static void NAME(T *restrict dx, const T *restrict wk, ptrdiff_t ldw,                    \
                     const T *restrict dy, const ptrdiff_t *g, ptrdiff_t c0, ptrdiff_t c1,    \
                     ptrdiff_t len) {                                                        \
        const T *w = wk + c0 * g[G_KH] * g[G_KW] * ldw;                                      \
        for (ptrdiff_t c = c0; c < c1; c++)                                                  \
            for (ptrdiff_t i = 0; i < g[G_KH]; i++)                                          \
                for (ptrdiff_t j = 0; j < g[G_KW]; j++, w += ldw) {                          \
                    T *xp = dx + c * g[G_XC] + i * g[G_DH] * g[G_XH] + j * g[G_DW] * g[G_XW]; \
                    for (ptrdiff_t o = 0; o < g[G_O]; o++)                                   \
                        for (ptrdiff_t l = 0; l < len; l++) xp[l] += w[o] * dy[o * g[G_YC] + l]; \
                }                                                                            \
    }

#define DX_NV(T, NV)                                                                         \
    DX_BLOCK(T, dx_##T##_##NV##_1, 1, NV)                                                    \
    DX_BLOCK(T, dx_##T##_##NV##_2, 2, NV)                                                    \
    DX_BLOCK(T, dx_##T##_##NV##_3, 3, NV)                                                    \
    DX_BLOCK(T, dx_##T##_##NV##_4, 4, NV)                                                    \
    DX_BLOCK(T, dx_##T##_##NV##_5, 5, NV)                                                    \
    DX_BLOCK(T, dx_##T##_##NV##_6, 6, NV)                                                    \
    DX_BLOCK(T, dx_##T##_##NV##_7, 7, NV)                                                    \
    DX_BLOCK(T, dx_##T##_##NV##_8, 8, NV)

#define DX(T)                                                                                \
    DX_NV(T, 1)                                                                              \
    DX_NV(T, 2)                                                                              \
    DX_TAIL(T, dx_tail_##T)                                                                  \
    typedef void (*dx_fn_##T)(T *, const T *, ptrdiff_t, const T *, const ptrdiff_t *,       \
                              ptrdiff_t, ptrdiff_t);                                         \
    static const dx_fn_##T DX_##T[3][9] = {                                                  \
        {0},                                                                                 \
        {0, dx_##T##_1_1, dx_##T##_1_2, dx_##T##_1_3, dx_##T##_1_4, dx_##T##_1_5,            \
         dx_##T##_1_6, dx_##T##_1_7, dx_##T##_1_8},                                          \
        {0, dx_##T##_2_1, dx_##T##_2_2, dx_##T##_2_3, dx_##T##_2_4, dx_##T##_2_5,            \
         dx_##T##_2_6, dx_##T##_2_7, dx_##T##_2_8}};                                         \
    void conv_input_grad_##T(T *dx, const T *wk, ptrdiff_t ldw, const T *dy,                 \
                             const ptrdiff_t *g, ptrdiff_t c0, ptrdiff_t c1) {               \
        const ptrdiff_t n = g[G_N], O = g[G_O], lanes = LANES(T);                            \
        for (ptrdiff_t h = 0; h < g[G_HO]; h++)                                              \
            for (ptrdiff_t w = 0; w < g[G_WO]; w++) {                                        \
                T *xb = dx + h * g[G_SH] * g[G_XH] + w * g[G_SW] * g[G_XW];                  \
                const T *yb = dy + h * g[G_YH] + w * g[G_YW];                                \
                ptrdiff_t n0 = 0;                                                            \
                while (n - n0 >= lanes) {                                                    \
                    const int nv = n - n0 >= 2 * lanes ? 2 : 1;                              \
                    for (ptrdiff_t o = 0; o < O; o += 8)                                     \
                        DX_##T[nv][MIN(8, O - o)](xb + n0, wk + o, ldw,                      \
                                                  yb + o * g[G_YC] + n0, g, c0, c1);         \
                    n0 += nv * lanes;                                                        \
                }                                                                            \
                if (n0 < n) dx_tail_##T(xb + n0, wk, ldw, yb + n0, g, c0, c1, n - n0);       \
            }                                                                                \
    }

/* ----- weight gradient: dW[o,c,i,j] = sum_{h,w,n} dy[o,h,w,n] x[c, sh h + dh i, sw w + dw j, n]
 * A block: OB output channels x TB adjacent taps j0 <= j < j0 + TB of one (c, i), over one
 * output row h, each weight a vector of partial sums over the images (acc, kept in memory
 * between rows, added across at the end) plus a scalar for images past the last vector.
 * Row by row, so that the row of dy and the rows of x a block reads come from L1: swept
 * whole per block, the planes came from L2 and the loads, not the multiply-adds, set the pace
 * (LeNet-5's conv2: 1.0 ms a pass before, 0.5 after). */
#define DW_BLOCK(T, NAME, OB, TB)                                                            \
    static void NAME(const T *restrict x, const T *restrict dy, v##T *restrict acc,          \
                     T *restrict rest, ptrdiff_t lda, const ptrdiff_t *g) {                  \
        v##T a[OB][TB];                                                                      \
        T r[OB][TB];                                                                         \
        for (int o = 0; o < OB; o++)                                                         \
            for (int t = 0; t < TB; t++) a[o][t] = acc[o * lda + t], r[o][t] = rest[o * lda + t]; \
        const ptrdiff_t n = g[G_N], dj = g[G_DW] * g[G_XW], lanes = LANES(T);               \
        for (ptrdiff_t w = 0; w < g[G_WO]; w++) {                                            \
            const T *xp = x + w * g[G_SW] * g[G_XW];                                         \
            const T *dp = dy + w * g[G_YW];                                                  \
            ptrdiff_t n0 = 0;                                                                \
            for (; n0 + lanes <= n; n0 += lanes) {                                           \
                v##T xv[TB], dv[OB];                                                         \
                for (int t = 0; t < TB; t++) xv[t] = *(const u##T *)(xp + t * dj + n0);      \
                for (int o = 0; o < OB; o++) dv[o] = *(const u##T *)(dp + o * g[G_YC] + n0); \
                for (int o = 0; o < OB; o++)                                                 \
                    for (int t = 0; t < TB; t++) a[o][t] += dv[o] * xv[t];                   \
            }                                                                                \
            for (; n0 < n; n0++)                                                             \
                for (int o = 0; o < OB; o++)                                                 \
                    for (int t = 0; t < TB; t++)                                             \
                        r[o][t] += dp[o * g[G_YC] + n0] * xp[t * dj + n0];                   \
        }                                                                                    \
        for (int o = 0; o < OB; o++)                                                         \
            for (int t = 0; t < TB; t++) acc[o * lda + t] = a[o][t], rest[o * lda + t] = r[o][t]; \
    }

#define DW_OB(T, OB)                                                                         \
    DW_BLOCK(T, dw_##T##_##OB##_1, OB, 1)                                                    \
    DW_BLOCK(T, dw_##T##_##OB##_2, OB, 2)                                                    \
    DW_BLOCK(T, dw_##T##_##OB##_3, OB, 3)                                                    \
    DW_BLOCK(T, dw_##T##_##OB##_4, OB, 4)                                                    \
    DW_BLOCK(T, dw_##T##_##OB##_5, OB, 5)
#define DW_ROW(T, OB)                                                                        \
    {0, dw_##T##_##OB##_1, dw_##T##_##OB##_2, dw_##T##_##OB##_3, dw_##T##_##OB##_4,          \
     dw_##T##_##OB##_5}

/* Block shapes: all the taps of a row up to 5 at once, and as many output channels as leave
 * room in 32 vector registers for OB x TB sums plus OB + TB loads (fewer loads per
 * multiply-add than square 4 x 4 blocks, whose fifth tap of a 5x5 kernel went 1 wide). */
static inline ptrdiff_t dw_taps(ptrdiff_t kw, ptrdiff_t j) {
    return kw - j <= 5 ? kw - j : 4;
}
static inline ptrdiff_t dw_outputs(ptrdiff_t tb) {
    return tb >= 4 ? 4 : (tb == 3 ? 6 : 8);
}

/* The sums over output rows h0 <= h < h1 only (a thread's share; the caller adds the shares);
 * dw: (O, C kh kw). Returns -1 when the scratch memory cannot be had, else 0. */
#define DW(T)                                                                                \
    DW_OB(T, 1)                                                                              \
    DW_OB(T, 2)                                                                              \
    DW_OB(T, 3)                                                                              \
    DW_OB(T, 4)                                                                              \
    DW_OB(T, 5)                                                                              \
    DW_OB(T, 6)                                                                              \
    DW_OB(T, 7)                                                                              \
    DW_OB(T, 8)                                                                              \
    typedef void (*dw_fn_##T)(const T *, const T *, v##T *, T *, ptrdiff_t, const ptrdiff_t *); \
    static const dw_fn_##T DW_##T[9][6] = {                                                  \
        {0},          DW_ROW(T, 1), DW_ROW(T, 2), DW_ROW(T, 3), DW_ROW(T, 4),                \
        DW_ROW(T, 5), DW_ROW(T, 6), DW_ROW(T, 7), DW_ROW(T, 8)};                             \
    int conv_weight_grad_##T(const T *x, const T *dy, T *dw, const ptrdiff_t *g,              \
                             ptrdiff_t h0, ptrdiff_t h1) {                                   \
        const ptrdiff_t O = g[G_O], KH = g[G_KH], KW = g[G_KW], lda = g[G_C] * KH * KW;      \
        v##T *acc = aligned_alloc(64, (size_t)(O * lda) * sizeof(v##T));                     \
        T *rest = calloc((size_t)(O * lda), sizeof(T));                                      \
        if (!acc || !rest) {                                                                 \
            free(acc);                                                                       \
            free(rest);                                                                      \
            return -1;                                                                       \
        }                                                                                    \
        for (ptrdiff_t k = 0; k < O * lda; k++) acc[k] = (v##T){0};                           \
        /* one block of outputs' row of dy stays in L1 while every tap row passes */          \
        const ptrdiff_t ob = dw_outputs(KW <= 5 ? KW : 4);                                   \
        for (ptrdiff_t h = h0; h < h1; h++)                                                  \
            for (ptrdiff_t o = 0; o < O; o += ob)                                            \
                for (ptrdiff_t r = 0; r < g[G_C] * KH; r++) {                                \
                    const T *xr = x + (r / KH) * g[G_XC] +                                   \
                                  ((r % KH) * g[G_DH] + h * g[G_SH]) * g[G_XH];              \
                    for (ptrdiff_t j = 0, tb; j < KW; j += tb) {                             \
                        tb = dw_taps(KW, j);                                                 \
                        const ptrdiff_t k = o * lda + r * KW + j;                            \
                        DW_##T[MIN(ob, O - o)][tb](xr + j * g[G_DW] * g[G_XW],               \
                                                   dy + o * g[G_YC] + h * g[G_YH], acc + k,  \
                                                   rest + k, lda, g);                        \
                    }                                                                        \
                }                                                                            \
        for (ptrdiff_t o = 0; o < O; o++)                                                    \
            for (ptrdiff_t t = 0; t < lda; t++) {                                            \
                T s = rest[o * lda + t];                                                     \
                for (int l = 0; l < LANES(T); l++) s += acc[o * lda + t][l];                 \
                dw[o * lda + t] = s;                                                         \
            }                                                                                \
        free(acc);                                                                           \
        free(rest);                                                                          \
        return 0;                                                                            \
    }

typedef float float32;
typedef double float64;
typedef vf32 vfloat32;
typedef vf64 vfloat64;
typedef uf32 ufloat32;
typedef uf64 ufloat64;
FWD(float32)
FWD(float64)
DX(float32)
DX(float64)
DW(float32)
DW(float64)
