"""AdaSwarm (Mohapatra et al. 2022): Adam fed with a gradient that an EMPSO swarm approximates.

Mohapatra, Saha, Coello Coello, Bhattacharya, Dhavala & Saha (2022), "AdaSwarm: augmenting gradient-based
optimizers in deep learning with swarm intelligence", IEEE TETCI 6(2). Two pieces, used together:

- :class:`SwarmGradLoss` wraps a loss ``E(y, target)``. Its forward returns the true loss; meanwhile an
  EMPSO swarm (:class:`pso_env.swarm.Swarm` with momentum, eqs 4-5) searches the network's output space
  for a point ``g`` of low loss, and its backward hands the network ``dE/dy ~ k (y - g)`` with
  ``k = mean(c1 r1 + c2 r2) / eta`` (eq 15, and eq 24 for network outputs) instead of the analytic
  gradient; the rest of backpropagation is unchanged (eq 23).
- :class:`AdaSwarm` is Adam with bias correction (Algorithm 2, with the "+" it omits in the first-moment
  update and the bias correction section VII says is used).

Sign: eq 11 writes descent as ``w + eta df/dw`` and eqs 15 and 24 carry the matching minus; we use
``k (y - g)``, the sign that descends under ``w <- w - lr * grad`` (tested).

Example
-------
>>> import torch
>>> net = torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.ReLU(), torch.nn.Linear(10, 3))
>>> criterion = SwarmGradLoss(torch.nn.MSELoss(), seed=0)
>>> optimizer = AdaSwarm(net.parameters(), lr=0.01)
>>> x, y = torch.randn(8, 4), torch.eye(3)[torch.randint(3, (8,))]
>>> loss = criterion(net(x), y)
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from benchmarks_fn._validate import check_int
from benchmarks_fn.base import from_callable

from .config import check_real
from .swarm import Swarm

__all__ = ["AdaSwarm", "SwarmGradLoss"]


class _SwarmGradient(torch.autograd.Function):
    """Forward: the loss value given; backward: ``grad * k * (output - g)`` to the output only."""

    @staticmethod
    def forward(ctx: Any, output: torch.Tensor, value: torch.Tensor, g: torch.Tensor, k: float) -> torch.Tensor:
        ctx.save_for_backward(output, g)
        ctx.k = k
        return value.clone()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        output, g = ctx.saved_tensors
        return grad * ctx.k * (output - g), None, None, None


class SwarmGradLoss(torch.nn.Module):
    """A loss whose backward pass is the EMPSO approximation of ``dE/dy`` (eqs 15, 24).

    Each call runs one EMPSO swarm of ``swarm_size`` particles for ``iterations`` iterations over
    candidate outputs: a particle is a whole output tensor (batch x outputs values, the paper's
    dimension "batch_size x no_of_classes"), its fitness ``loss_fn(candidate, target)``. The swarm starts
    uniformly in the box ``output +- span`` **(our choice: centred on the network's current outputs, so
    the search is local and the loss needs no known minimiser; the authors' package centres it on the
    targets)** and stays in it (SPSO 2011's clip-back; no velocity clamp). With its best point ``g`` and
    ``k = mean(c1 r1 + c2 r2) / eta`` (r1, r2 of the last iteration, averaged over particles and
    coordinates, as in section VII), the gradient handed back is ``k (y - g)`` times the incoming one.

    It is a first-order model only: ``k (y - g)`` points from the swarm's best towards ``y`` with the same
    scale in every coordinate, so on an isotropic loss it is parallel to the true gradient, while on an
    ill-conditioned one (curvature differing between outputs) it is not: it carries no curvature. It
    is not scaled by the loss's reduction (a mean-reduced loss's true gradient carries 1 / numel; Adam is
    indifferent to the scale).

    Parameters
    ----------
    loss_fn : callable
        ``loss_fn(output, target) -> scalar tensor``, differentiable or not (e.g. ``torch.nn.L1Loss()``);
        the swarm evaluates all candidates in one call of an unreduced copy for torch's losses with
        ``reduction`` "mean" or "sum" and no class weights (their first dimension being the batch), else
        through ``torch.func.vmap`` (one call per candidate when vmap cannot trace it).
    swarm_size : int, default 10
        Particles N >= 2.
    iterations : int, default 40
        EMPSO iterations per call (>= 1).
    c1, c2 : float, default 0.8, 0.9
        Acceleration coefficients (section VI-A), >= 0.
    beta : float, default 0.9
        EMPSO's momentum factor in [0, 1) (eq 5).
    eta : float, default 0.1
        The learning rate of the gradient equivalence (eq 15), > 0; it only scales the gradient.
    span : float, default 1.0
        Half-width of the search box around the outputs, in output units, > 0 **(our choice: the scale of
        one-hot targets)**.
    seed : int or numpy.random.Generator, optional
        Source of every swarm's draws (a fresh one when None).

    Attributes
    ----------
    last_g : torch.Tensor or None
        ``g`` of the last call, shaped like the output.
    last_k : float or None
        ``k`` of the last call, in 1 / (units of eta).

    Raises
    ------
    ValueError
        For a bad argument, naming it (``beta`` outside [0, 1), ``eta`` <= 0, ``swarm_size`` < 2, ...);
        at a call, when ``loss_fn`` does not return one value per candidate.
    """

    def __init__(self, loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], swarm_size: int = 10,
                 iterations: int = 40, c1: float = 0.8, c2: float = 0.9, beta: float = 0.9, eta: float = 0.1,
                 span: float = 1.0, seed: int | np.random.Generator | None = None) -> None:
        super().__init__()
        if not callable(loss_fn):
            raise ValueError(f"loss_fn must be callable, got {loss_fn!r}")
        self.loss_fn = loss_fn
        self.swarm_size = check_int(swarm_size, "swarm_size", 2)
        self.iterations = check_int(iterations, "iterations", 1)
        self.c1, self.c2 = (check_real(0.0)(name, v) for name, v in (("c1", c1), ("c2", c2)))
        self.beta = check_real(0.0)("beta", beta)
        if not self.beta < 1.0:
            raise ValueError(f"beta must be in [0, 1), got {beta!r}")
        self.eta = check_real(positive=True)("eta", eta)
        self.span = check_real(positive=True)("span", span)
        self.rng = np.random.default_rng(seed)
        self.last_g: torch.Tensor | None = None
        self.last_k: float | None = None
        self._vmap = True
        # torch's elementwise and per-sample losses (MSE, L1, cross-entropy, ...) without class weights:
        # a copy that does not reduce evaluates all candidates in one call (vmap costs ~2 ms a call)
        self._unreduced = None
        if (isinstance(loss_fn, torch.nn.modules.loss._Loss) and getattr(loss_fn, "reduction", None) in ("mean", "sum")
                and getattr(loss_fn, "weight", None) is None):
            self._unreduced = copy.copy(loss_fn)
            self._unreduced.reduction = "none"

    def _losses(self, candidates: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """``loss_fn`` of each candidate, (M, *shape) -> (M,)."""
        if self._unreduced is not None:  # one call on the M candidates stacked along the batch
            m = len(candidates)
            per = self._unreduced(candidates.reshape(-1, *candidates.shape[2:]),
                                  target.repeat(m, *(1,) * (target.ndim - 1)))
            per = per.reshape(m, -1)
            return per.mean(dim=1) if self.loss_fn.reduction == "mean" else per.sum(dim=1)
        if self._vmap:
            try:
                return torch.func.vmap(lambda o: self.loss_fn(o, target))(candidates).reshape(len(candidates))
            except Exception:  # noqa: BLE001 - any loss vmap cannot trace: one call per candidate below
                self._vmap = False
        return torch.stack([self.loss_fn(o, target).reshape(()) for o in candidates])

    def search(self, output: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, float]:
        """Run the swarm around ``output``; return ``g`` (shaped, typed and placed like ``output``) and ``k``."""
        y = output.detach()
        centre = y.reshape(-1).double().cpu().numpy()
        target = target.detach()

        def fitness(x: np.ndarray) -> np.ndarray:
            candidates = torch.from_numpy(x).to(dtype=y.dtype, device=y.device).reshape(len(x), *y.shape)
            return self._losses(candidates, target).double().cpu().numpy()

        fn = from_callable(fitness, centre.size, centre - self.span, centre + self.span, "swarm-loss", vectorized=True)
        swarm = Swarm(fn, self.swarm_size, self.rng, velocity_clamp=None)
        for _ in range(self.iterations):
            swarm.step(1.0, self.c1, self.c2, momentum=self.beta)
        r = swarm._r[0]  # r1, r2 of the last iteration, (2, N, D)
        k = float(self.c1 * r[0].mean() + self.c2 * r[1].mean()) / self.eta
        g = torch.from_numpy(swarm.gbest_position[0].copy()).to(dtype=y.dtype, device=y.device).reshape(y.shape)
        return g, k

    def forward(self, output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The true loss ``loss_fn(output, target)`` (a scalar tensor); its gradient with respect to
        ``output`` is ``k (output - g)`` (eq 24) and none flows to ``target``."""
        with torch.no_grad():
            value = self.loss_fn(output, target)
        g, k = self.search(output, target)
        self.last_g, self.last_k = g, k
        return _SwarmGradient.apply(output, value, g, k)


