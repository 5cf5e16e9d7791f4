"""Fused recurrent layers: one autograd node runs one LSTM or GRU layer over a whole sequence.

The per-step graph of ``nn.LSTM(fused=False)`` records about 37 nodes per time step; here the
loop over time runs on raw arrays, and backward is backpropagation through time written by
hand (cuDNN's design). The rules are *once differentiable*: they are not written in Tensor
ops, so ``create_graph=True`` through them raises; ``fused=False`` is the differentiable path.
Internal to ``nn.LSTM`` / ``nn.GRU`` and not exported from ``steepest.ops``: their signatures
(one stacked output to slice) are an implementation detail, and the op table's
gradgradcheck cannot apply to them; tests/nn/test_recurrent_fused.py gradchecks them.
"""

from __future__ import annotations

from typing import Any

from ..autograd import Function, is_grad_enabled
from ..backend import array_module
from ..tensor import Tensor
from . import fused

_SCALE = (0.5, 0.5, 1.0, 0.5)  # i, f, g, o: sigmoid(a) = 0.5 tanh(0.5 a) + 0.5, g is tanh(a)
_OFFSET = (0.5, 0.5, 0.0, 0.5)


def _once_differentiable(op: str) -> None:
    if is_grad_enabled():  # the engine runs backward with grad enabled only for create_graph
        raise RuntimeError(
            f"{op} is once differentiable: its backward runs on raw arrays, so create_graph=True "
            "(double backward, gradient penalties, hvp) cannot differentiate through it; build "
            "the layer with fused=False: st.nn.LSTM(..., fused=False) or st.nn.GRU(..., "
            "fused=False)"
        )


def _check_shapes(
    gates: int, x: Any, states: dict[str, Any], w_ih: Any, w_hh: Any, biases: tuple
) -> None:
    """Shapes of a fused layer's inputs: x (T, N, D), states (N, H), weights (gates H, ...).

    ``Function.apply`` prefixes the message with the op's name and every input's shape.
    """
    if x.ndim != 3:
        raise ValueError(f"x must be time-major (T, N, D), got shape {x.shape}")
    _, n, d = x.shape
    h = w_hh.shape[0] // gates if w_hh.ndim == 2 else 0
    if w_hh.ndim != 2 or w_hh.shape != (gates * h, h) or h == 0:
        raise ValueError(f"weight_hh must have shape ({gates} H, H), got {w_hh.shape}")
    if len(biases) not in (0, 2):
        raise ValueError(f"pass both biases (b_ih, b_hh) or neither, got {len(biases)}")
    expected = {"weight_ih": ((gates * h, d), w_ih)}
    expected.update({name: ((n, h), a) for name, a in states.items()})
    for name, b in zip(("bias_ih", "bias_hh"), biases, strict=False):
        expected[name] = ((gates * h,), b)
    for name, (shape, a) in expected.items():
        if a.shape != shape:
            raise ValueError(
                f"with x {x.shape} (T, N, D) and weight_hh {w_hh.shape} (H = {h}), "
                f"{name} must have shape {shape}, got {a.shape}"
            )


def _common_dtype(xp: Any, *arrays: Any) -> Any:
    dtype = xp.result_type(*arrays)
    if dtype.kind != "f":
        raise TypeError(f"inputs must be floating point, got {dtype}")
    return dtype


