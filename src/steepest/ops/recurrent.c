/* Fused loops of steepest.ops.recurrent: the LSTM's elementwise gate math of one time step in
 * one pass over memory, instead of nine NumPy calls (forward) or seven (backward).
 *
 * Layout as in LSTMSequence: gate-major, each gate of a step a contiguous block of m = N H
 * values; `gs` is the distance between two gates' blocks. The lines mirror the NumPy path of
 * recurrent.py. float64 uses libm's tanh; float32 a rational approximation (below), because
 * tanhf does not vectorize and would cost more than the nine passes it replaces.
 */
#include <math.h>
#include <stddef.h>

/* tanh for float32 as Eigen computes it (a 13/6 odd/even rational fit on [-7.9, 7.9], which
 * is +-1 to float precision outside): no branches, so the loop vectorizes. Measured against
 * libm over [-10, 10]: max abs error below 1e-6 (tests/ops/test_recurrent_fused.py). */
static inline float tanh_f32(float x) {
    const float clamp = 7.90531110763549805f;
    x = x > clamp ? clamp : (x < -clamp ? -clamp : x);
    const float x2 = x * x;
    float p = -2.76076847742355e-16f;
    p = p * x2 + 2.00018790482477e-13f;
    p = p * x2 + -8.60467152213735e-11f;
    p = p * x2 + 5.12229709037114e-08f;
    p = p * x2 + 1.48572235717979e-05f;
    p = p * x2 + 6.37261928875436e-04f;
    p = p * x2 + 4.89352455891786e-03f;
    p = p * x;
    float q = 1.19825839466702e-06f;
    q = q * x2 + 1.18534705686654e-04f;
    q = q * x2 + 2.26843463243900e-03f;
    q = q * x2 + 4.89352518554385e-03f;
    return p / q;
}

/* One forward step. In: a (gates i, f, g, o at a, a+gs, ...) = x_t W_ih^T + b, scaled by 0.5
 * where a sigmoid follows; rec, the same for h_{t-1} W_hh^T (contiguous 4 m). Out: a holds the
 * activations i, f, g, o; c = f c_prev + i g; tc = tanh(c); h = o tc.
 * sigmoid(z) = 0.5 tanh(z / 2) + 0.5, so one tanh serves all four gates. */
#define LSTM_STEP(NAME, T, TANH)                                                                 \
    void NAME(T *restrict a, ptrdiff_t gs, const T *restrict rec, const T *restrict c_prev,     \
              T *restrict c, T *restrict tc, T *restrict h, ptrdiff_t m) {                      \
        for (ptrdiff_t k = 0; k < m; k++) {                                                     \
            T i = TANH(a[k] + rec[k]) * (T)0.5 + (T)0.5;                                        \
            T f = TANH(a[gs + k] + rec[m + k]) * (T)0.5 + (T)0.5;                               \
            T g = TANH(a[2 * gs + k] + rec[2 * m + k]);                                         \
            T o = TANH(a[3 * gs + k] + rec[3 * m + k]) * (T)0.5 + (T)0.5;                       \
            a[k] = i;                                                                           \
            a[gs + k] = f;                                                                      \
            a[2 * gs + k] = g;                                                                  \
            a[3 * gs + k] = o;                                                                  \
            T ck = f * c_prev[k] + i * g;                                                       \
            T t = TANH(ck);                                                                     \
            c[k] = ck;                                                                          \
            tc[k] = t;                                                                          \
            h[k] = o * t;                                                                       \
        }                                                                                       \
    }

/* One backward step (BPTT), t from T-1 down to 0, with the gates' derivatives computed here
 * from the saved activations (no precomputed factor arrays: ten fewer passes over 4 T N H):
 * dh = gy + the four gate blocks of rec (da_{t+1} W_hh per gate; rec NULL at the last step);
 * dc += dh o (1 - tanh^2 c_t); da_i = dc g i (1 - i); da_f = dc c_{t-1} f (1 - f);
 * da_g = dc i (1 - g^2); da_o = dh tanh(c_t) o (1 - o); then dc *= f, carried to step t-1.
 * a (the activations i, f, g, o of step t) and da share the gate stride gs. */
#define LSTM_STEP_BACKWARD(NAME, T)                                                              \
    void NAME(const T *restrict gy, const T *restrict rec, T *restrict dc,                       \
              const T *restrict a, const T *restrict c_prev, const T *restrict tc,              \
              T *restrict da, ptrdiff_t gs, ptrdiff_t m) {                                      \
        for (ptrdiff_t k = 0; k < m; k++) {                                                     \
            T i = a[k], f = a[gs + k], g = a[2 * gs + k], o = a[3 * gs + k], t = tc[k];        \
            T dh = gy[k];                                                                       \
            if (rec)                                                                            \
                dh += ((rec[k] + rec[m + k]) + rec[2 * m + k]) + rec[3 * m + k];                \
            T d = dc[k] + dh * (o * ((T)1 - t * t));                                            \
            da[k] = d * (g * (i * ((T)1 - i)));                                                 \
            da[gs + k] = d * (c_prev[k] * (f * ((T)1 - f)));                                    \
            da[2 * gs + k] = d * (i * ((T)1 - g * g));                                          \
            da[3 * gs + k] = dh * (t * (o * ((T)1 - o)));                                       \
            dc[k] = d * f;                                                                      \
        }                                                                                       \
    }

LSTM_STEP(lstm_step_float32, float, tanh_f32)
LSTM_STEP(lstm_step_float64, double, tanh)
LSTM_STEP_BACKWARD(lstm_step_backward_float32, float)
LSTM_STEP_BACKWARD(lstm_step_backward_float64, double)
