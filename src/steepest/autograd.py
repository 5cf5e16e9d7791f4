"""Reverse-mode automatic differentiation: the backpropagation engine.

An op is a ``Function`` with two methods side by side:

* ``forward(*arrays, **options)`` computes the result on raw backend arrays;
* ``backward(out, grad)`` returns one gradient per input, written with Tensor
  ops, so that the backward pass can itself be differentiated
  (``create_graph=True``: Hessian-vector products, gradient penalties).

Rules may return a gradient with the *broadcast* shape of the output; the
engine sums it back to the input's shape (``unbroadcast``), so no rule has to.
Any other shape is the rule's bug: the engine raises, naming the op and both
shapes, and never reshapes to fit.

``backward`` sorts the graph with an explicit stack (no recursion limit, same
order on every run) and visits each op once, after all its consumers.

What may change in place, and what is guaranteed:

* in-place methods (``add_``, ``+=``, ``zero_``, ... in inplace.py) bump the
  tensor's version counter; an op that saved a tensor changed after it ran
  raises at backward instead of using the new values. With grad mode on they
  refuse leaves that require grad and tensors of a recorded graph;
* writes to ``.data`` (the optimizers' flat buffers, ``load_state_dict``,
  ``Module.to``, gradient accumulation into ``.grad``) are not counted, as in
  PyTorch: they are for code that knows no graph needs the old values;
* the engine itself writes in place only into arrays it allocated, and into
  ``.grad`` buffers of leaves (accumulation), never into op outputs.

Grad mode is per thread, as in PyTorch.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .backend import array_module as _xp

_anomaly_enabled = False
_sequence = itertools.count()


class OpError(ValueError):
    """An op rejected its inputs; the message names the op, shapes and dtypes."""


# ----- grad mode: per thread, as in PyTorch ---------------------------------------------------
class _GradMode(threading.local):
    """Whether ops record a graph, per thread: the optimizer's thread pool and the data
    prefetch thread run under their own mode, and a ``no_grad`` block in one thread leaves
    another thread's recording alone. The class attribute is each new thread's default."""

    enabled = True


_mode = _GradMode()
# How many threads have grad mode off right now. While it is 0, ops skip the per-thread read
# (a threading.local attribute costs ~70 ns more than a global, per op). A thread that dies
# with grad off leaves it above 0: ops then take the per-thread read, still correct.
_threads_off = 0
_threads_off_lock = threading.Lock()


def _switch_grad_mode(enabled: bool) -> bool:
    """Set this thread's grad mode; return the previous one."""
    global _threads_off
    previous = _mode.enabled
    if previous != enabled:
        with _threads_off_lock:
            _threads_off += -1 if enabled else 1
        _mode.enabled = enabled
    return previous


def is_grad_enabled() -> bool:
    return _threads_off == 0 or _mode.enabled


class set_grad_enabled:
    """Turn graph recording on or off, as PyTorch's ``set_grad_enabled``: a plain call
    switches the mode at once, ``with`` restores the previous mode on exit, and as a decorator
    it applies the mode on each call of the function.

    >>> st.set_grad_enabled(False)          # off until switched back
    >>> with st.set_grad_enabled(True): ... # on inside, previous mode after
    """

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._previous = _switch_grad_mode(self.mode)

    def __enter__(self) -> None:
        pass  # the mode was set by __init__, as a plain call must work too

    def __exit__(self, *exc: object) -> None:
        _switch_grad_mode(self._previous)

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        _switch_grad_mode(self._previous)  # decorating must not switch the mode for the caller
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return func(*args, **kwargs)

        return wrapper


class no_grad(contextlib.ContextDecorator):
    """Run without recording a graph (evaluation, optimizer updates); per thread.

    >>> with st.no_grad():
    ...     y = model(x)  # y.requires_grad is False
    """

    _enabled = False

    def _recreate_cm(self) -> no_grad:
        return type(self)()  # a decorator's calls each keep their own previous mode (recursion)

    def __enter__(self) -> None:
        self._previous = _switch_grad_mode(self._enabled)

    def __exit__(self, *exc: object) -> None:
        _switch_grad_mode(self._previous)