class LSTMSequence(Function):
    """One LSTM layer over a whole time-major sequence, in one node.

    Inputs: x (T, N, D), h0 and c0 (N, H), W_ih (4H, D), W_hh (4H, H), optionally b_ih and
    b_hh (4H,); gates in PyTorch's order i, f, g, o. Forward, for t = 1..T:

        a_t = x_t W_ih^T + b_ih + b_hh + h_{t-1} W_hh^T        (N, 4H) = [a_i, a_f, a_g, a_o]
        i, f, o = sigmoid(a_i, a_f, a_o)     g = tanh(a_g)
        c_t = f c_{t-1} + i g                 h_t = o tanh(c_t)

    Layout: gate-major. Activations live in one (4, T N, H) array, so each gate of each step
    is a contiguous (N, H) block: an op on a column slice of a (N, 4H) row-major array costs
    about 4x an op on a contiguous block (NumPy walks it row by row), and the gate math is most
    of the loop. GEMMs therefore come per gate, as one batched ``matmul`` call: the input
    projection is one call over all T N rows (4 GEMMs, one per gate, none per step), and
    each step does h W_hh^T as one call. Output: one array Y (T + 2, N, H) = [h0, h_1 .. h_T,
    c_T]: the engine's Functions have one output, and one buffer sliced by ``lstm_layer``
    (GetItem, whose plain backward scatters into one gradient buffer) is cheaper than a
    concatenation; keeping h0 in row 0 makes Y[0:T] the previous states h_{t-1} that dW_hh
    needs, with no copy.

    Backward (BPTT), from t = T down to 1, with dc_{T} = dL/dc_T and dh_{T+1} terms zero:

        dh_t  = dL/dh_t + da_{t+1} W_hh                       (from the output and from step t+1)
        dc_t  = dc_{t+1} f_{t+1} + dh_t o_t (1 - tanh^2 c_t)
        da_i  = dc_t g i (1 - i)       da_f = dc_t c_{t-1} f (1 - f)
        da_g  = dc_t i (1 - g^2)       da_o = dh_t tanh(c_t) o (1 - o)

    where every factor that does not depend on dh, dc is computed for all steps before the
    loop; then over all steps at once (dA: the da_t stacked to (T N, 4H), X and H_prev
    likewise; each product one batched call over the four gates):

        dX = dA W_ih    dW_ih = dA^T X    dW_hh = dA^T H_prev    db_ih = db_hh = sum_rows dA
        dh0 = da_1 W_hh                   dc0 = dc_1 f_1

    >>> y = LSTMSequence.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh)   # (T + 2, N, H)
    >>> out, h_n, c_n = y[1:-1], y[-2], y[-1]
    >>> out.sum().backward()
    """

    def forward(self, x, h0, c0, w_ih, w_hh, *biases):
        _check_shapes(4, x, {"h0": h0, "c0": c0}, w_ih, w_hh, biases)
        xp = array_module(x, w_hh)
        dtype = _common_dtype(xp, x, h0, c0, w_ih, w_hh, *biases)
        x, h0, c0, w_ih, w_hh = (a.astype(dtype, copy=False) for a in (x, h0, c0, w_ih, w_hh))
        t_len, n, d = x.shape
        h = w_hh.shape[1]
        # Gates scaled by 0.5 where a sigmoid follows, so one tanh serves all four gates;
        # scaling by a power of two is exact, so the activations equal sigmoid(a), tanh(a).
        scale = xp.asarray(_SCALE, dtype=dtype).reshape(4, 1, 1)
        offset = xp.asarray(_OFFSET, dtype=dtype).reshape(4, 1, 1)
        x2d = xp.ascontiguousarray(x).reshape(t_len * n, d)
        # x itself (not its projection) comes in: dX and dW_ih are then one call each in
        # backward, and the two biases fold into one add, with no (T, N, 4H) node in the graph.
        w_ih_t = (w_ih.reshape(4, h, d) * scale).transpose(0, 2, 1)  # (4, D, H)
        acts = xp.matmul(x2d, w_ih_t)  # (4, T N, H); becomes the activations in place
        if biases:
            acts += (biases[0].astype(dtype) + biases[1].astype(dtype)).reshape(4, 1, h) * scale
        w_hh_t = xp.ascontiguousarray((w_hh.reshape(4, h, h) * scale).transpose(0, 2, 1))
        steps = acts.reshape(4, t_len, n, h)
        y = xp.empty((t_len + 2, n, h), dtype=dtype)
        cs = xp.empty((t_len + 1, n, h), dtype=dtype)
        tanh_c = xp.empty((t_len, n, h), dtype=dtype)
        y[0], cs[0] = h0, c0
        rec = xp.empty((4, n, h), dtype=dtype)
        ig = xp.empty((n, h), dtype=dtype)
        step = fused.get("lstm_step", acts, rec, y, cs, tanh_c)
        if step is not None and acts.flags.c_contiguous:  # the same step as below, one pass
            m, ptr = n * h, fused.pointer  # pointers by arithmetic: reading one costs ~1 us
            size = m * acts.itemsize  # bytes of one (N, H) block
            a0, r0, c0, tc0, y0 = ptr(acts), ptr(rec), ptr(cs), ptr(tanh_c), ptr(y)
            for t in range(t_len):
                xp.matmul(y[t], w_hh_t, out=rec)
                o = t * size
                step(a0 + o, t_len * m, r0, c0 + o, c0 + o + size, tc0 + o, y0 + o + size, m)
            t_len_done = t_len
        else:
            t_len_done = 0
        for t in range(t_len_done, t_len):
            a = steps[:, t]  # (4, N, H): [i, f, g, o], each block contiguous
            xp.matmul(y[t], w_hh_t, out=rec)
            a += rec
            xp.tanh(a, out=a)
            a *= scale
            a += offset
            xp.multiply(a[1], cs[t], out=cs[t + 1])
            xp.multiply(a[0], a[2], out=ig)
            cs[t + 1] += ig
            xp.tanh(cs[t + 1], out=tanh_c[t])
            xp.multiply(a[3], tanh_c[t], out=y[t + 1])
        y[t_len + 1] = cs[t_len]
        self.x2d, self.w_ih, self.w_hh = x2d, w_ih, w_hh
        self.acts, self.cs, self.tanh_c = acts, cs, tanh_c
        return y

    def backward(self, out, grad):
        _once_differentiable(type(self).__name__)
        g_y = grad.data
        acts, cs, tanh_c = self.acts, self.cs, self.tanh_c
        xp = array_module(g_y, acts)
        _, rows, h = acts.shape
        t_len, n = tanh_c.shape[:2]
        dtype = acts.dtype
        need = [p.requires_grad for p in self.parents]
        w_hh = self.w_hh.reshape(4, h, h)
        d_acts = xp.empty((4, rows, h), dtype=dtype)
        d_steps = d_acts.reshape(4, t_len, n, h)
        dc = g_y[t_len + 1].astype(dtype, copy=True)
        rec = xp.empty((4, n, h), dtype=dtype)
        step = fused.get("lstm_step_backward", rec, dc, acts, cs, tanh_c, d_acts)
        if step is not None and type(g_y) is type(acts) and acts.flags.c_contiguous:
            dh_rec = self._backward_compiled(step, g_y, dc, rec, d_acts, w_hh, need[1])
        else:
            dh_rec = self._backward_steps(g_y, dc, rec, d_steps, w_hh, need[1])
        d_t = d_acts.transpose(0, 2, 1)  # (4, H, T N): per gate, dA_k^T
        grads: list[Any] = [None] * len(self.parents)
        if need[0]:
            dx = xp.matmul(d_acts, self.w_ih.reshape(4, h, -1)).sum(axis=0)
            grads[0] = dx.reshape(t_len, n, self.x2d.shape[1])
        if need[1]:
            grads[1] = dh_rec + g_y[0]  # row 0 of Y is h0 itself
        grads[2] = dc
        if need[3]:
            grads[3] = xp.matmul(d_t, self.x2d).reshape(4 * h, -1)
        if need[4]:
            grads[4] = xp.matmul(d_t, out.data[:t_len].reshape(rows, h)).reshape(4 * h, h)
        if len(grads) > 5 and (need[5] or need[6]):
            ones = xp.ones(rows, dtype=dtype)  # a sum over rows as a GEMV: 3x faster here
            grads[5] = grads[6] = xp.matmul(ones, d_acts).reshape(4 * h)
        return tuple(None if g is None else Tensor(g) for g in grads)


    def _backward_compiled(self, step, g_y, dc, rec, d_acts, w_hh, need_dh0):
        """The loop over time of backward, each step's elementwise part one compiled pass."""
        acts, cs, tanh_c = self.acts, self.cs, self.tanh_c
        xp = array_module(acts)
        t_len, n, h = tanh_c.shape
        m, gs, ptr = n * h, acts.shape[1] * h, fused.pointer
        g_c = xp.ascontiguousarray(g_y, dtype=acts.dtype)
        size = m * acts.itemsize  # bytes of one (N, H) block; pointers by arithmetic, as forward
        a0, da0, gy0, rec0 = ptr(acts), ptr(d_acts), ptr(g_c), ptr(rec)
        dc0, c0, tc0 = ptr(dc), ptr(cs), ptr(tanh_c)
        d_steps = d_acts.reshape(4, t_len, n, h)
        have_rec = False
        for t in range(t_len - 1, -1, -1):
            o = t * size
            step(gy0 + o + size, rec0 if have_rec else None, dc0, a0 + o, c0 + o, tc0 + o,
                 da0 + o, gs, m)  # fmt: skip
            if t or need_dh0:
                xp.matmul(d_steps[:, t], w_hh, out=rec)
                have_rec = True
        return rec.sum(axis=0) if have_rec else xp.zeros((n, h), dtype=acts.dtype)

    def _backward_steps(self, g_y, dc, rec, d_steps, w_hh, need_dh0):
        """The loop over time of backward in NumPy calls (CuPy, or no compiled loops)."""
        acts, cs, tanh_c = self.acts, self.cs, self.tanh_c
        xp = array_module(g_y, acts)
        _, rows, h = acts.shape
        t_len, n = tanh_c.shape[:2]
        dtype = acts.dtype
        # The factors of dc_t (gates i, f, g) and of dh_t (gate o) in da_t, for all steps.
        coef = 1.0 - acts
        coef *= acts  # sigmoid' = s (1 - s); tanh' = 1 - g^2 for the g gate:
        xp.multiply(acts[2], acts[2], out=coef[2])
        xp.subtract(1.0, coef[2], out=coef[2])
        coef[0] *= acts[2]
        coef[1] *= cs[:t_len].reshape(rows, h)
        coef[2] *= acts[0]
        coef[3] *= tanh_c.reshape(rows, h)
        dc_dh = tanh_c * tanh_c  # dc_t/dh_t = o (1 - tanh^2 c_t)
        xp.subtract(1.0, dc_dh, out=dc_dh)
        dc_dh *= acts[3].reshape(t_len, n, h)
        coef = coef.reshape(4, t_len, n, h)
        forget = acts[1].reshape(t_len, n, h)
        dh = xp.empty((n, h), dtype=dtype)
        dh_rec = xp.zeros((n, h), dtype=dtype)
        tmp = xp.empty((n, h), dtype=dtype)
        for t in range(t_len - 1, -1, -1):
            xp.add(g_y[t + 1], dh_rec, out=dh)
            xp.multiply(dh, dc_dh[t], out=tmp)
            dc += tmp
            xp.multiply(dc, coef[:3, t], out=d_steps[:3, t])
            xp.multiply(dh, coef[3, t], out=d_steps[3, t])
            dc *= forget[t]
            if t or need_dh0:
                xp.matmul(d_steps[:, t], w_hh, out=rec)
                rec.sum(axis=0, out=dh_rec)
        return dh_rec

