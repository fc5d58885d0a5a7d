"""Loading a run directory runs none of its code (issue 12 item 8).

A crafted run directory (an SB3 ``model.zip`` whose ``data`` entry holds a cloudpickle payload, or a
DQN ``model.pt`` holding a pickled object) must not execute the payload in :func:`agents.load_agent`,
and an honest archive must load to the same policy as before.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
import torch

from agents import load_agent, load_model, make_model
from pso_env import FEATURE_NAMES, PSOEnv

_HYPER = {  # tiny models: the test is about loading, not learning
    "dqn": {"learning_starts": 8, "buffer_size": 200, "policy_kwargs": {"net_arch": [8]}},
    "ppo": {"n_steps": 8, "batch_size": 8, "policy_kwargs": {"net_arch": [8]}},
    "a2c": {"n_steps": 4, "policy_kwargs": {"net_arch": [8]}},  # A2C pickles policy_kwargs (RMSprop class)
    "qrdqn": {"learning_starts": 8, "buffer_size": 200, "policy_kwargs": {"net_arch": [8], "n_quantiles": 5}},
    "recurrent_ppo": {"n_steps": 8, "batch_size": 8, "policy_kwargs": {"net_arch": [8], "lstm_hidden_size": 8}},
}


class _Payload:
    """Unpickling this writes ``marker``: what a malicious archive would do (with worse code)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('payload ran')",)


def _payload_blob(marker: Path) -> dict[str, str]:
    return {":type:": "<class 'object'>", ":serialized:": base64.b64encode(cloudpickle.dumps(_Payload(marker))).decode()}


def _make_run(directory: Path, algo: str, obs_mode: str = "viterbi", learn: int = 16) -> object:
    """A run directory as train_agent.py writes it (run.json with algo, obs_mode, hyperparameters; model)."""
    if algo in ("qrdqn", "recurrent_ppo"):
        pytest.importorskip("sb3_contrib")
    env = PSOEnv(function="sphere", dim=2, swarm_size=4, max_iterations=8, obs_mode=obs_mode)
    model = make_model(algo, env, seed=0, **_HYPER.get(algo, {}))
    if learn:
        model.learn(learn)  # a trained model also pickles its last observation and episode buffers
    directory.mkdir(parents=True, exist_ok=True)
    model.save(str(directory / "model"))
    run = {"algo": algo, "obs_mode": obs_mode, "name": f"{algo}-{obs_mode}",
           "config": {"algo": algo, "obs_mode": obs_mode, "hyperparameters": _HYPER.get(algo, {})}}
    (directory / "run.json").write_text(json.dumps(run))
    return model


def _rewrite_data(archive: Path, change) -> None:
    """Rewrite the ``data`` JSON entry of an SB3 archive with ``change(data)``; other entries are kept."""
    with zipfile.ZipFile(archive) as zf:
        entries = {name: zf.read(name) for name in zf.namelist()}
    data = json.loads(entries["data"])
    change(data)
    entries["data"] = json.dumps(data).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in entries.items():
            zf.writestr(name, content)
    archive.write_bytes(buffer.getvalue())


def _serialized_keys(archive: Path) -> list[str]:
    with zipfile.ZipFile(archive) as zf:
        data = json.loads(zf.read("data"))
    return [k for k, v in data.items() if isinstance(v, dict) and ":serialized:" in v]


def _actions(model, obs_dim: int) -> np.ndarray:
    obs = np.random.default_rng(1).random((64, obs_dim)).astype(np.float32)
    obs[:4, :4] = np.eye(4)  # the one-hot observations a viterbi controller sees
    return np.asarray(model.predict(obs, deterministic=True)[0])


def test_the_payload_is_real(tmp_path):
    """Guard for the tests below: plain SB3 loading of the crafted archive does run the payload."""
    from stable_baselines3 import PPO

    _make_run(tmp_path / "run", "ppo", learn=0)
    marker = tmp_path / "marker"
    _rewrite_data(tmp_path / "run" / "model.zip", lambda d: d.update(lr_schedule=_payload_blob(marker)))
    PPO.load(str(tmp_path / "run" / "model"), device="cpu")
    assert marker.read_text() == "payload ran"