class enable_grad(no_grad):
    """Record a graph again inside a ``no_grad`` block."""

    _enabled = True


class detect_anomaly(contextlib.ContextDecorator):
    """Check every op's output and every gradient for NaN/inf and name the op that made it.

    Slow (one extra pass over each array); use it to find where training blows up.
    """

    def __enter__(self) -> None:
        global _anomaly_enabled
        self._previous, _anomaly_enabled = _anomaly_enabled, True

    def __exit__(self, *exc: object) -> None:
        global _anomaly_enabled
        _anomaly_enabled = self._previous


def is_anomaly_enabled() -> bool:
    return _anomaly_enabled


# ----- version counters: an in-place change to a tensor a graph still needs is an error -------
# Counters belong to memory, not to Tensor objects: views (x[0], x.detach(), a reshape) share
# their base array's counter, as PyTorch's views share one. Only arrays changed in place have
# an entry, keyed by the id of the array that owns the memory: [version, sequence number of
# the last change]. Writes to ``.data`` (the optimizers' flat buffers) do not count, as in
# PyTorch.
_versions: dict[int, list[int]] = {}
# Sequence number of the latest in-place change anywhere: an op recorded after it cannot have
# been affected, so backward checks nothing unless an in-place op ran after the graph was built.
_last_inplace = -1


def _owner(array: Any) -> Any:
    """The array that owns ``array``'s memory (itself unless it is a view)."""
    base = getattr(array, "base", None)
    while base is not None and hasattr(base, "shape"):  # not bytes/mmap from frombuffer
        array, base = base, getattr(base, "base", None)
    return array


def bump_version(t: Tensor) -> None:
    """Record an in-place change of ``t``'s memory (called by every in-place op)."""
    global _last_inplace
    owner = _owner(t.data)
    entry = _versions.get(id(owner))
    if entry is None:
        entry = _versions[id(owner)] = [0, 0]
        weakref.finalize(owner, _versions.pop, id(owner), None)  # ids are reused after death
    _last_inplace = next(_sequence)  # comparable with Function.seq: later means after the op
    entry[0] += 1
    entry[1] = _last_inplace


def version_of(t: Tensor) -> int:
    """How many in-place ops have changed ``t``'s memory (PyTorch's ``t._version``)."""
    entry = _versions.get(id(_owner(t.data)))
    return 0 if entry is None else entry[0]


def _check_versions(ctx: Function, out: Tensor) -> None:
    """Raise if an input or the output of ``ctx`` changed in place after the op recorded it."""
    for i, t in enumerate((*ctx.parents, out)):
        entry = _versions.get(id(_owner(t.data)))
        if entry is not None and entry[1] > ctx.seq:
            which = "its output" if i == len(ctx.parents) else f"input {i}"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: {which} of {type(ctx).__name__} (shape {t.shape}, "
                f"{t.dtype}) is at version {entry[0]}, changed in place after "
                f"{type(ctx).__name__} saved it for backward; change a copy (t.clone()) or do "
                "the in-place change after backward"
            )


# ----- Function: one op, forward and derivative rule together -------------------------------
def _describe(op: str, arrays: Sequence[Any], options: dict[str, Any]) -> str:
    shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in arrays)
    opts = "".join(f", {k}={_brief(v)}" for k, v in options.items())
    return f"{op}(inputs: {shapes}{opts})"


def _brief(value: Any) -> str:
    """An option as an error message shows it: arrays (labels, masks) by shape, not contents."""
    if hasattr(value, "shape") and hasattr(value, "dtype") and getattr(value, "ndim", 0) > 0:
        return f"<array {tuple(value.shape)} {value.dtype}>"
    return repr(value)


