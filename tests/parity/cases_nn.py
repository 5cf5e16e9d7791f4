"""Parity cases for nn.functional: activations (at their kinks too), losses, padding, pooling
options, unpooling, interpolation, one_hot. Regenerate: python tools/torch_golden.py nn"""

from _harness import Case, arg, const


def F(m):
    return m.nn.functional


# points on and around every corner of the piecewise activations
KINKS = [-21.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 20.0, 21.0]
LABELS_2D = [[0, 2, -100, 1, 4], [3, -100, -100, 0, 2]]  # (N=2, d=5), C=5, some ignored

ACTIVATIONS = [
    ("relu", lambda m, x: F(m).relu(x)),
    ("leaky_relu", lambda m, x: F(m).leaky_relu(x, 0.1)),
    ("elu", lambda m, x: F(m).elu(x)),
    ("elu_alpha", lambda m, x: F(m).elu(x, 2.0)),
    ("selu", lambda m, x: F(m).selu(x)),
    ("celu", lambda m, x: F(m).celu(x, 1.5)),
    ("hardtanh", lambda m, x: F(m).hardtanh(x)),
    ("hardtanh_range", lambda m, x: F(m).hardtanh(x, -0.5, 3.0)),
    ("relu6", lambda m, x: F(m).relu6(x)),
    ("hardswish", lambda m, x: F(m).hardswish(x)),
    ("hardsigmoid", lambda m, x: F(m).hardsigmoid(x)),
    ("silu", lambda m, x: F(m).silu(x)),
    ("mish", lambda m, x: F(m).mish(x)),
    ("gelu", lambda m, x: F(m).gelu(x)),
    ("gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh")),
    ("softplus", lambda m, x: F(m).softplus(x)),
    ("softplus_beta", lambda m, x: F(m).softplus(x, beta=2.0, threshold=10.0)),
    ("erf", lambda m, x: m.erf(x)),
]

# PyTorch's float64 hardsigmoid gradient is 1/6 rounded to float32 (0.16666667163); ours is
# 1/6 in the input's dtype, so those two cases compare at float32 precision
LOOSE = {"hardsigmoid": 1e-7}

CASES = []
for name, fn in ACTIVATIONS:
    rtol = LOOSE.get(name)
    CASES += [
        Case(f"{name}_kinks", fn, [arg(values=KINKS)], rtol=rtol),
        Case(f"{name}_float32", fn, [arg((3, 4), "float32", low=-5, high=5)]),
        Case(f"{name}_noncontiguous", fn, [arg((3, 5), low=-4, high=4, noncontiguous=True)],
             rtol=rtol),
    ]
CASES += [
    Case("hardsigmoid_kinks_f32", lambda m, x: F(m).hardsigmoid(x),
         [arg(values=KINKS, dtype="float32")], rtol=1e-6, atol=1e-7),
    Case("erf_wide", lambda m, x: m.erf(x), [arg((50,), low=-7, high=7)]),
    Case("activation_modules", lambda m, x: m.nn.SiLU()(m.nn.Mish()(m.nn.Hardswish()(x))),
         [arg((4, 3))]),
    Case("gelu_module_tanh", lambda m, x: m.nn.GELU(approximate="tanh")(x), [arg((4, 3))]),
]  # fmt: skip

# ----- losses --------------------------------------------------------------------------------
W5 = const([0.5, 2.0, 1.0, 0.25, 3.0], "float64")
CE = [
    ("ce_mean", {}),
    ("ce_sum", {"reduction": "sum"}),
    ("ce_none", {"reduction": "none"}),
    ("ce_smooth", {"label_smoothing": 0.2}),
    ("ce_smooth_none", {"label_smoothing": 0.2, "reduction": "none"}),
]
for name, kw in CE:
    CASES += [
        Case(f"{name}_2d", lambda m, x, t, kw=kw: F(m).cross_entropy(x, t, **kw),
             [arg((6, 5)), arg((6,), "int64", low=0, high=5)]),
        Case(f"{name}_nd_ignore", lambda m, x, t, kw=kw: F(m).cross_entropy(x, t, **kw),
             [arg((2, 5, 5)), const(LABELS_2D)]),
        Case(f"{name}_nd_ignore_weight",
             lambda m, x, t, w, kw=kw: F(m).cross_entropy(x, t, weight=w, **kw),
             [arg((2, 5, 5)), const(LABELS_2D), W5]),
        Case(f"{name}_soft", lambda m, x, q, kw=kw: F(m).cross_entropy(x, q.softmax(1), **kw),
             [arg((4, 5, 3)), arg((4, 5, 3))]),
        Case(f"{name}_soft_weight",
             lambda m, x, q, w, kw=kw: F(m).cross_entropy(x, q.softmax(1), weight=w, **kw),
             [arg((4, 5)), arg((4, 5)), W5]),
    ]  # fmt: skip