class AdaSwarm(torch.optim.Optimizer):
    """Adam with bias correction (Kingma & Ba 2015), the optimizer of AdaSwarm (Algorithm 2).

    ``m <- b1 m + (1 - b1) grad``, ``v <- b2 v + (1 - b2) grad^2``, ``p <- p - lr (m / (1 - b1^t)) /
    (sqrt(v / (1 - b2^t)) + eps)``. Algorithm 2 drops the "+" of the first line and the bias
    correction; section VII says the correction is used, and so do we. The gradients are whatever
    backpropagation left in ``p.grad``: with :class:`SwarmGradLoss` the swarm's approximation of the
    loss's gradient with respect to the outputs, which is what makes the pair AdaSwarm.

    Parameters
    ----------
    params : iterable of tensors or parameter groups
    lr : float, default 1e-3
        Step size (> 0), in parameter units.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moments, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator (>= 0).

    Raises
    ------
    ValueError
        For a bad argument, naming it.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8) -> None:
        lr = check_real(positive=True)("lr", lr)
        eps = check_real(0.0)("eps", eps)
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"betas must be two numbers in [0, 1), got {betas!r}")
        super().__init__(params, {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam step over every parameter that has a gradient; returns ``closure()`` when given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                t, m, v, grad = state["step"], state["exp_avg"], state["exp_avg_sq"], p.grad
                m.lerp_(grad, 1.0 - b1)
                v.mul_(b2).addcmul_(grad, grad, value=1.0 - b2)
                denom = (v.sqrt() / math.sqrt(1.0 - b2**t)).add_(group["eps"])
                p.addcdiv_(m, denom, value=-group["lr"] / (1.0 - b1**t))
        return loss


class HGPSOTrainer:
    """Train a ``torch.nn.Module`` with HG-PSO on a DataLoader, in the loop users know from SGD and Adam.

    HG-PSO (``shared/papers/hg-pso_gradient_hybrid.txt``, sections 3.4-3.5): N particles, each a whole
    flattened weight vector of ``model``, move by ``v <- w v + c1 r1 (p - x) + c2 r2 (g - x) - alpha grad
    L(x)``, ``x <- x + v`` (:class:`agents.variants.HGPSO` on a :class:`pso_env.swarm.Swarm` of a
    :class:`benchmarks_fn.NetworkLoss`). One mini-batch is one iteration: N gradients (``torch.func``,
    vmapped over the particles) and N losses of the moved particles, all on that batch.

    **Our choices** (the paper gives none of them): the swarm starts uniformly in the loss's box
    (``+-box / sqrt(fan_in)`` per layer) with particle 0 at ``model``'s own weights, so training starts from
    the user's initialisation as SGD's does; personal bests found on earlier batches are re-evaluated on
    each new batch before the move (N more forward passes), so that a batch's comparisons are between
    values of one function; the global best after the last batch of an epoch is the epoch's network; with
    ``restore_best`` the model ends with the epoch network of the least validation loss (training loss
    without a ``val_loader``). ``alpha = 0`` is plain PSO on the same loop.

    Parameters
    ----------
    model : torch.nn.Module
        Trained in place (its parameters end as the chosen network's); CPU, float32 or float64.
    swarm_size : int, default 10
    alpha : float, default 0.1
        The gradient step (an SGD learning rate; 0: plain PSO).
    w, c1, c2 : float
        Default 0.7298 and 1.49618 (:class:`agents.variants.HGPSO`'s).
    schedule : {"constant", "success", "state"}, default "constant"
        The alpha schedule (:class:`agents.variants.HGPSO`).
    loss : {"cross_entropy", "mse"}, default "cross_entropy"
    box : float, default 3.0
        :class:`benchmarks_fn.NetworkLoss`'s box.
    velocity_clamp : float or None, default 0.2
        Fraction of the box width (:class:`pso_env.swarm.Swarm`).
    seed : int, default 0
        The swarm's generator (initial positions, r1, r2).

    Attributes
    ----------
    history : dict of lists
        Per epoch: ``loss`` (the mean over the epoch's batches of the global best's batch loss),
        ``val_loss`` and ``val_accuracy`` (with a ``val_loader``), ``alpha`` (its mean over the epoch),
        ``gradient_evaluations`` and ``evaluations`` (cumulative, per particle and sample batch),
        ``seconds`` (cumulative wall time).
    swarm, objective, rule
        The :class:`~pso_env.swarm.Swarm`, its :class:`~benchmarks_fn.NetworkLoss` and the
        :class:`~agents.variants.HGPSO` rule (after the first batch).

    Raises
    ------
    ValueError
        Naming the argument: ``model`` not a module, ``swarm_size`` < 2, ``alpha`` < 0, an unknown
        ``schedule`` or ``loss``, ``epochs`` < 1, an empty ``loader``.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    >>> trainer = HGPSOTrainer(net, swarm_size=10, alpha=0.1, seed=0)  # doctest: +SKIP
    >>> history = trainer.fit(train_loader, epochs=5, val_loader=test_loader)  # doctest: +SKIP
    """

    def __init__(self, model: torch.nn.Module, *, swarm_size: int = 10, alpha: float = 0.1, w: float = 0.7298,
                 c1: float = 1.49618, c2: float = 1.49618, schedule: str = "constant", loss: str = "cross_entropy",
                 box: float = 3.0, velocity_clamp: float | None = 0.2, seed: int = 0) -> None:
        from agents.variants import HGPSO
        from benchmarks_fn.network import LOSSES

        if not isinstance(model, torch.nn.Module):
            raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {loss!r}")
        self.model, self.swarm_size, self.loss = model, check_int(swarm_size, "swarm_size", 2), loss
        self.rule = HGPSO(alpha, w, c1, c2, schedule=schedule)  # checks alpha and schedule
        self.box, self.velocity_clamp, self.seed = box, velocity_clamp, check_int(seed, "seed", 0)
        self.swarm: Any = None
        self.objective: Any = None
        self.iteration = 0
        self.history: dict[str, list[float]] = {k: [] for k in ("loss", "val_loss", "val_accuracy", "alpha",
                                                                 "gradient_evaluations", "evaluations", "seconds")}

    def _start(self, inputs: torch.Tensor, targets: torch.Tensor, iterations: int) -> None:
        from benchmarks_fn.network import NetworkLoss

        from .swarm import Swarm

        dtype = "float64" if next(self.model.parameters()).dtype == torch.float64 else "float32"
        self.objective = NetworkLoss(self.model, inputs, targets, loss=self.loss, box=self.box, dtype=dtype,
                                     name=f"{type(self.model).__name__}-loss")
        self.swarm = Swarm(self.objective, self.swarm_size, self.seed, velocity_clamp=self.velocity_clamp)
        self.swarm.set_particles(0, 0, self.objective.weights(), mode="replace")
        self.rule.reset(self.swarm, iterations)

    def step(self, inputs: torch.Tensor, targets: torch.Tensor) -> float:
        """One HG-PSO iteration on one mini-batch; returns the global best's loss on it.

        ``fit`` calls it per batch; call it yourself for a loop of your own (the swarm is built on the
        first call, for a run of unknown length: the time schedules of ``w``, ``c1``, ``c2`` take their
        start values).
        """
        if self.swarm is None:
            self._start(inputs, targets, 0)
        s = self.swarm
        self.objective.set_data(inputs, targets)
        if self.iteration > 0:  # the personal bests on this batch (our choice, class doc)
            values = s.evaluate(s.pbest_positions, count=True)
            best = int(np.argmin(values[0]))
            s.pbest_fitness[:] = values
            s.gbest_fitness[0], s.gbest_position[0] = values[0, best], s.pbest_positions[0, best]
        w, c1, c2, chi = self.rule.parameters(s, self.iteration)
        self.rule.move(s, w, c1, c2, chi)
        self.iteration += 1
        return float(s.gbest_fitness[0])

    def _evaluate(self, loader: Any, x: np.ndarray) -> tuple[float, float]:
        """Mean loss and accuracy of weights ``x`` over ``loader``'s samples."""
        total = correct = n = 0.0
        for inputs, targets in loader:
            self.objective.set_data(inputs, targets)
            total += float(self.objective.evaluate(x[None])[0]) * len(targets)
            if self.loss == "cross_entropy":
                correct += self.objective.accuracy(x, test=False) * len(targets)
            n += len(targets)
        return total / n, (correct / n if self.loss == "cross_entropy" else float("nan"))

    def fit(self, loader: Any, epochs: int = 1, *, val_loader: Any = None, progress: bool = True,
            restore_best: bool = True) -> dict[str, list[float]]:
        """Train for ``epochs`` passes over ``loader`` (batches of ``(inputs, targets)``); returns :attr:`history`.

        ``progress`` shows a tqdm bar per epoch with the running loss. After the last epoch ``model`` holds
        the chosen weights (``restore_best``: the epoch network of the least validation loss, else of the
        least training loss; without it: the last global best).
        """
        import time

        from tqdm.auto import tqdm

        epochs = check_int(epochs, "epochs")
        try:
            batches = len(loader)
        except TypeError:
            batches = None
        if batches == 0:
            raise ValueError("loader must yield at least one batch")
        best_score, best_x, start = math.inf, None, time.perf_counter()
        for epoch in range(epochs):
            losses, alphas = [], []
            bar = tqdm(loader, total=batches, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=False)
            for inputs, targets in bar:
                if self.swarm is None:
                    self._start(inputs, targets, epochs * batches if batches else 0)
                losses.append(self.step(inputs, targets))
                alphas.append(float(np.mean(self.rule._trace["alpha"][-1])))
                bar.set_postfix(loss=f"{losses[-1]:.4f}")
            if not losses:
                raise ValueError("loader must yield at least one batch")
            x = self.swarm.gbest_position[0].copy()
            h = self.history
            h["loss"].append(float(np.mean(losses)))
            h["alpha"].append(float(np.mean(alphas)))
            h["gradient_evaluations"].append(int(self.rule.gradient_evaluations[0]))
            h["evaluations"].append(int(self.swarm.evaluations[0]))
            score = h["loss"][-1]
            if val_loader is not None:
                val_loss, val_acc = self._evaluate(val_loader, x)
                h["val_loss"].append(val_loss)
                h["val_accuracy"].append(val_acc)
                score = val_loss
            h["seconds"].append(time.perf_counter() - start)
            if score < best_score or best_x is None:
                best_score, best_x = score, x
            if progress:
                extra = f", val_loss {h['val_loss'][-1]:.4f}, val_acc {h['val_accuracy'][-1]:.4f}" if val_loader else ""
                tqdm.write(f"epoch {epoch + 1}/{epochs}: loss {h['loss'][-1]:.4f}{extra}")
        self.objective.load(best_x if restore_best else self.swarm.gbest_position[0], self.model)
        return self.history