class Function:
    """Base class of every differentiable op.

    >>> class Square(Function):
    ...     def forward(self, x): return x * x
    ...     def backward(self, out, grad): return (grad * 2 * self.parents[0],)
    >>> Square.apply(st.tensor(3.0, requires_grad=True))
    """

    parents: tuple[Tensor, ...] | None = ()
    # Does backward read the inputs' or the output's values? Ops that do not (add) skip the
    # version check, as PyTorch skips tensors an op does not save.
    saves_tensors = True

    def forward(self, *arrays: Any, **options: Any) -> Any:
        raise NotImplementedError

    def backward(self, out: Tensor, grad: Tensor) -> Any:
        """Gradients with respect to each parent (a Tensor or None), as a tuple."""
        raise NotImplementedError(f"{type(self).__name__} has no derivative rule")

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Tensor:
        parents = inputs
        for x in inputs:  # a plain loop: this is the hottest path of every op
            if not isinstance(x, Tensor):
                parents = _as_tensors(inputs)
                break
        fn = cls()
        arrays = [p.data for p in parents]
        try:
            if _anomaly_enabled:
                data = _forward_checked(fn, arrays, options)
            else:
                data = fn.forward(*arrays, **options)
        except (ValueError, OpError) as e:
            raise OpError(f"{_describe(cls.__name__, arrays, options)}: {e}") from e
        except (TypeError, IndexError) as e:
            raise type(e)(f"{_describe(cls.__name__, arrays, options)}: {e}") from e
        for p in parents:
            if p.requires_grad:  # the mode is read only then: rules in a backward rarely need it
                if _threads_off == 0 or _mode.enabled:
                    out = Tensor._from_op(data, True)
                    fn.parents = parents
                    fn.seq = next(_sequence)  # creation order: a topological order for backward
                    out._ctx = fn
                    return out
                break
        return Tensor._from_op(data, False)

    def release(self) -> None:
        """Drop parents and saved arrays after backward; a second backward then fails clearly."""
        self.__dict__.clear()
        self.parents = None