CASES += [
    Case("ce_float32_image", lambda m, x, t: F(m).cross_entropy(x, t),
         [arg((2, 4, 3, 3), "float32"), arg((2, 3, 3), "int64", low=0, high=4)]),
    Case("ce_custom_ignore", lambda m, x, t: F(m).cross_entropy(x, t, ignore_index=2),
         [arg((5, 3)), const([0, 2, 1, 2, 0])]),
    Case("ce_unbatched", lambda m, x, t: F(m).cross_entropy(x, t), [arg((5,)), const(3)]),
    Case("ce_large_logits", lambda m, x, t: F(m).cross_entropy(x, t, label_smoothing=0.1),
         [arg((4, 3), low=-60, high=60), const([0, 1, 2, 1])]),
    Case("ce_module", lambda m, x, t, w: m.nn.CrossEntropyLoss(
             weight=w, ignore_index=-100, label_smoothing=0.1)(x, t),
         [arg((2, 5, 5)), const(LABELS_2D), W5]),
    Case("ce_all_ignored_sum", lambda m, x, t: F(m).cross_entropy(x, t, reduction="sum"),
         [arg((2, 3)), const([-100, -100])]),
]  # fmt: skip
for red in ("mean", "sum", "none"):
    CASES += [
        Case(f"nll_{red}", lambda m, x, t, w, red=red: F(m).nll_loss(
                 x.log_softmax(1), t, weight=w, reduction=red),
             [arg((2, 5, 5)), const(LABELS_2D), W5]),
        Case(f"nll_plain_{red}", lambda m, x, t, red=red: F(m).nll_loss(x, t, reduction=red),
             [arg((4, 3)), const([2, 0, -100, 1])]),
        Case(f"bce_{red}", lambda m, p, y, red=red: F(m).binary_cross_entropy(p, y, reduction=red),
             [arg((3, 4), low=0.02, high=0.98), arg((3, 4), low=0, high=1)]),
        Case(f"bce_weight_{red}", lambda m, p, y, w, red=red: F(m).binary_cross_entropy(
                 p, y, weight=w, reduction=red),
             [arg((3, 4), "float32", low=0.02, high=0.98), arg((3, 4), "float32", low=0, high=1),
              const([1.0, 0.5, 2.0, 0.0], "float32")]),
        # logits up to 30: the two stable forms differ by ~4e-10 relative there
        Case(f"bce_logits_{red}", lambda m, x, y, w, pw, red=red:
             F(m).binary_cross_entropy_with_logits(x, y, w, reduction=red, pos_weight=pw),
             [arg((3, 4), low=-30, high=30), arg((3, 4), low=0, high=1),
              const([1.0, 0.5, 2.0, 0.1], "float64"), const([3.0, 1.0, 0.2, 1.0], "float64")],
             rtol=1e-9),
    ]  # fmt: skip
CASES += [
    # probabilities exactly 0 and 1: logs clamped at -100, the input gradient stays finite
    Case("bce_saturated", lambda m, p, y: F(m).binary_cross_entropy(p, y, reduction="sum"),
         [arg(values=[0.0, 1.0, 0.5, 1e-30, 1.0 - 1e-12]),
          const([1.0, 0.3, 0.2, 0.5, 0.0], "float64")]),
    Case("bce_module", lambda m, p, y: m.nn.BCELoss()(p, y),
         [arg((5,), low=0.05, high=0.95), const([1.0, 0.0, 1.0, 0.5, 0.0], "float64")]),
]  # fmt: skip

# ----- padding, pooling, unpooling, interpolation ---------------------------------------------
for mode in ("constant", "reflect", "replicate", "circular"):
    CASES += [
        Case(f"pad_{mode}_4d", lambda m, x, mode=mode: F(m).pad(x, (2, 1, 3, 0), mode=mode),
             [arg((2, 3, 5, 4))]),
        Case(f"pad_{mode}_3d", lambda m, x, mode=mode: F(m).pad(x, (1, 3), mode=mode),
             [arg((2, 3, 5), "float32")]),
        Case(f"pad_{mode}_crop", lambda m, x, mode=mode: F(m).pad(x, (-1, 2, 1, -2), mode=mode),
             [arg((1, 2, 5, 6))]),
    ]  # fmt: skip
CASES += [
    Case("pad_constant_value_3dims", lambda m, x: F(m).pad(x, (1, 1, 0, 2, 1, 0), value=-1.5),
         [arg((2, 3, 4))]),
    Case("pad_reflect_too_big", lambda m, x: F(m).pad(x, (4, 0), mode="reflect"),
         [arg((1, 2, 4))], raises=ValueError),
    Case("conv_reflect_pad", lambda m, x, w: F(m).conv2d(F(m).pad(x, (1, 1, 1, 1), "reflect"), w),
         [arg((2, 2, 5, 4)), arg((3, 2, 3, 3))]),
]  # fmt: skip
POOLS = [
    ((2,), "k2"), ((3, 2, 1), "k3s2p1"), ((3, 2, 0, 2), "k3s2d2"),
    (((2, 3), (2, 1), (1, 0)), "rect"),
]  # fmt: skip
for pool_args, tag in POOLS:
    CASES += [
        Case(f"maxpool_ceil_{tag}", lambda m, x, a=pool_args: F(m).max_pool2d(
                 x, *a, ceil_mode=True, return_indices=True),
             [arg((2, 2, 7, 6))]),  # random: no ties (tied maxima share the gradient here)
        Case(f"maxpool_floor_{tag}_f32", lambda m, x, a=pool_args: F(m).max_pool2d(
                 x, *a, return_indices=True), [arg((2, 3, 7, 6), "float32")]),
    ]  # fmt: skip
