"""AdaSwarm and the swarm gradient (pso_env.optim; Mohapatra et al. 2022 eqs 15, 24, Algorithm 2)."""

import copy

import numpy as np
import pytest
import torch

from pso_env.optim import AdaSwarm, SwarmGradLoss


def _cosines(weights, shape, seeds, **options):
    """Cosine between the swarm gradient and the true one of ``sum(weights * y^2)`` at random ``y``."""
    a = torch.tensor(weights, dtype=torch.float64).reshape(shape)
    target = torch.zeros(shape, dtype=torch.float64)
    out = []
    for seed in seeds:
        y = torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).requires_grad_()
        SwarmGradLoss(lambda o, t: (a * (o - t) ** 2).sum(), seed=seed, **options)(y, target).backward()
        true = 2.0 * a * y.detach()
        out.append(float(torch.nn.functional.cosine_similarity(y.grad.reshape(-1), true.reshape(-1), dim=0)))
    return np.array(out)


def test_swarm_gradient_is_parallel_on_an_isotropic_quadratic_and_not_on_an_ill_conditioned_one():
    options = {"swarm_size": 20, "iterations": 100, "span": 3.0}
    assert _cosines([1.0, 1.0, 1.0], (1, 3), range(10), **options).min() >= 0.999
    ill = _cosines([1.0, 100.0, 1.0], (1, 3), range(10), **options)
    assert ill.max() < 0.99 and ill.min() > 0.0  # a descent direction without the curvature


@pytest.mark.parametrize("loss_fn", [torch.nn.MSELoss(), torch.nn.L1Loss(), torch.nn.CrossEntropyLoss(),
                                     lambda o, t: torch.nn.functional.mse_loss(o, torch.eye(3)[t])])
def test_forward_is_the_true_loss_and_backward_descends(loss_fn):
    torch.manual_seed(0)
    out = torch.randn(16, 3, requires_grad=True)
    labels = torch.randint(3, (16,))
    target = labels if isinstance(loss_fn, torch.nn.CrossEntropyLoss) or not isinstance(loss_fn, torch.nn.Module) \
        else torch.eye(3)[labels]
    criterion = SwarmGradLoss(loss_fn, seed=1)
    loss = criterion(out, target)
    assert loss.item() == loss_fn(out, target).item()
    loss.backward()
    np.testing.assert_allclose(out.grad, criterion.last_k * (out.detach() - criterion.last_g), rtol=1e-6)
    assert 0.0 < criterion.last_k <= (0.8 + 0.9) / 0.1
    true = torch.autograd.grad(loss_fn(out, target), out)[0]
    assert float((out.grad * true).sum()) > 0.0  # k (y - g): the descending sign
    with torch.no_grad():  # a small step along minus the swarm gradient lowers the loss
        assert loss_fn(out - 1e-3 * out.grad, target) < loss_fn(out, target)
    again = SwarmGradLoss(loss_fn, seed=1)
    again(out, target)
    assert torch.equal(again.last_g, criterion.last_g)  # a seed gives the same swarm


class _Fixed(SwarmGradLoss):
    """g and k fixed instead of searched."""

    def __init__(self, g, k):
        super().__init__(torch.nn.MSELoss())
        self.g, self.k = g, k

    def search(self, output, target):
        return self.g, self.k


def _net():
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)).double()


def test_adaswarm_is_adam_on_the_quadratic_of_fixed_g_and_k():
    x = torch.randn(8, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    g, k = torch.randn(8, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1)), 8.5
    ours, ref = _net(), _net()
    opt = AdaSwarm(ours.parameters(), lr=0.01)
    adam = torch.optim.Adam(ref.parameters(), lr=0.01, foreach=False)
    criterion = _Fixed(g, k)
    for _ in range(30):
        opt.zero_grad()
        criterion(ours(x), g).backward()
        opt.step()
        adam.zero_grad()
        (0.5 * k * ((ref(x) - g) ** 2).sum()).backward()
        adam.step()
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)


def test_state_dict_round_trips():
    x = torch.randn(8, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    criterion = _Fixed(torch.zeros(8, 2, dtype=torch.float64), 3.0)
    straight, resumed = _net(), _net()
    opt = AdaSwarm(straight.parameters(), lr=0.05, betas=(0.8, 0.99))

    def steps(net, optimizer, n):
        for _ in range(n):
            optimizer.zero_grad()
            criterion(net(x), criterion.g).backward()
            optimizer.step()

    steps(straight, opt, 5)
    saved = copy.deepcopy(opt.state_dict())  # state_dict holds references to the live tensors
    resumed.load_state_dict(straight.state_dict())
    opt2 = AdaSwarm(resumed.parameters())
    opt2.load_state_dict(saved)
    assert opt2.param_groups[0]["lr"] == 0.05 and opt2.param_groups[0]["betas"] == (0.8, 0.99)
    steps(straight, opt, 5)
    steps(resumed, opt2, 5)
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize(("options", "name"), [
    ({"beta": 1.0}, "beta"), ({"beta": -0.1}, "beta"), ({"eta": -0.1}, "eta"), ({"eta": 0.0}, "eta"),
    ({"swarm_size": 1}, "swarm_size"), ({"iterations": 0}, "iterations"), ({"c1": -1.0}, "c1"),
    ({"span": 0.0}, "span"),
])
def test_bad_loss_arguments_name_themselves(options, name):
    with pytest.raises(ValueError, match=name):
        SwarmGradLoss(torch.nn.MSELoss(), **options)


@pytest.mark.parametrize(("options", "name"), [({"lr": 0.0}, "lr"), ({"lr": -1.0}, "lr"), ({"eps": -1.0}, "eps"),
                                               ({"betas": (0.9, 1.0)}, "betas"), ({"betas": (0.9,)}, "betas")])
def test_bad_optimizer_arguments_name_themselves(options, name):
    with pytest.raises(ValueError, match=name):
        AdaSwarm(_net().parameters(), **options)
