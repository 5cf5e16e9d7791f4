/* The fused update rules of steepest.optim.kernels: one pass over memory per optimizer step.
 *
 * Each line mirrors one ufunc line of the rule it fuses (Adam.update in adam.py, SGD.update in
 * sgd.py), in the same order, on the same dtype. Compiled without fast-math and without
 * contraction into fused multiply-adds (-ffp-contract=off), every operation rounds as NumPy's
 * does, so the results are bit-identical to the ufunc rules; tests/optim/test_kernels.py checks.
 * Each rule is written once, as a macro, and instantiated for float32 and float64.
 */
#include <math.h>
#include <stddef.h>

/* Adam / AdamW: m <- m + (d - m)(1 - b1); v <- b2 v + d^2 (1 - b2);
 * p <- p - m / (sqrt(v) / sqrt(1 - b2^t) + eps) * lr / (1 - b1^t) */
#define ADAM(NAME, T, SQRT)                                                                     \
    void NAME(T *restrict p, const T *restrict d, T *restrict m, T *restrict v, ptrdiff_t n,    \
              T one_minus_b1, T b2, T one_minus_b2, T bc2_sqrt, T eps, T step_size) {           \
        for (ptrdiff_t i = 0; i < n; i++) {                                                     \
            T di = d[i];                                                                        \
            T mi = m[i] + (di - m[i]) * one_minus_b1;                                           \
            T vi = v[i] * b2 + di * di * one_minus_b2;                                          \
            m[i] = mi;                                                                          \
            v[i] = vi;                                                                          \
            p[i] -= mi / (SQRT(vi) / bc2_sqrt + eps) * step_size;                               \
        }                                                                                       \
    }

/* SGD with momentum mu, no dampening: b <- mu b + d; p <- p - lr (nesterov ? mu b + d : b) */
#define SGD_MOMENTUM(NAME, T)                                                                   \
    void NAME(T *restrict p, const T *restrict d, T *restrict b, ptrdiff_t n, T mu, T lr,       \
              int nesterov) {                                                                   \
        for (ptrdiff_t i = 0; i < n; i++) {                                                     \
            T bi = b[i] * mu + d[i];                                                            \
            b[i] = bi;                                                                          \
            p[i] -= (nesterov ? bi * mu + d[i] : bi) * lr;                                      \
        }                                                                                       \
    }

ADAM(adam_float32, float, sqrtf)
ADAM(adam_float64, double, sqrt)
SGD_MOMENTUM(sgd_momentum_float32, float)
SGD_MOMENTUM(sgd_momentum_float64, double)