for pool_args, tag in [((2,), "k2"), ((3, 2, 1), "k3s2p1"), ((3, 3, 1), "k3s3p1"),
                       (((2, 3), (2, 1), (1, 0)), "rect")]:  # fmt: skip
    for ceil in (False, True):
        for cip in (False, True):
            CASES.append(Case(
                f"avgpool_{tag}_ceil{int(ceil)}_cip{int(cip)}",
                lambda m, x, a=pool_args, c=ceil, p=cip: F(m).avg_pool2d(
                    x, *a, ceil_mode=c, count_include_pad=p),
                [arg((2, 3, 7, 6))],
            ))  # fmt: skip
CASES += [
    Case("avgpool_divisor_override", lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, divisor_override=4),
         [arg((1, 2, 6, 6), "float32")]),
    Case("avgpool_module_ceil", lambda m, x: m.nn.AvgPool2d(3, 2, ceil_mode=True,
                                                            count_include_pad=False)(x),
         [arg((2, 2, 6, 5))]),
    Case("maxpool_module_ceil", lambda m, x: m.nn.MaxPool2d(2, ceil_mode=True)(x),
         [arg((2, 2, 5, 5))]),
    Case("max_unpool", lambda m, x: F(m).max_unpool2d(*F(m).max_pool2d(x, 2, return_indices=True),
                                                      2), [arg((2, 2, 6, 4))]),
    Case("max_unpool_size", lambda m, x: m.nn.MaxUnpool2d(2)(
             *m.nn.MaxPool2d(2, return_indices=True)(x), output_size=(7, 5)),
         [arg((1, 3, 7, 5))]),
    Case("one_hot", lambda m, t: F(m).one_hot(t, 5), [const([[0, 3], [4, 1]])], grad=False),
    Case("one_hot_infer", lambda m, t: F(m).one_hot(t), [const([2, 0, 1])], grad=False),
]  # fmt: skip
for kw, tag in [({"scale_factor": 2}, "x2"), ({"size": (5, 9)}, "5x9"),
                ({"scale_factor": (1.5, 0.5)}, "frac"), ({"size": (11, 4)}, "11x4")]:  # fmt: skip
    CASES.append(Case(f"interp_nearest_{tag}",
                      lambda m, x, kw=kw: F(m).interpolate(x, mode="nearest", **kw),
                      [arg((2, 3, 7, 6))]))  # fmt: skip
    for ac in (False, True):
        CASES.append(Case(f"interp_bilinear_{tag}_ac{int(ac)}",
                          lambda m, x, kw=kw, ac=ac: F(m).interpolate(
                              x, mode="bilinear", align_corners=ac, **kw),
                          [arg((2, 3, 7, 6))]))  # fmt: skip
CASES += [
    Case("interp_bilinear_f32", lambda m, x: F(m).interpolate(x, scale_factor=3, mode="bilinear"),
         [arg((1, 2, 4, 5), "float32")]),
    Case("interp_linear", lambda m, x: F(m).interpolate(x, size=9, mode="linear"),
         [arg((2, 3, 5))]),
    Case("interp_linear_ac", lambda m, x: F(m).interpolate(
             x, scale_factor=1.7, mode="linear", align_corners=True), [arg((2, 3, 5))]),
    Case("interp_nearest_1d", lambda m, x: F(m).interpolate(x, scale_factor=3), [arg((2, 3, 5))]),
    Case("upsample_module", lambda m, x: m.nn.Upsample(scale_factor=2, mode="bilinear")(x),
         [arg((1, 2, 3, 3))]),
]  # fmt: skip

CASES += [
    Case("reflection_pad2d", lambda m, x: m.nn.ReflectionPad2d((1, 2, 0, 3))(x),
         [arg((2, 3, 4, 5))]),
    Case("replication_pad2d", lambda m, x: m.nn.ReplicationPad2d(2)(x), [arg((1, 2, 3, 3))]),
    Case("circular_pad2d", lambda m, x: m.nn.CircularPad2d((1, 0, 2, 1))(x), [arg((1, 2, 3, 4))]),
    Case("zero_pad2d", lambda m, x: m.nn.ZeroPad2d((1, 1, 0, 2))(x), [arg((2, 2, 3, 3))]),
    Case("constant_pad2d", lambda m, x: m.nn.ConstantPad2d(1, 3.5)(x), [arg((2, 3, 3), "float32")]),
]  # fmt: skip