def lstm_layer(
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """One fused LSTM layer over time-major ``x`` (T, N, D): ``(out (T, N, H), h_T, c_T)``.

    >>> out, h_n, c_n = lstm_layer(x, h0, c0, lstm.weight_ih_l0, lstm.weight_hh_l0,
    ...                            lstm.bias_ih_l0, lstm.bias_hh_l0)
    """
    if (b_ih is None) != (b_hh is None):
        raise ValueError("lstm_layer: pass both biases (b_ih, b_hh) or neither")
    biases = () if b_ih is None else (b_ih, b_hh)
    y = LSTMSequence.apply(x, h0, c0, w_ih, w_hh, *biases)
    t_len = y.shape[0] - 2
    return y[1 : t_len + 1], y[t_len], y[t_len + 1]


class GRUSequence(Function):
    """One GRU layer over a whole time-major sequence, in one node (PyTorch's formulation).

    Inputs: x (T, N, D), h0 (N, H), W_ih (3H, D), W_hh (3H, H), optionally b_ih and b_hh
    (3H,); gates in PyTorch's order r, z, n. Forward, for t = 1..T:

        u_t = x_t W_ih^T + b_ih    v_t = h_{t-1} W_hh^T + b_hh     (N, 3H) = [_r, _z, _n]
        r = sigmoid(u_r + v_r)     z = sigmoid(u_z + v_z)     n = tanh(u_n + r v_n)
        h_t = (1 - z) n + z h_{t-1}

    Gate-major layout and batched per-gate GEMMs as in ``LSTMSequence``; the input
    projection is one call over all T N rows. Output: Y (T + 1, N, H) = [h0, h_1 .. h_T]
    (one array for the single-output engine; row 0 makes Y[0:T] the previous states that
    dW_hh needs).

    Backward (BPTT), from t = T down to 1:

        dh_t = dL/dh_t + dv_{t+1} W_hh + dh_{t+1} z_{t+1}
        dn_pre = dh_t (1 - z) (1 - n^2)        dz_pre = dh_t (h_{t-1} - n) z (1 - z)
        dr_pre = dn_pre v_n r (1 - r)
        du_t = [dr_pre, dz_pre, dn_pre]        dv_t = [dr_pre, dz_pre, dn_pre r]

    then over all steps at once (dU, dV: the du_t, dv_t stacked to (T N, 3H)):

        dX = dU W_ih   dW_ih = dU^T X   db_ih = sum_rows dU
        dW_hh = dV^T H_prev             db_hh = sum_rows dV
        dh0 = dv_1 W_hh + dh_1 z_1

    >>> y = GRUSequence.apply(x, h0, w_ih, w_hh, b_ih, b_hh)   # (T + 1, N, H)
    >>> out, h_n = y[1:], y[-1]
    """

    def forward(self, x, h0, w_ih, w_hh, *biases):
        _check_shapes(3, x, {"h0": h0}, w_ih, w_hh, biases)
        xp = array_module(x, w_hh)
        dtype = _common_dtype(xp, x, h0, w_ih, w_hh, *biases)
        x, h0, w_ih, w_hh = (a.astype(dtype, copy=False) for a in (x, h0, w_ih, w_hh))
        t_len, n, d = x.shape
        h = w_hh.shape[1]
        # r and z scaled by 0.5 (exact): sigmoid(a) = 0.5 tanh(0.5 a) + 0.5.
        scale = xp.asarray((0.5, 0.5, 1.0), dtype=dtype).reshape(3, 1, 1)
        x2d = xp.ascontiguousarray(x).reshape(t_len * n, d)
        acts = xp.matmul(x2d, (w_ih.reshape(3, h, d) * scale).transpose(0, 2, 1))  # (3, TN, H)
        w_hh_t = xp.ascontiguousarray((w_hh.reshape(3, h, h) * scale).transpose(0, 2, 1))
        b_hh = None
        if biases:
            acts += biases[0].astype(dtype).reshape(3, 1, h) * scale
            b_hh = biases[1].astype(dtype).reshape(3, 1, h) * scale
        steps = acts.reshape(3, t_len, n, h)  # u, then the activations [r, z, n] in place
        y = xp.empty((t_len + 1, n, h), dtype=dtype)
        v_n = xp.empty((t_len, n, h), dtype=dtype)
        y[0] = h0
        v = xp.empty((3, n, h), dtype=dtype)
        for t in range(t_len):
            a = steps[:, t]
            xp.matmul(y[t], w_hh_t, out=v)
            if b_hh is not None:
                v += b_hh
            rz = a[:2]
            rz += v[:2]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            v_n[t] = v[2]
            cand = a[2]
            xp.multiply(a[0], v_n[t], out=v[2])
            cand += v[2]
            xp.tanh(cand, out=cand)
            h_t = y[t + 1]
            xp.subtract(y[t], cand, out=h_t)
            h_t *= a[1]
            h_t += cand
        self.x2d, self.w_ih, self.w_hh = x2d, w_ih, w_hh
        self.acts, self.v_n = acts, v_n.reshape(t_len * n, h)
        return y

    def backward(self, out, grad):
        _once_differentiable(type(self).__name__)
        g_y = grad.data
        acts, v_n, y = self.acts, self.v_n, out.data
        xp = array_module(g_y, acts)
        _, rows, h = acts.shape
        t_len = y.shape[0] - 1
        n = rows // t_len if t_len else y.shape[1]
        dtype = acts.dtype
        need = [p.requires_grad for p in self.parents]
        r, z, cand = acts[0], acts[1], acts[2]
        h_prev = y[:t_len].reshape(rows, h)
        # The factors of dh_t in dn_pre and dz_pre, and of dn_pre in dr_pre, for all steps.
        one_minus_z = 1.0 - z
        k_n = cand * cand
        xp.subtract(1.0, k_n, out=k_n)
        k_n *= one_minus_z  # (1 - z) (1 - n^2)
        k_z = h_prev - cand
        k_z *= z
        k_z *= one_minus_z  # (h_{t-1} - n) z (1 - z)
        k_r = 1.0 - r
        k_r *= r
        k_r *= v_n  # v_n r (1 - r)
        k_n, k_z, k_r = (k.reshape(t_len, n, h) for k in (k_n, k_z, k_r))
        r_s, z_s = r.reshape(t_len, n, h), z.reshape(t_len, n, h)
        # One buffer [dv_n, dr, dz, du_n]: rows 1:4 are dU in the order (r, z, n), rows 0:3
        # are dV in the order (n, r, z); W_hh is permuted to match, so neither is copied.
        grads4 = xp.empty((4, rows, h), dtype=dtype)
        d4 = grads4.reshape(4, t_len, n, h)
        w_hh_nrz = self.w_hh.reshape(3, h, h)[[2, 0, 1]]
        dh = xp.empty((n, h), dtype=dtype)
        dh_rec = xp.zeros((n, h), dtype=dtype)
        tmp = xp.empty((n, h), dtype=dtype)
        rec = xp.empty((3, n, h), dtype=dtype)
        for t in range(t_len - 1, -1, -1):
            xp.add(g_y[t + 1], dh_rec, out=dh)
            dn = d4[3, t]
            xp.multiply(dh, k_n[t], out=dn)
            xp.multiply(dh, k_z[t], out=d4[2, t])
            xp.multiply(dn, k_r[t], out=d4[1, t])
            xp.multiply(dn, r_s[t], out=d4[0, t])
            if t or need[1]:
                xp.matmul(d4[:3, t], w_hh_nrz, out=rec)
                rec.sum(axis=0, out=dh_rec)
                xp.multiply(dh, z_s[t], out=tmp)
                dh_rec += tmp
        d_u, d_v = grads4[1:], grads4[:3]
        ones = xp.ones(rows, dtype=dtype)  # sums over rows as GEMVs
        grads: list[Any] = [None] * len(self.parents)
        if need[0]:
            dx = xp.matmul(d_u, self.w_ih.reshape(3, h, -1)).sum(axis=0)
            grads[0] = dx.reshape(t_len, n, self.x2d.shape[1])
        if need[1]:
            grads[1] = dh_rec + g_y[0]  # row 0 of Y is h0 itself
        if need[2]:
            grads[2] = xp.matmul(d_u.transpose(0, 2, 1), self.x2d).reshape(3 * h, -1)
        if need[3]:
            dw = xp.matmul(d_v.transpose(0, 2, 1), h_prev)[[1, 2, 0]]  # back to (r, z, n)
            grads[3] = dw.reshape(3 * h, h)
        if len(grads) > 4:
            grads[4] = xp.matmul(ones, d_u).reshape(3 * h) if need[4] else None
            grads[5] = xp.matmul(ones, d_v)[[1, 2, 0]].reshape(3 * h) if need[5] else None
        return tuple(None if g is None else Tensor(g) for g in grads)


def gru_layer(
    x: Tensor,
    h0: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None = None,
    b_hh: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One fused GRU layer over time-major ``x`` (T, N, D): ``(out (T, N, H), h_T)``.

    >>> out, h_n = gru_layer(x, h0, gru.weight_ih_l0, gru.weight_hh_l0,
    ...                      gru.bias_ih_l0, gru.bias_hh_l0)
    """
    if (b_ih is None) != (b_hh is None):
        raise ValueError("gru_layer: pass both biases (b_ih, b_hh) or neither")
    biases = () if b_ih is None else (b_ih, b_hh)
    y = GRUSequence.apply(x, h0, w_ih, w_hh, *biases)
    return y[1:], y[y.shape[0] - 1]