def _as_tensors(inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    """Inputs as Tensors; scalars take the dtype of the tensor they meet (NumPy's weak scalars)."""
    ref = None
    for x in inputs:
        if isinstance(x, Tensor):
            ref = x.data.dtype
            break
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            out.append(x)
        elif ref is not None and ref.kind == "f" and isinstance(x, int | float):
            out.append(_constant(ref, x))
        else:
            out.append(Tensor(x))
    return tuple(out)


_constants: dict[tuple[Any, type, float], Tensor] = {}


def _constant(dtype: Any, x: float) -> Tensor:
    """``x`` as a constant Tensor of ``dtype``, shared between ops: a long graph (a loop of
    ``y = y * 0.9 + 1``) then holds one object fewer per op for the garbage collector to scan.
    Safe because constants never require grad and no user code holds one, so no in-place op
    can reach them (in-place ops reach only tensors the caller has)."""
    key = (dtype, type(x), x)
    t = _constants.get(key)
    if t is None:
        t = Tensor._from_op(dtype.type(x), False)  # a NumPy scalar: cheap
        if x != 0 and len(_constants) < 1024:  # 0.0 == -0.0 would share one; NaN never hits
            _constants[key] = t
    return t


def _forward_checked(fn: Function, arrays: list[Any], options: dict[str, Any]) -> Any:
    """Anomaly mode: run forward with NumPy's warnings off, then name the op if it made NaN/inf."""
    for i, a in enumerate(arrays):
        if _is_nonfinite(a):
            raise FloatingPointError(
                f"anomaly: input {i} of {_describe(type(fn).__name__, arrays, options)} is already "
                "non-finite; it entered the graph from data or a parameter, not from an op"
            )
    with np.errstate(all="ignore"):  # the check below names the op; a warning would not
        data = fn.forward(*arrays, **options)
    _check_finite(data, f"forward of {_describe(type(fn).__name__, arrays, options)}")
    return data


def _is_nonfinite(array: Any) -> bool:
    return array.dtype.kind == "f" and not bool(_xp(array).isfinite(array).all())


def _check_finite(array: Any, where: str) -> None:
    if _is_nonfinite(array):
        raise FloatingPointError(f"anomaly: non-finite values produced by {where}")


# ----- the engine ---------------------------------------------------------------------------
def unbroadcast(grad: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Sum ``grad`` back to ``shape``: the derivative of NumPy broadcasting, in one place."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    summed = grad.sum(axis=axes, keepdims=True) if axes else grad
    return summed.reshape(shape)


def _sequence_number(t: Tensor) -> int:
    return -1 if t._ctx is None else t._ctx.seq


def _topological_order(roots: Sequence[Tensor]) -> list[Tensor]:
    """Tensors that need a gradient, each after all of its parents.

    An op's inputs always exist before its output, so the order in which ops ran is a
    topological order: collect the graph with an explicit stack (no recursion limit), then sort
    by each op's sequence number. Same graph, same order, on every run.
    """
    nodes: list[Tensor] = []
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        nodes.append(t)
        ctx = t._ctx
        if ctx is None:
            continue
        if ctx.parents is None:
            raise RuntimeError(
                f"backward through a freed graph: op {type(ctx).__name__} (output shape "
                f"{t.shape}) released its saved tensors after an earlier backward; pass "
                "retain_graph=True to that earlier backward to keep them"
            )
        for p in ctx.parents:
            if p.requires_grad and id(p) not in seen:
                stack.append(p)
    nodes.sort(key=_sequence_number)
    return nodes


class IndexedGrad:
    """A gradient that is zero except at ``index``: what ``x[index]`` sends back to ``x``.

    Rules return it only in a plain backward (no ``create_graph``); the engine then adds ``values``
    into one buffer per tensor instead of materializing a full-size array per slice, which keeps
    backpropagation through time linear in the number of steps.
    """

    __slots__ = ("index", "values")

    def __init__(self, values: Any, index: Any) -> None:
        self.values, self.index = values, index

    def add_into(self, buffer: Any) -> None:
        parts = self.index if isinstance(self.index, tuple) else (self.index,)
        xp = _xp(buffer)
        if all(isinstance(i, int | slice) or i is None or i is Ellipsis for i in parts):
            buffer[self.index] += self.values  # a view: no index repeats
        elif _rows_of(self.index, buffer):  # an embedding's rows: add.at's fast 1-D loop
            row = buffer[0].size
            rows = self.index.reshape(-1, 1).astype(xp.intp, copy=False)  # no int32 overflow
            flat = (rows * row + xp.arange(row)).reshape(-1)
            values = xp.broadcast_to(self.values, (*self.index.shape, *buffer.shape[1:]))
            xp.add.at(buffer.reshape(-1), flat, values.reshape(-1))  # 4.9x faster than 2-D
        else:
            xp.add.at(buffer, self.index, self.values)  # repeated indices add up


def _rows_of(index: Any, buffer: Any) -> bool:
    """Is ``index`` an integer array picking whole rows of the C-contiguous ``buffer``?"""
    return (
        getattr(index, "dtype", None) is not None
        and index.dtype.kind in "iu"
        and buffer.ndim >= 2
        and buffer.flags.c_contiguous
        and (index.size == 0 or int(index.min()) >= 0)  # negative rows would wrap per element
    )


def _run_backward(
    roots: Sequence[Tensor],
    root_grads: Sequence[Tensor],
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Tensor] | None = None,
) -> dict[int, Tensor]:
    """Propagate gradients from roots. With ``inputs``, return their gradients by id;
    otherwise accumulate into the ``.grad`` of leaves (and of tensors that retain grad)."""
    order = _topological_order(roots)
    sums = _GradSums(create_graph)
    send = sums.add
    for r, g in zip(roots, root_grads, strict=True):
        send(r, g, None)
    wanted = {id(t) for t in inputs} if inputs is not None else None
    found: dict[int, Tensor] = {}
    with set_grad_enabled(create_graph):
        for t in reversed(order):  # each tensor after all of its consumers
            grad = sums.pop(t)
            if grad is None:
                continue
            if wanted is not None:
                if id(t) in wanted:
                    found[id(t)] = grad
            elif t._ctx is None or t._retain_grad:
                _accumulate(t, grad, create_graph)
            ctx = t._ctx
            if ctx is None:
                continue
            if _last_inplace > ctx.seq and ctx.saves_tensors:
                _check_versions(ctx, t)
            grads = ctx.backward(t, grad)
            for p, g in zip(ctx.parents, grads if type(grads) is tuple else (grads,), strict=False):
                if g is not None and p.requires_grad:
                    send(p, g, ctx)
            if not retain_graph:
                ctx.release()
    return found


def _fit(g: Tensor, p: Tensor, ctx: Function | None) -> Tensor:
    """A rule's gradient for input ``p``, summed over broadcast axes and cast to ``p``'s dtype;
    a shape that broadcasting cannot explain is the rule's bug, raised here, never reshaped."""
    shape = p.data.shape
    if g.data.shape != shape:
        if ctx is None:  # a root: backward() checked its gradient's shape already
            return g
        if not _unbroadcastable(g.data.shape, shape):
            raise RuntimeError(
                f"backward of {type(ctx).__name__}: the rule returned a gradient of shape "
                f"{g.data.shape} for input {_position(ctx, p)} of shape {shape}; it is neither "
                "that shape nor a broadcast of it, so the rule is wrong"
            )
        g = unbroadcast(g, shape)
    if g.data.dtype is not p.data.dtype and g.data.dtype != p.data.dtype:
        g = g.astype(p.data.dtype)
    if _anomaly_enabled and ctx is not None:
        _check_finite(g.data, f"backward of {type(ctx).__name__}")
    return g


def _unbroadcastable(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Could broadcasting ``shape`` have produced ``grad_shape``?"""
    lead = len(grad_shape) - len(shape)
    return lead >= 0 and all(n in (1, m) for n, m in zip(shape, grad_shape[lead:], strict=True))


def _position(ctx: Function, p: Tensor) -> int:
    return next(i for i, q in enumerate(ctx.parents) if q is p)


class _GradSums:
    """The gradients waiting for each tensor of the graph, summed as they arrive.

    Three kinds of sum: under ``create_graph`` a recorded ``a + b`` (it is differentiated
    later); otherwise the first gradient is kept as is (no copy), and from the second on one
    buffer this engine owns takes the rest in place. An ``IndexedGrad`` adds into an owned
    buffer at once, so a slice's gradient never becomes a full-size array per slice.
    """

    __slots__ = ("create_graph", "owned", "pending")

    def __init__(self, create_graph: bool) -> None:
        self.create_graph = create_graph
        self.pending: dict[int, Tensor] = {}
        self.owned: dict[int, Any] = {}  # buffers allocated here: safe to add into in place

    def pop(self, t: Tensor) -> Tensor | None:
        if self.owned:
            self.owned.pop(id(t), None)
        return self.pending.pop(id(t), None)

    def add(self, p: Tensor, g: Tensor | IndexedGrad, ctx: Function | None) -> None:
        """Add ``g``, the gradient ``ctx``'s rule sent to ``p`` (a root's own when None)."""
        key = id(p)
        if type(g) is IndexedGrad:
            g.add_into(self._owned_buffer(p))
            return
        data, pdata = g.data, p.data
        if data.shape != pdata.shape or data.dtype is not pdata.dtype or _anomaly_enabled:
            g = _fit(g, p, ctx)
        previous = self.pending.get(key)
        if previous is None:
            self.pending[key] = g
        elif key in self.owned:
            self.owned[key] += g.data
        elif self.create_graph:
            self.pending[key] = previous + g
        else:
            total = previous.data + g.data
            if total.ndim == 0:  # NumPy returns 0-d results as scalars, not arrays
                total = _xp(total).asarray(total)
            self.owned[key] = total
            self.pending[key] = Tensor._from_op(total, False)

    def _owned_buffer(self, p: Tensor) -> Any:
        """A buffer of ``p``'s shape holding the sum so far, that this engine may write into."""
        key = id(p)
        buffer = self.owned.get(key)
        if buffer is None:
            previous = self.pending.get(key)
            xp = _xp(p.data)
            buffer = (
                xp.zeros(p.data.shape, p.data.dtype)
                if previous is None
                else xp.array(previous.data, dtype=p.data.dtype)
            )
            self.owned[key] = buffer
            self.pending[key] = Tensor._from_op(buffer, False)
        return buffer


# Writes .grad in place once it exists: see "Flat buffers" in docs/architecture.md.
def _accumulate(t: Tensor, grad: Tensor, create_graph: bool) -> None:
    if create_graph:
        t.grad = grad if t.grad is None else t.grad + grad
    elif t.grad is None or t.grad.shape != grad.shape:
        # a copy (the rule's result may be shared with another tensor's gradient), in the
        # memory order the gradient already has: forcing C order would transpose it
        t.grad = Tensor._from_op(grad.data.copy(order="K"), False)
    else:
        t.grad.data += grad.data  # accumulate in place, keeping the buffer an optimizer may hold


def _root_grad(t: Tensor, gradient: Any) -> Tensor:
    if gradient is None:
        if t.numel() != 1:
            raise RuntimeError(
                f"backward: output has shape {t.shape}; a non-scalar output needs an explicit "
                "gradient of the same shape, e.g. out.backward(st.ones_like(out))"
            )
        return Tensor._from_op(_xp(t.data).ones_like(t.data), False)
    g = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=t.dtype)
    if g.shape != t.shape:
        raise ValueError(f"backward: gradient shape {g.shape} does not match output {t.shape}")
    return g