@pytest.mark.parametrize("algo", ["dqn", "ppo", "a2c"])
def test_no_pickled_entry_of_an_sb3_archive_is_unpickled(algo, tmp_path):
    run = tmp_path / "run"
    model = _make_run(run, algo)
    expected = _actions(model, 4)
    keys = _serialized_keys(run / "model.zip")
    assert {"policy_class", "observation_space", "action_space", "lr_schedule"} <= set(keys)
    honest = (run / "model.zip").read_bytes()
    # Every pickled entry, and a plain one turned into a pickle (SB3 would unpickle it just the same).
    for key in [*keys, "gamma"]:
        marker = tmp_path / f"marker-{key}"
        (run / "model.zip").write_bytes(honest)
        _rewrite_data(run / "model.zip", lambda d, key=key, marker=marker: d.update({key: _payload_blob(marker)}))
        policy = load_agent(run)
        assert not marker.exists(), f"the payload in {key!r} ran"
        np.testing.assert_array_equal(_actions(policy.model, 4), expected, err_msg=key)


def test_an_unknown_pickled_entry_is_refused(tmp_path):
    run = tmp_path / "run"
    _make_run(run, "ppo", learn=0)
    marker = tmp_path / "marker"
    _rewrite_data(run / "model.zip", lambda d: d.update(surprise=_payload_blob(marker)))
    with pytest.raises(ValueError, match="'surprise' is a pickled object"):
        load_agent(run)
    assert not marker.exists()


@pytest.mark.parametrize("algo", ["dqn", "ppo", "a2c", "qrdqn", "recurrent_ppo"])
@pytest.mark.parametrize("obs_mode", ["viterbi", "features"])
def test_trained_sb3_models_load_without_cloudpickle(algo, obs_mode, tmp_path, monkeypatch):
    model = _make_run(tmp_path, algo, obs_mode)
    from stable_baselines3.common import save_util

    def refuse(*args, **kwargs):
        raise AssertionError("cloudpickle.loads called while loading")

    monkeypatch.setattr(save_util.cloudpickle, "loads", refuse)
    policy = load_agent(tmp_path)
    assert policy.obs_mode == obs_mode
    dim = 4 if obs_mode == "viterbi" else len(FEATURE_NAMES)
    np.testing.assert_array_equal(_actions(policy.model, dim), _actions(model, dim))
    saved, loaded = model.policy.state_dict(), policy.model.policy.state_dict()
    assert saved.keys() == loaded.keys() and all(torch.equal(saved[k], loaded[k]) for k in saved)


def test_resume_path_finds_run_json_and_continues_training(tmp_path):
    """train_agent.py --resume loads DIR/checkpoints/step_n(.zip) with an env and without config."""
    from stable_baselines3.common.env_util import make_vec_env

    model = _make_run(tmp_path, "ppo")
    (tmp_path / "checkpoints").mkdir()
    model.save(str(tmp_path / "checkpoints" / "step_16"))
    env = make_vec_env(PSOEnv, n_envs=1, seed=0, env_kwargs={"function": "sphere", "dim": 2, "swarm_size": 4,
                                                           "max_iterations": 8})
    loaded = load_model(tmp_path / "checkpoints" / "step_16", "ppo", env=env)
    assert loaded.num_timesteps == model.num_timesteps
    loaded.learn(16, reset_num_timesteps=False)
    assert loaded.num_timesteps == model.num_timesteps + 16
    (tmp_path / "run.json").unlink()
    with pytest.raises(ValueError, match="no run.json"):
        load_model(tmp_path / "checkpoints" / "step_16", "ppo")


def test_a_run_trained_on_a_gpu_loads_on_the_cpu(tmp_path):
    """A run made with ``--hyperparameters '{"device": "cuda"}'`` keeps that in run.json; loading builds on the CPU."""
    model = _make_run(tmp_path, "ppo")
    run = json.loads((tmp_path / "run.json").read_text())
    run["config"]["hyperparameters"]["device"] = "cuda"
    (tmp_path / "run.json").write_text(json.dumps(run))
    policy = load_agent(tmp_path)
    assert policy.model.device.type == "cpu"
    np.testing.assert_array_equal(_actions(policy.model, 4), _actions(model, 4))


def test_custom_dqn_weights_are_loaded_weights_only(tmp_path, monkeypatch):
    run = tmp_path / "run"
    model = _make_run(run, "custom-dqn", learn=0)
    calls = []
    real_load = torch.load
    monkeypatch.setattr(torch, "load", lambda *a, **k: calls.append(k.get("weights_only")) or real_load(*a, **k))
    policy = load_agent(run)
    assert calls == [True]
    np.testing.assert_array_equal(_actions(policy.model, 4), _actions(model, 4))
    # A model.pt holding a pickled object (what torch.save of any object writes) is refused, payload unrun.
    marker = tmp_path / "marker"
    state = real_load(run / "model" / "model.pt", weights_only=True)
    state["format_version"] = _Payload(marker)
    torch.save(state, run / "model" / "model.pt")
    with pytest.raises(ValueError, match="cannot load model"):
        load_agent(run)
    assert not marker.exists()
