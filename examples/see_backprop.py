"""See backpropagation: the pictures of docs/see-backprop.md, made from scratch.

1. the graph of a 2-layer network's loss, each parameter labelled with its gradient norm;
2. the chain rule applied op by op (st.viz.trace), checked against numerical derivatives;
3. the gradient flow of a deep sigmoid network against the same network with ReLU and He init.

Run: python examples/see_backprop.py [OUT_DIR]   (default docs/images; the graph needs `dot`)
"""

import sys
from pathlib import Path

import numpy as np

import steepest as st


def two_layer():
    """A 2-2-1 tanh network on four points, in float64 so the numbers are exact to print."""
    st.manual_seed(0)
    st.set_default_dtype("float64")
    model = st.nn.Sequential(st.nn.Linear(2, 2), st.nn.Tanh(), st.nn.Linear(2, 1))
    x = st.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [-1.0, 0.5]])
    y = st.tensor([[1.0], [1.0], [0.0], [0.5]])
    st.set_default_dtype("float32")
    return model, x, y


def loss_of(model, x, y):
    return ((model(x) - y) ** 2).mean()


def numerical(model, x, y, eps=1e-6):
    """Central differences of the loss for every parameter: what backprop must agree with."""
    out = {}
    for name, p in model.named_parameters():
        g = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            old = p.data[i]
            p.data[i] = old + eps
            up = loss_of(model, x, y).item()
            p.data[i] = old - eps
            down = loss_of(model, x, y).item()
            p.data[i] = old
            g[i] = (up - down) / (2 * eps)
        out[name] = g
    return out


def gradient_flow(activation, init, out):
    st.manual_seed(0)
    layers = []
    for _ in range(10):
        linear = st.nn.Linear(32, 32)
        if init == "he":
            st.nn.init.kaiming_normal_(linear.weight)
        layers += [linear, activation()]
    model = st.nn.Sequential(*layers, st.nn.Linear(32, 2))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 32)).astype(np.float32)
    y = (x[:, :2].sum(1) > 0).astype(np.int64)
    loader = st.data.DataLoader(st.data.TensorDataset(x, y), batch_size=64, shuffle=True)
    stats = st.train.GradientStats(every_n_steps=1)
    optimizer = st.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    st.train.fit(model, st.nn.CrossEntropyLoss(), optimizer, loader, epochs=3,
                 callbacks=[stats], progress=False)  # fmt: skip
    title = f"10 x {activation.__name__}, {'He' if init == 'he' else 'default'} init"
    st.viz.gradient_flow(stats, out, title=title)
    return stats.flow()


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    model, x, y = two_layer()
    loss = loss_of(model, x, y)
    graph = st.viz.graph(loss, params=model)
    trace = st.viz.trace(loss, params=model)  # runs backward: the graph now shows grad norms
    print(trace)
    print()
    print(trace.to_markdown())
    worst = 0.0
    for name, g in numerical(model, x, y).items():
        worst = max(worst, float(np.abs(trace.leaves[name] - g).max()))
    print(f"\nlargest difference between the trace and central differences: {worst:.1e}")
    # the engine's gradients of the whole loss against st.gradcheck (it perturbs the parameters)
    st.gradcheck(lambda *params: loss_of(model, x, y), list(model.parameters()))
    print("st.gradcheck of the loss with respect to every parameter: passed")
    try:
        graph.render(out_dir / "see-backprop-graph", format="svg", cleanup=True)
        print(f"wrote {out_dir / 'see-backprop-graph.svg'}")
    except RuntimeError as exc:  # no dot program: the DOT text still says it all
        print(f"graph not drawn ({exc})")
    setups = [(st.nn.Sigmoid, "default", "sigmoid"), (st.nn.ReLU, "he", "relu")]
    for activation, init, name in setups:
        flow = gradient_flow(activation, init, out_dir / f"see-backprop-flow-{name}.png")
        first, last = next(iter(flow.values())), list(flow.values())[-1]
        print(f"{name}: mean |grad| first layer {first['mean']:.2e}, last layer {last['mean']:.2e}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/images"))
