r"""Learning-rate schedules: set each param group's ``lr`` from the epoch (or step) count.

Each scheduler computes its closed form :math:`\eta_t = f(\eta_0, t)` from the group's
``initial_lr`` (the lr when the first scheduler was attached), so values never drift from
repeated multiplication; schedules run one after another with ``SequentialLR``. Call
``scheduler.step()`` once per epoch, after ``optimizer.step()``; a class whose
``step_per_batch`` is True (OneCycleLR) is defined per batch instead, and the Trainer steps
it so. ``ReduceLROnPlateau`` sets ``takes_metric``: its ``step`` needs the monitored value.

>>> opt = st.optim.SGD(params, lr=0.1)
>>> sched = st.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
>>> for epoch in range(100): train_one_epoch(); sched.step()
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any

from .optimizer import Optimizer


def _check(cond: bool, message: str) -> None:
    if not cond:
        raise ValueError(message)


class LRScheduler:
    """Base class: ``lr_at(epoch)`` gives the closed form; ``step()`` advances and applies it.

    ``state_dict()`` holds every attribute but the optimizer (plain numbers and lists).
    ``step_per_batch``: the schedule counts batches, not epochs (the Trainer asks this
    attribute, so a subclass inherits its parent's stepping).
    """

    step_per_batch = False
    takes_metric = False

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected an Optimizer, got {optimizer!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                        f"'initial_lr' in param group {i} (load the optimizer state first)"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._last_lr: list[float] = []
        self.step()

    def lr_at(self, epoch: int) -> list[float]:
        """The learning rate of every param group at ``epoch``."""
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self._apply(self.lr_at(self.last_epoch))

    def _restart(self) -> None:
        """Jump to epoch 0 of this schedule (SequentialLR starting the next one)."""
        self.last_epoch = 0
        self._apply(self.lr_at(0))

    def _apply(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the last ``step()``, one per param group."""
        return list(self._last_lr)

    def get_lr(self) -> list[float]:
        """The learning rates for the current epoch (``lr_at(last_epoch)``)."""
        return self.lr_at(self.last_epoch)

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        unknown = sorted(set(state_dict) - set(self.state_dict()))
        if unknown:
            raise ValueError(f"{type(self).__name__}.load_state_dict: unknown keys {unknown}")
        self.__dict__.update(state_dict)


class LambdaLR(LRScheduler):
    r""":math:`\eta_t = \eta_0 \cdot \lambda(t)`, one function per group or one for all.

    The functions are code, not data: ``state_dict()`` does not contain them. Build the
    scheduler with the same functions, then ``load_state_dict`` restores the epoch count.

    >>> sched = LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        n = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, list | tuple) else [lr_lambda] * n
        _check(len(lambdas) == n, f"LambdaLR: {len(lambdas)} lambdas for {n} param groups")
        for f in lambdas:
            if not callable(f):
                raise TypeError(f"LambdaLR: lr_lambda must be callable, got {f!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        return [base * f(epoch) for base, f in zip(self.base_lrs, self.lr_lambdas, strict=True)]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        lambdas = self.lr_lambdas
        super().load_state_dict(state_dict)
        self.lr_lambdas = lambdas


class StepLR(LRScheduler):
    r""":math:`\eta_t = \eta_0 \gamma^{\lfloor t / \mathrm{step\_size} \rfloor}`.

    >>> sched = StepLR(opt, step_size=30, gamma=0.1)  # 0.1 for 30 epochs, 0.01 for 30, ...
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _check(
            isinstance(step_size, int) and step_size >= 1,
            f"StepLR: step_size must be an int >= 1, got {step_size!r}",
        )
        _check(gamma > 0, f"StepLR: gamma must be > 0, got {gamma!r}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        return [base * self.gamma ** (epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    r""":math:`\eta_t = \eta_0 \gamma^{k}` with :math:`k` the number of milestones :math:`\le t`.

    >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        _check(gamma > 0, f"MultiStepLR: gamma must be > 0, got {gamma!r}")
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        k = bisect.bisect_right(self.milestones, epoch)
        return [base * self.gamma**k for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    r""":math:`\eta_t = \eta_0 \gamma^t`.

    >>> sched = ExponentialLR(opt, gamma=0.95)
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _check(gamma > 0, f"ExponentialLR: gamma must be > 0, got {gamma!r}")
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        return [base * self.gamma**epoch for base in self.base_lrs]


class LinearLR(LRScheduler):
    r"""Linear warm-up (or decay) of the factor over ``total_iters`` steps:
    :math:`\eta_t = \eta_0 \bigl(s + (e - s) \min(t, T) / T\bigr)`.

    >>> sched = LinearLR(opt, start_factor=0.1, total_iters=5)  # 10% to 100% in 5 epochs
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        _check(
            0 < start_factor <= 1,
            f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}",
        )
        _check(0 <= end_factor <= 1, f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        _check(
            isinstance(total_iters, int) and total_iters >= 1,
            f"LinearLR: total_iters must be an int >= 1, got {total_iters!r}",
        )
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        s, e = self.start_factor, self.end_factor
        factor = s + (e - s) * min(epoch, self.total_iters) / self.total_iters
        return [base * factor for base in self.base_lrs]


def _cosine(base: float, eta_min: float, t: float, period: float) -> float:
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


class CosineAnnealingLR(LRScheduler):
    r""":math:`\eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})(1 + \cos(\pi t / T_{max}))`
    (Loshchilov & Hutter, 2017, without restarts).

    >>> sched = CosineAnnealingLR(opt, T_max=100, eta_min=1e-5)
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _check(T_max > 0, f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        return [_cosine(base, self.eta_min, epoch, self.T_max) for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing restarted every :math:`T_i` epochs, :math:`T_{i+1} = T_{mult} T_i`
    (SGDR, Loshchilov & Hutter, 2017):
    :math:`\eta_t = \eta_{min} + \tfrac12 (\eta_0 - \eta_{min})(1 + \cos(\pi T_{cur} / T_i))`.

    ``step(epoch)`` accepts a fractional epoch, to anneal within an epoch:

    >>> sched = CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2)
    >>> for i, batch in enumerate(batches): ...; sched.step(epoch + i / len(batches))
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        _check(
            isinstance(T_0, int) and T_0 >= 1,
            f"CosineAnnealingWarmRestarts: T_0 must be an int >= 1, got {T_0!r}",
        )
        _check(
            isinstance(T_mult, int) and T_mult >= 1,
            f"CosineAnnealingWarmRestarts: T_mult must be an int >= 1, got {T_mult!r}",
        )
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur: float = max(last_epoch, 0)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        return [_cosine(base, self.eta_min, self.T_cur, self.T_i) for base in self.base_lrs]

    def step(self, epoch: float | None = None) -> None:
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur -= self.T_i
                self.T_i *= self.T_mult
        else:
            _check(epoch >= 0, f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:  # which restart period the epoch falls in: a geometric series
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i, self.T_cur = self.T_0, epoch
        self.last_epoch = math.floor(epoch)
        self._apply(self.lr_at(self.last_epoch))

    def _restart(self) -> None:
        self.last_epoch, self.T_cur, self.T_i = -1, 0, self.T_0
        self.step()


class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin, 2018), as ``torch.optim.lr_scheduler.OneCycleLR``;
    call ``step()`` after every batch.

    The lr rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of
    ``total_steps``, then falls to ``initial / final_div_factor``; each phase interpolates
    with :math:`a(s, e, x) = e + \tfrac{s - e}{2}(1 + \cos \pi x)` (``anneal_strategy='cos'``)
    or :math:`s + (e - s) x` ('linear'), :math:`x` the fraction of the phase done.
    ``three_phase`` goes back down to the initial lr before the final decay. With
    ``cycle_momentum`` the momentum (or Adam's :math:`\beta_1`) moves the opposite way,
    between ``max_momentum`` and ``base_momentum``.

    >>> sched = OneCycleLR(opt, max_lr=0.1, total_steps=1000)
    """

    step_per_batch = True

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"OneCycleLR: expected an Optimizer, got {optimizer!r}")
        groups = optimizer.param_groups
        if total_steps is None:
            _check(
                epochs is not None and steps_per_epoch is not None,
                "OneCycleLR: give total_steps, or both epochs and steps_per_epoch",
            )
            total_steps = int(epochs) * int(steps_per_epoch)  # type: ignore[arg-type]
        _check(
            isinstance(total_steps, int) and total_steps >= 1,
            f"OneCycleLR: total_steps must be an int >= 1, got {total_steps!r}",
        )
        _check(0 <= pct_start <= 1, f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        _check(
            anneal_strategy in ("cos", "linear"),
            f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}",
        )
        self.total_steps = total_steps
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = cycle_momentum
        if three_phase:
            ends = [
                float(pct_start * total_steps) - 1,
                float(2 * pct_start * total_steps) - 2,
                total_steps - 1,
            ]
            keys = [("initial_lr", "max_lr"), ("max_lr", "initial_lr"), ("initial_lr", "min_lr")]
            moms = [("max_momentum", "base_momentum"), ("base_momentum", "max_momentum"),
                    ("max_momentum", "max_momentum")]  # fmt: skip
        else:
            ends = [float(pct_start * total_steps) - 1, total_steps - 1]
            keys = [("initial_lr", "max_lr"), ("max_lr", "min_lr")]
            moms = [("max_momentum", "base_momentum"), ("base_momentum", "max_momentum")]
        self.phases = [
            {"end_step": end, "lr": list(k), "momentum": list(m)}
            for end, k, m in zip(ends, keys, moms, strict=True)
        ]
        max_lrs = self._per_group("max_lr", max_lr, len(groups))
        if last_epoch == -1:
            for group, top in zip(groups, max_lrs, strict=True):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        if cycle_momentum:
            self._beta1 = "betas" in optimizer.defaults
            _check(
                self._beta1 or "momentum" in optimizer.defaults,
                f"OneCycleLR: cycle_momentum needs an optimizer with momentum or betas, "
                f"{type(optimizer).__name__} has neither (pass cycle_momentum=False)",
            )
            bases = self._per_group("base_momentum", base_momentum, len(groups))
            tops = self._per_group("max_momentum", max_momentum, len(groups))
            if last_epoch == -1:
                for group, low, high in zip(groups, bases, tops, strict=True):
                    self._set_momentum(group, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _per_group(name: str, value: Any, n: int) -> list[float]:
        if isinstance(value, list | tuple):
            _check(len(value) == n, f"OneCycleLR: {len(value)} values of {name} for {n} groups")
            return list(value)
        return [value] * n

    def _set_momentum(self, group: dict[str, Any], value: float) -> None:
        if self._beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _phase(self, step: int) -> tuple[dict[str, Any], float]:
        start = 0.0
        for i, phase in enumerate(self.phases):
            end = phase["end_step"]
            if step <= end or i == len(self.phases) - 1:
                return phase, (step - start) / (end - start)
            start = end
        raise AssertionError("unreachable: the last phase always matches")

    def lr_at(self, epoch: int) -> list[float]:
        _check(
            epoch <= self.total_steps,
            f"OneCycleLR: stepped {epoch} times, more than total_steps={self.total_steps}",
        )
        phase, pct = self._phase(epoch)
        start, end = phase["lr"]
        return [self._anneal(g[start], g[end], pct) for g in self.optimizer.param_groups]

    def _apply(self, lrs: list[float]) -> None:
        super()._apply(lrs)
        if self.cycle_momentum:
            phase, pct = self._phase(self.last_epoch)
            start, end = phase["momentum"]
            for g in self.optimizer.param_groups:
                self._set_momentum(g, self._anneal(g[start], g[end], pct))


class SequentialLR(LRScheduler):
    """Run ``schedulers`` one after another, switching at the ``milestones`` (epoch counts);
    each scheduler starts from its own epoch 0.

    >>> warm = LinearLR(opt, start_factor=0.01, total_iters=5)
    >>> cos = CosineAnnealingLR(opt, T_max=95)
    >>> sched = SequentialLR(opt, [warm, cos], milestones=[5])
    """

    @property  # type: ignore[override]
    def step_per_batch(self) -> bool:  # per batch when every stage is (one count for all)
        return all(s.step_per_batch for s in self._schedulers)

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        _check(len(schedulers) >= 1, "SequentialLR: needs at least one scheduler")
        _check(
            len(milestones) == len(schedulers) - 1,
            f"SequentialLR: {len(schedulers)} schedulers need {len(schedulers) - 1} milestones, "
            f"got {len(milestones)}",
        )
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or isinstance(s, SequentialLR):
                raise TypeError(f"SequentialLR: schedulers[{i}] is not a plain LRScheduler: {s!r}")
            _check(
                s.optimizer is optimizer,
                f"SequentialLR: schedulers[{i}] drives another optimizer than the one given",
            )
        self._schedulers = list(schedulers)
        self.milestones = list(milestones)
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        super().__init__(optimizer, last_epoch)

    def lr_at(self, epoch: int) -> list[float]:
        raise NotImplementedError("SequentialLR delegates to its schedulers")

    def step(self) -> None:
        self.last_epoch += 1
        idx = bisect.bisect_right(self.milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if self.last_epoch == 0 or (idx > 0 and self.milestones[idx - 1] == self.last_epoch):
            scheduler._restart()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in super().state_dict().items() if k != "_schedulers"}
        out["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved = state.pop("_schedulers", [])
        _check(
            len(saved) == len(self._schedulers),
            f"SequentialLR.load_state_dict: {len(saved)} scheduler states for "
            f"{len(self._schedulers)} schedulers",
        )
        unknown = sorted(set(state) - set(self.state_dict()))
        _check(not unknown, f"SequentialLR.load_state_dict: unknown keys {unknown}")
        self.__dict__.update(state)
        for s, sd in zip(self._schedulers, saved, strict=True):
            s.load_state_dict(sd)


class ReduceLROnPlateau:
    """Multiply the lr by ``factor`` when a metric has stopped improving for ``patience``
    epochs, as ``torch.optim.lr_scheduler.ReduceLROnPlateau``. Improvement means, for
    ``mode='min'``: ``metric < best * (1 - threshold)`` (``threshold_mode='rel'``) or
    ``metric < best - threshold`` ('abs'); mirrored for 'max'. After a reduction it waits
    ``cooldown`` epochs; the lr never goes below ``min_lr`` and changes smaller than ``eps``
    are skipped.

    >>> sched = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=3)
    >>> for epoch in range(50): val_loss = train_and_validate(); sched.step(val_loss)
    """

    step_per_batch = False
    takes_metric = True  # step(metric): the Trainer passes the monitored value each epoch

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0.0,
        eps: float = 1e-8,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"ReduceLROnPlateau: expected an Optimizer, got {optimizer!r}")
        _check(
            mode in ("min", "max"), f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}"
        )
        _check(
            threshold_mode in ("rel", "abs"),
            f"ReduceLROnPlateau: threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}",
        )
        _check(0 <= factor < 1, f"ReduceLROnPlateau: factor must be in [0, 1), got {factor!r}")
        _check(patience >= 0, f"ReduceLROnPlateau: patience must be >= 0, got {patience!r}")
        n = len(optimizer.param_groups)
        if isinstance(min_lr, list | tuple):
            _check(len(min_lr) == n, f"ReduceLROnPlateau: {len(min_lr)} min_lr for {n} groups")
            self.min_lrs = list(min_lr)
        else:
            self.min_lrs = [min_lr] * n
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.best: float | None = None  # None: no metric seen yet (JSON has no infinity)
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, a: float, best: float | None) -> bool:
        if best is None:
            return not math.isnan(a)
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < (best * (1 - self.threshold) if rel else best - self.threshold)
        return a > (best * (1 + self.threshold) if rel else best + self.threshold)

    def step(self, metrics: float) -> None:
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during cooldown do not count
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        unknown = sorted(set(state_dict) - set(self.state_dict()))
        _check(not unknown, f"ReduceLROnPlateau.load_state_dict: unknown keys {unknown}")
        self.__dict__.update(state_dict)


__all__ = [
    "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR", "LRScheduler",
    "LambdaLR", "LinearLR", "MultiStepLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR",
    "StepLR",
]  # fmt: skip
