"""Study 13: local minima and saddle points: optimizer paths on 2-D surfaces, a 2-D slice of
a trained network's loss landscape with its training path, and the top Hessian eigenvalue.

Surfaces (float64, minimized with steepest's own optimizers on a 2-vector):
Rosenbrock ``(1-x)^2 + 100 (y-x^2)^2``; Beale; a saddle ``x^2 + y^4/4 - y^2/2`` (saddle at the
origin, minima at (0, +-1)) started just off the saddle; and ``(x^2-1)^2 + (y^2-1)^2 + 0.3x +
0.2y`` with four minima of different heights, started in the basin of the worst one.

Network: MLP 784-32-10 (ReLU) trained with SGD (lr 0.1, batch 64). The slice is
``L(theta* + a d1 + b d2)`` with filter-normalized random directions (Li et al., 2018: each
row of a weight matrix scaled to the norm of the same row of theta*, bias directions zero);
the path is each epoch's weights projected onto (d1, d2) by least squares. The top Hessian
eigenvalue comes from power iteration on Hessian-vector products (``st.autograd.hvp``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import optim, relu
from ..autograd import hvp
from ..nn import functional as F
from ..tensor import Tensor
from ._common import evaluate, figure, load, mlp, train
from .report import Section, line_plot, mean, pyplot, table

TITLE = "13. Local minima, saddle points and the loss landscape"
CLAIM = ("GD is simple but can get stuck in local minima (claim 1); optimizers differ in how "
         "they handle local minima and saddle points.")
OPTIMIZERS = ("GD", "momentum", "nesterov", "rmsprop", "adam")
# name -> (start, global minimum, plot box, lr for GD-family, lr for adaptive)
SURFACES: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, ...], float,
                          float]] = {
    "rosenbrock": ((-1.2, 1.0), (1.0, 1.0), (-2, 2, -1, 3), 1e-3, 1e-2),
    "beale": ((-1.0, 1.0), (3.0, 0.5), (-4.5, 4.5, -4.5, 4.5), 1e-3, 1e-2),
    "saddle": ((1.0, 1e-3), (0.0, 1.0), (-1.5, 1.5, -1.5, 1.5), 1e-2, 1e-2),
    "multi_minima": ((1.6, 1.7), (-1.0, -1.0), (-2, 2, -2, 2), 1e-2, 1e-2),
}


def surface(name: str, x: Any, y: Any) -> Any:
    """The function value; works on Tensors (for gradients) and on arrays (for contours)."""
    if name == "rosenbrock":
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2
    if name == "beale":
        return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2
                + (2.625 - x + x * y * y * y) ** 2)
    if name == "saddle":
        return x * x + y ** 4 / 4 - y * y / 2
    return (x * x - 1) ** 2 + (y * y - 1) ** 2 + 0.3 * x + 0.2 * y


def _opt(name: str, params: list[Tensor], lr_gd: float, lr_ad: float) -> Any:
    if name == "GD":
        return optim.SGD(params, lr=lr_gd)
    if name in ("momentum", "nesterov"):
        return optim.SGD(params, lr=lr_gd, momentum=0.9, nesterov=name == "nesterov")
    return (optim.RMSprop if name == "rmsprop" else optim.Adam)(params, lr=lr_ad)


def _f_min(name: str) -> float:
    """The global minimum value, found on a fine grid near the known minimizer."""
    gx, gy = SURFACES[name][1]
    xs, ys = np.meshgrid(np.linspace(gx - 0.2, gx + 0.2, 401), np.linspace(gy - 0.2, gy + 0.2, 401))
    return float(surface(name, xs, ys).min())


def run_surface(cfg: dict[str, Any]) -> dict[str, Any]:
    name = cfg["surface"]
    start, _, _, lr_gd, lr_ad = SURFACES[name]
    f_star = _f_min(name)
    out: dict[str, Any] = {"f_star": f_star}
    for o in OPTIMIZERS:
        p = Tensor(np.array(start, dtype=np.float64), requires_grad=True)
        opt = _opt(o, [p], lr_gd, lr_ad)
        path, reached = [list(start)], None
        for step in range(1, cfg["steps"] + 1):
            opt.zero_grad()
            f = surface(name, p[0], p[1])
            f.backward()
            opt.step()
            value = float(surface(name, *p.data))
            if not math.isfinite(value) or abs(p.data).max() > 1e6:
                break
            path.append(p.data.tolist())
            if reached is None and value - f_star < 1e-3:
                reached = step
        keep = np.unique(np.linspace(0, len(path) - 1, 300).astype(int))
        final = path[-1]
        out[o] = {"path": [path[i] for i in keep], "final": final,
                  "final_f": float(surface(name, *np.array(final))),
                  "steps_to_min": reached, "steps_run": len(path) - 1}
    return out


def _flat(params: list[Tensor]) -> np.ndarray:
    return np.concatenate([p.data.ravel() for p in params]).astype(np.float64)


def top_eigenvalue(params: list[Tensor], x: np.ndarray, y: np.ndarray, iters: int,
                   seed: int) -> float:
    """Largest Hessian eigenvalue of the mean cross-entropy, by power iteration on H v."""
    xt, yt = Tensor(x), Tensor(y)

    def loss(w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> Tensor:
        return F.cross_entropy(F.linear(relu(F.linear(xt, w1, b1)), w2, b2), yt)

    rng = np.random.default_rng(seed)
    v = [rng.standard_normal(p.shape).astype(np.float32) for p in params]
    lam = 0.0
    for _ in range(iters):
        norm = math.sqrt(sum(float((a * a).sum()) for a in v))
        v = [a / norm for a in v]
        _, hv = hvp(loss, [Tensor(p.data.copy()) for p in params], [Tensor(a) for a in v])
        lam = sum(float((a * h.data).sum()) for a, h in zip(v, hv, strict=True))
        v = [h.data for h in hv]
    return lam


def run_network(cfg: dict[str, Any]) -> dict[str, Any]:
    data = load(cfg["data"], cfg["n_train"], cfg["n_test"])
    model = mlp([784, 32, 10], seed=cfg["seed"])
    params = list(model.parameters())
    ex, ey = data.x_train[:1000], data.y_train[:1000]
    opt = optim.SGD(params, lr=0.1)
    snaps, eigs, losses = [_flat(params)], [], []
    eigs.append(top_eigenvalue(params, ex, ey, cfg["hess_iters"], cfg["seed"]))
    for e in range(cfg["epochs"]):
        log = train(model, opt, data, 1, 64, seed=cfg["seed"] * 1000 + e)
        losses.append(log["train_loss"][0])
        snaps.append(_flat(params))
        eigs.append(top_eigenvalue(params, ex, ey, cfg["hess_iters"], cfg["seed"]))
    _, test_acc = evaluate(model, data.x_test, data.y_test)
    # filter-normalized directions: rows of weight matrices scaled like theta*'s rows
    rng = np.random.default_rng(cfg["seed"] + 7)
    dirs = []
    for _ in range(2):
        parts = []
        for p in params:
            if p.data.ndim == 2:
                d = rng.standard_normal(p.shape)
                d *= np.linalg.norm(p.data, axis=1, keepdims=True) / np.linalg.norm(
                    d, axis=1, keepdims=True)
            else:
                d = np.zeros(p.shape)
            parts.append(d.ravel())
        dirs.append(np.concatenate(parts))
    basis = np.stack(dirs, axis=1)
    star = snaps[-1]
    coef, *_ = np.linalg.lstsq(basis, np.stack(snaps, 1) - star[:, None], rcond=None)
    resid = np.linalg.norm(basis @ coef - (np.stack(snaps, 1) - star[:, None]), axis=0)
    full = np.linalg.norm(np.stack(snaps, 1) - star[:, None], axis=0)
    grid = np.linspace(-1, 1, cfg["grid"])
    shapes = [(p, p.data.size) for p in params]

    def set_params(vec: np.ndarray) -> None:
        i = 0
        for p, n in shapes:
            p.data[...] = vec[i:i + n].reshape(p.shape).astype(p.data.dtype)
            i += n

    def slice_(d1: np.ndarray, d2: np.ndarray, ticks: np.ndarray) -> np.ndarray:
        out = np.zeros((len(ticks), len(ticks)))
        for i, b in enumerate(ticks):
            for j, a in enumerate(ticks):
                set_params(star + a * d1 + b * d2)
                out[i, j] = evaluate(model, ex, ey)[0]
        return out

    surf = slice_(dirs[0], dirs[1], grid)
    # random directions miss the path (high dimension); the path's own top-2 principal
    # directions show it (Li et al., 2018, section 7)
    diffs = np.stack(snaps, 1) - star[:, None]
    u, sv, _ = np.linalg.svd(diffs, full_matrices=False)
    pcoef = u[:, :2].T @ diffs
    span = max(float(np.abs(pcoef).max()) * 1.25, 1e-3)
    pgrid = np.linspace(-span, span, cfg["grid"])
    psurf = slice_(u[:, 0], u[:, 1], pgrid)
    set_params(star)
    return {"train_loss": losses, "test_acc": test_acc, "top_eig": eigs,
            "pca_grid": pgrid.tolist(), "pca_surface": psurf.tolist(),
            "pca_path": pcoef.T.tolist(),
            "pca_explained": float((sv[:2] ** 2).sum() / max((sv ** 2).sum(), 1e-30)),
            "grid": grid.tolist(), "surface": surf.tolist(), "path": coef.T.tolist(),
            "path_out_of_plane": [float(r / f) if f > 0 else 0.0 for r, f in
                                  zip(resid, full, strict=True)]}


def configs(ctx: Any) -> list[dict[str, Any]]:
    cfgs: list[dict[str, Any]] = [{"part": "surface", "surface": s,
                                   "steps": ctx.pick(150, 400, 3000)} for s in SURFACES]
    cfgs += [{"part": "network", "version": 2, "data": ctx.data,
              "n_train": ctx.pick(300, 2000, 10000),
              "n_test": ctx.pick(500, 2000, 10000), "epochs": ctx.pick(2, 4, 10),
              "grid": ctx.pick(5, 9, 25), "hess_iters": ctx.pick(4, 8, 20), "seed": s}
             for s in ctx.seed_list(2)]
    return cfgs


def run(cfg: dict[str, Any]) -> dict[str, Any]:
    return run_surface(cfg) if cfg["part"] == "surface" else run_network(cfg)


def _surface_figure(ctx: Any, name: str, res: dict[str, Any]) -> str:
    plt = pyplot()
    x0, x1, y0, y1 = SURFACES[name][2]
    xs, ys = np.meshgrid(np.linspace(x0, x1, 200), np.linspace(y0, y1, 200))
    zs = surface(name, xs, ys)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    levels = np.quantile(zs, np.linspace(0, 0.95, 30))
    ax.contour(xs, ys, zs, levels=np.unique(levels), cmap="viridis", linewidths=0.6)
    for o in OPTIMIZERS:
        path = np.array(res[o]["path"])
        ax.plot(path[:, 0], path[:, 1], label=o, lw=1.2)
    ax.plot(*SURFACES[name][0], "ko", ms=4)
    ax.plot(*SURFACES[name][1], "r*", ms=10)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title(f"{name} (start: black dot, global minimum: red star)", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path, rel = figure(ctx, f"landscape-{name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return rel


def _network_figure(ctx: Any, res: dict[str, Any]) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10.4, 4.4))
    for ax, key, label in ((axes[0], "", "filter-normalized random direction"),
                           (axes[1], "pca_", "principal direction of the path")):
        grid = np.array(res[key + "grid"])
        cs = ax.contourf(grid, grid, np.log10(np.array(res[key + "surface"])), levels=25,
                         cmap="viridis")
        fig.colorbar(cs, ax=ax, label="log10 training loss")
        path = np.array(res[key + "path"])
        ax.plot(path[:, 0], path[:, 1], "w.-", lw=1, label="training path, epoch by epoch")
        ax.plot(path[0, 0], path[0, 1], "r^", ms=6, label="initialization")
        ax.set_xlabel(f"{label} 1")
        ax.set_ylabel(f"{label} 2")
        ax.legend(fontsize=7)
    axes[1].set_title(f"path plane ({100 * res['pca_explained']:.1f} % of the path's variance)",
                      fontsize=9)
    axes[0].set_title("random plane through the trained weights", fontsize=9)
    fig.tight_layout()
    p, rel = figure(ctx, "landscape-network")
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=90)
    plt.close(fig)
    return rel


def report(ctx: Any, records: list[dict[str, Any]]) -> Section:
    surf = {r["config"]["surface"]: r["result"] for r in records
            if r["config"]["part"] == "surface"}
    nets = [r["result"] for r in records if r["config"]["part"] == "network"]
    rows, figs = [], []
    for name, res in surf.items():
        figs.append(_surface_figure(ctx, name, res))
        gx, gy = SURFACES[name][1]
        for o in OPTIMIZERS:
            r = res[o]
            dist = math.dist(r["final"], (gx, gy))
            rows.append([name, o, f"{r['final_f']:.4g}", f"{dist:.3g}",
                         r["steps_to_min"] if r["steps_to_min"] is not None else
                         f"not in {r['steps_run']}"])
    figs.append(_network_figure(ctx, nets[0]))
    epochs = len(nets[0]["top_eig"])
    eig_mean = [mean([n["top_eig"][e] for n in nets]) for e in range(epochs)]
    p, rel = figure(ctx, "landscape-hessian")
    line_plot(p, {"top Hessian eigenvalue": (list(range(epochs)), eig_mean)},
              "epoch (0 = initialization)", "largest eigenvalue of the Hessian")
    figs.append(rel)
    erows = [[e, f"{eig_mean[e]:.3g}",
              f"{mean([n['train_loss'][e - 1] for n in nets]):.4f}" if e else "-"]
             for e in range(epochs)]
    m = surf["multi_minima"]
    f_glob = m["f_star"]
    sx, sy = SURFACES["multi_minima"][0]
    # which of the four minima (by quadrant) each optimizer ended in
    stuck = {o: in_start_basin(m[o]["final"], (sx, sy)) for o in OPTIMIZERS}
    best = {o: m[o]["final_f"] < f_glob + 0.01 for o in OPTIMIZERS}
    s = surf["saddle"]
    escape = {o: s[o]["steps_to_min"] for o in OPTIMIZERS}
    verdict = judge(m["GD"]["final"], (sx, sy))
    lr_gd = SURFACES["multi_minima"][3]
    grid0 = np.array(nets[0]["surface"])
    iy, ix = np.unravel_index(int(np.argmin(grid0)), grid0.shape)
    c = grid0.shape[0] // 2
    where = ("at the trained weights (the centre)" if max(abs(iy - c), abs(ix - c)) <= 1
             else f"off-centre (grid cell {iy}, {ix}; centre {c}, {c})")
    out_plane = mean([n["path_out_of_plane"][0] for n in nets])
    why = (f"On the four-minimum surface, started in the basin of the worst minimum, GD "
           f"{'stays in that local minimum' if stuck['GD'] else 'reaches the global minimum'} "
           f"(f = {m['GD']['final_f']:.3f} vs global {f_glob:.3f}); stuck there too: "
           f"{', '.join(o for o in OPTIMIZERS if stuck[o]) or 'none'}; left the start basin: "
           f"{', '.join(o for o in OPTIMIZERS if not stuck[o]) or 'none'}; reached the global "
           f"minimum: {', '.join(o for o in OPTIMIZERS if best[o]) or 'none'} (at lr {lr_gd:g}). "
           "Near the saddle, "
           "steps to reach a minimum: " + ", ".join(
               f"{o} {escape[o] if escape[o] is not None else 'never'}" for o in OPTIMIZERS)
           + ". For the network, the top Hessian eigenvalue goes from "
           f"{eig_mean[0]:.3g} at initialization to {eig_mean[-1]:.3g} after training "
           f"(2/lr = {2 / 0.1:g} is the sharpness limit of stable GD at lr 0.1). In the 2-D "
           f"slice the lowest loss is {where}; the projected path is only "
           f"indicative: {100 * out_plane:.0f} % of the distance from the initial to the final "
           "weights lies outside the random plane, while the plane of the path's two principal "
           f"directions holds {100 * mean([n['pca_explained'] for n in nets]):.0f} % of its "
           "variance (right panel).")
    body = (table(["surface", "optimizer", "final f", "distance to global min",
                   "steps to f* + 1e-3"], rows)
            + "\n\nTop Hessian eigenvalue of the training loss (1000 examples; mean over "
            f"{len(nets)} seed(s)) and training loss per epoch, network test accuracy "
            f"{mean([n['test_acc'] for n in nets]):.4f}:\n\n"
            + table(["epoch", "top eigenvalue", "train loss"], erows))
    return Section("landscape", TITLE, CLAIM, body, verdict, why, figs)


def in_start_basin(point: Any, start: tuple[float, float]) -> bool:
    """Whether ``point`` lies in the quadrant (the basin) of the start point."""
    return bool(point[0] * start[0] > 0 and point[1] * start[1] > 0)


def judge(gd_final: Any, start: tuple[float, float]) -> str:
    """The claim: plain GD started in a local minimum's basin stays in that local minimum."""
    return "holds" if in_start_basin(gd_final, start) else "does not hold"