def backward(
    tensor: Tensor,
    gradient: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulate d(tensor)/d(leaf) into every leaf's ``.grad``."""
    if not tensor.requires_grad:
        raise RuntimeError(
            f"backward: tensor of shape {tensor.shape} does not require grad (no input had "
            "requires_grad=True, or it was computed under st.no_grad())"
        )
    retain = create_graph if retain_graph is None else retain_graph
    _run_backward([tensor], [_root_grad(tensor, gradient)], retain, create_graph)


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """Gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` is untouched).

    >>> x = st.tensor(3.0, requires_grad=True)
    >>> (dx,) = st.grad(x ** 3, x, create_graph=True)   # 3x^2 = 27
    >>> (dxx,) = st.grad(dx, x)                        # 6x = 18
    """
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs] * len(outs)
    for o in outs:
        if not o.requires_grad:
            raise RuntimeError(f"grad: output of shape {o.shape} does not require grad")
    root_grads = [_root_grad(o, g) for o, g in zip(outs, grad_outputs, strict=True)]
    retain = create_graph if retain_graph is None else retain_graph
    found = _run_backward(outs, root_grads, retain, create_graph, inputs=ins)
    result = tuple(found.get(id(t)) for t in ins)
    if not allow_unused:
        for i, (t, g) in enumerate(zip(ins, result, strict=True)):
            if g is None:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                    "pass allow_unused=True to get None for it"
                )
    return result


def hvp(
    f: Callable[..., Tensor], inputs: Tensor | Sequence[Tensor], v: Tensor | Sequence[Tensor]
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Hessian-vector product: ``(f(*inputs), H v)`` by differentiating the gradient.

    >>> value, (hv,) = st.autograd.hvp(lambda x: (x ** 3).sum(), x, v)  # hv = 6 x v
    """
    xs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    vs = [v] if isinstance(v, Tensor) else list(v)
    xs = [x.detach().requires_grad_() for x in xs]
    with enable_grad():
        value = f(*xs)
        grads = grad(value, xs, create_graph=True)
        dot = functools.reduce(
            lambda a, b: a + b, [(g * w).sum() for g, w in zip(grads, vs, strict=True)]
        )
        hv = grad(dot, xs, allow_unused=True)
    hv = tuple(
        h.detach() if h is not None else Tensor(_xp(x.data).zeros_like(x.data))
        for h, x in zip(hv, xs, strict=True)
    )
    return value.detach(), hv


# Imported last so that either module can be imported first (tensor.py imports this one).
from .tensor import Tensor  # noqa: E402
