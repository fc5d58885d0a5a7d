"""Rendering of :class:`pso_env.env.PSOEnv`: a one-line text summary or a matplotlib image."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from benchmarks_fn._validate import function_name

from .belief import STATE_NAMES

if TYPE_CHECKING:
    from .env import PSOEnv

#: One colour per evolutionary state (exploration, exploitation, convergence, jumping-out).
STATE_COLOURS = ("#4c72b0", "#55a868", "#c44e52", "#dd8452")
_GRID = 120


def render_ansi(env: PSOEnv) -> str:
    """One line: iteration, best value, error, parameters, state and evolutionary factor."""
    swarm = env.swarm
    err = env._info()["error"]
    err_text = "n/a" if err is None else f"{err:.4e}"
    return (
        f"it {swarm.iteration:5d}/{env.max_iterations} | {function_name(env.function)} | best {swarm.gbest_fitness:.6e} "
        f"| error {err_text} | w {env.w:.3f} c1 {env.c1:.3f} c2 {env.c2:.3f} "
        f"| state {STATE_NAMES[env.belief.states[0]]} | f {env.f:.3f}"
    )


def render_rgb(env: PSOEnv) -> np.ndarray:
    """An RGB image, shape (H, W, 3) uint8: for 2-D functions a contour plot with the particles, their
    personal bests and the global best; otherwise the best error so far (log scale) over a coloured band
    of each iteration's belief state."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    cache = env.__dict__  # the figure and the 2-D function's grid, kept until close_figure(env)
    if "_render_figure" not in cache:
        cache["_render_figure"] = Figure(figsize=(6, 4.5), dpi=80)
    fig = cache["_render_figure"]
    fig.clear()
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    swarm, fn = env.swarm, env.function
    if fn.dim == 2:
        grid = cache.get("_render_grid")
        if grid is None or grid[0] is not fn:
            gx, gy = np.meshgrid(np.linspace(fn.lower[0], fn.upper[0], _GRID),
                                 np.linspace(fn.lower[1], fn.upper[1], _GRID))
            gz = swarm.evaluate(np.column_stack([gx.ravel(), gy.ravel()])[None])[0].reshape(gx.shape)
            cache["_render_grid"] = grid = (fn, gx, gy, gz)
        _, gx, gy, gz = grid
        ax.contourf(gx, gy, gz, levels=30, cmap="viridis")
        ax.scatter(*swarm.pbest_positions.T, s=12, c="white", alpha=0.6, label="personal bests")
        ax.scatter(*swarm.positions.T, s=14, c="black", label="particles")
        ax.scatter(*swarm.gbest_position, s=80, marker="*", c="red", label="global best")
        ax.set(xlim=(fn.lower[0], fn.upper[0]), ylim=(fn.lower[1], fn.upper[1]))
        ax.legend(loc="upper right", fontsize=7)
    else:
        hist = swarm.best_history
        f_star = getattr(fn, "optimum_value", None)
        y = np.maximum(hist - f_star if f_star is not None else hist - np.min(hist) + 1e-12, 1e-16)
        t = np.arange(len(y))
        ax.set_yscale("log")
        ax.plot(t, y, color="black", lw=1.5)
        low = float(np.min(y[np.isfinite(y)], initial=1e-16)) / 10
        states = np.asarray(env.states)
        for k, colour in enumerate(STATE_COLOURS):
            ax.fill_between(t, low / 3, low, where=states == k, color=colour, step="mid", lw=0)
        ax.set(xlim=(0, max(env.max_iterations, 1)), xlabel="iteration",
               ylabel="best error" if f_star is not None else "best - min(best)")
        ax.legend(handles=[Patch(color=c, label=n) for c, n in zip(STATE_COLOURS, STATE_NAMES)],
                  loc="upper right", fontsize=7, title="belief state", title_fontsize=7)
    ax.set_title(f"{function_name(fn)}  it {swarm.iteration}  best {swarm.gbest_fitness:.3e}", fontsize=9)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def close_figure(env: PSOEnv) -> None:
    """Drop the cached figure of ``env``."""
    for key in ("_render_figure", "_render_grid"):
        env.__dict__.pop(key, None)
