"""Model factories, loading agents, reference policies, online DQNPSO and train_agent.py."""

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

from agents import (
    LoadedPolicy,
    OnlineDQNController,
    RandomPolicy,
    StaticPolicy,
    load_agent,
    load_pretrained,
    make_model,
    run_policy,
)
from agents.training import TrainConfig, Trainer
from benchmarks_fn import get_function
from evaluation import run
from evaluation.registry import resolve_algorithms
from pso_env import PSOEnv

ROOT = Path(__file__).resolve().parents[1]
TINY = {"functions": "sphere,rastrigin", "held_out": "ackley", "dim": 5, "swarm_size": 10, "iterations": 50,
            "checkpoint_every": 100, "eval_every": 150}


def tiny_env(**kwargs):
    return PSOEnv(function=["sphere", "rastrigin"], dim=5, swarm_size=10, max_iterations=50, **kwargs)


@pytest.mark.parametrize("algo", ["dqn", "ppo"])
def test_sb3_models_train_on_psocontrol_and_predict_valid_actions(algo, tmp_path):
    env = tiny_env(reward_mode="log")
    kwargs = {"learning_starts": 50} if algo == "dqn" else {"n_steps": 64, "batch_size": 32}
    model = make_model(algo, env, seed=0, **kwargs)
    model.learn(300)
    assert model.num_timesteps >= 300
    obs = np.eye(4, dtype=np.float32)
    actions, _ = model.predict(obs, deterministic=True)
    assert actions.shape == (4,) and set(actions.tolist()) <= {0, 1, 2, 3}
    model.save(tmp_path / "m")
    loaded = type(model).load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict(obs, deterministic=True)[0], actions)


@pytest.mark.parametrize("algo", ["a2c", "qrdqn", "recurrent_ppo"])
def test_other_algorithms_train_and_load_as_policies(algo, tmp_path):
    pytest.importorskip("sb3_contrib")
    env = tiny_env(reward_mode="log")
    kwargs = {"a2c": {"n_steps": 8}, "qrdqn": {"learning_starts": 20},
              "recurrent_ppo": {"n_steps": 32, "batch_size": 32}}[algo]
    model = make_model(algo, env, seed=0, **kwargs)
    model.learn(64)
    model.save(tmp_path / "model")
    (tmp_path / "run.json").write_text(json.dumps({"algo": algo, "obs_mode": "viterbi"}))
    policy = load_agent(tmp_path)
    record = run_policy(policy, get_function("sphere", 5), swarm_size=10, iterations=20, seed=0)
    again = run_policy(policy, get_function("sphere", 5), swarm_size=10, iterations=20, seed=0)
    assert record.extra["actions"] == again.extra["actions"]  # recurrent state is reset between runs
    assert set(record.extra["actions"]) <= {0, 1, 2, 3} and len(record.extra["actions"]) == 20


def test_make_model_rejects_unknown_algo():
    with pytest.raises(ValueError, match="algo"):
        make_model("sac", tiny_env())


def test_static_and_random_policies():
    names = [a.name for a in resolve_algorithms("static:all")]
    assert len(names) == 256 and len({StaticPolicy(n[7:]).actions for n in names}) == 256
    p = StaticPolicy([3, 2, 1, 0])
    np.testing.assert_array_equal(p.predict(np.eye(4))[0], [3, 2, 1, 0])
    assert int(p.predict(np.array([0, 0, 1, 0]))[0]) == 1
    with pytest.raises(ValueError, match="actions"):
        StaticPolicy([0, 1, 4, 0])
    fn = get_function("rastrigin", 5)
    a = run_policy(RandomPolicy(), fn, swarm_size=10, iterations=40, seed=3)
    b = run_policy(RandomPolicy(), fn, swarm_size=10, iterations=40, seed=3)
    assert a.curve == b.curve and a.extra["actions"] == b.extra["actions"]
    assert len(set(a.extra["actions"])) == 4


def test_run_policy_record_matches_env_run():
    fn = get_function("griewank", 5)
    record = run_policy(StaticPolicy([2, 2, 2, 2]), fn, swarm_size=10, iterations=30, seed=1, checkpoint_every=10)
    env = PSOEnv(function=fn, swarm_size=10, max_iterations=30)
    env.reset(seed=1)
    for _ in range(30):
        *_, info = env.step(2)
    assert record.best_value == info["best_fitness"] and record.evaluations == 10 * 31
    assert len(record.curve) == 4 and record.extra["w"] == [0.9] * 30
    assert record.extra["states"][0] == 0 and len(record.extra["states"]) == 31


def test_online_dqnpso_is_reproducible_and_learns_during_the_run():
    fn = get_function("rastrigin", 5)
    a = run(OnlineDQNController(None), fn, swarm_size=10, iterations=120, seed=4)
    b = run(OnlineDQNController(None), fn, swarm_size=10, iterations=120, seed=4)
    c = run(OnlineDQNController(None), fn, swarm_size=10, iterations=120, seed=5)
    assert a.curve == b.curve and a.extra["actions"] == b.extra["actions"]
    assert a.extra["weight_change"] == b.extra["weight_change"] > 0
    assert a.extra["n_updates"] > 50
    assert a.curve != c.curve
    assert a.best_value < a.curve[0]


def test_online_dqnpso_warm_start_from_pretrained():
    fn = get_function("sphere", 5)
    record = run(OnlineDQNController(), fn, swarm_size=10, iterations=60, seed=0)  # default: the shipped controller
    assert record.algorithm == "DQNPSO-online" and record.best_value < record.curve[0]


def test_pretrained_controller_loads_and_acts():
    policy = load_pretrained(name="dqnpso")
    assert isinstance(policy, LoadedPolicy) and policy.obs_mode == "viterbi"
    actions, _ = policy.predict(np.eye(4, dtype=np.float32))
    assert actions.shape == (4,) and set(actions.tolist()) <= {0, 1, 2, 3}
    config = policy.config
    assert set(config["held_out_functions"]).isdisjoint(config["train_functions"])
    weights = sum(p.numel() for p in policy.model.q_net.parameters())
    assert weights == 4 * 32 + 32 + 32 * 4 + 4  # the paper's 4-32-4 Q-network
    # one-hot observations are looked up in the 4-action table; it agrees with the network
    network = policy.model.predict(np.eye(4, dtype=np.float32))[0]
    for k in range(4):
        assert policy.predict(np.eye(4, dtype=np.float32)[k])[0] == network[k]
        assert policy.predict(np.eye(4, dtype=np.float32)[k])[0].shape == ()
    soft = np.array([[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1]], dtype=np.float32)
    np.testing.assert_array_equal(policy.predict(soft)[0], policy.model.predict(soft)[0])


def test_load_agent_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="run.json"):
        load_agent(tmp_path)
    (tmp_path / "run.json").write_text("{not json")
    with pytest.raises(ValueError, match="unreadable"):
        load_agent(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"algo": "custom-dqn"}))
    with pytest.raises(FileNotFoundError, match="model"):
        load_agent(tmp_path)


def test_trainer_writes_run_and_resume_continues(tmp_path):
    out = tmp_path / "run"
    config = TrainConfig(timesteps=200, **TINY)
    Trainer(config, out, progress_bar=False).run()
    for name in ("run.json", "model/model.pt", "best_model/model.pt", "checkpoints/step_100/model.pt",
                 "checkpoints/step_200_buffer.npz", "progress.csv", "episodes.csv"):
        assert (out / name).exists(), name
    run = json.loads((out / "run.json").read_text())
    assert run["train_functions"] == ["sphere", "rastrigin"] and run["held_out_functions"] == ["ackley"]
    assert "torch" in run["versions"] and run["config"]["timesteps"] == 200
    blas = [lib["internal_api"] for lib in threadpool_info() if lib["user_api"] == "blas"]  # ES training repeats
    assert "blas" in run["versions"] and all(name in run["versions"]["blas"] for name in blas)  # on the same kernels
    # a longer run resumed from the checkpoint goes on counting from step 200
    more = TrainConfig(timesteps=400, **TINY)
    with pytest.raises(ValueError, match="--resume"):
        Trainer(more, out, progress_bar=False)
    model = Trainer(more, out, resume=True, progress_bar=False).run()
    assert model.num_timesteps == 400
    assert (out / "checkpoints/step_400/model.pt").exists()
    episodes = np.loadtxt(out / "episodes.csv", delimiter=",", skiprows=1)
    assert len(episodes) == 8 and np.all(np.diff(episodes[:, 0]) > 0)  # 400 steps of 50-step episodes
    policy = load_agent(out)
    assert policy.model.num_timesteps == 400
    with pytest.raises(ValueError, match="--timesteps 300 is below the 400 steps already saved"):
        Trainer(TrainConfig(timesteps=300, **TINY), out, resume=True, progress_bar=False)
    # a different run in the same directory is refused
    with pytest.raises(ValueError, match="differ"):
        Trainer(TrainConfig(timesteps=400, **{**TINY, "dim": 6}), out, resume=True, progress_bar=False)


def test_resume_after_a_kill_is_deterministic_and_logs_have_no_duplicates(tmp_path, monkeypatch):
    config = TrainConfig(timesteps=300, **TINY)
    original = Trainer.on_step

    def killed_at_230(self, model, num_timesteps):
        if num_timesteps >= 230:
            raise KeyboardInterrupt
        return original(self, model, num_timesteps)

    monkeypatch.setattr(Trainer, "on_step", killed_at_230)
    with pytest.raises(KeyboardInterrupt):
        Trainer(config, tmp_path / "a", progress_bar=False).run()
    monkeypatch.setattr(Trainer, "on_step", original)
    assert (tmp_path / "a/checkpoints/step_200").exists() and not (tmp_path / "a/model").exists()
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    models = [Trainer(config, tmp_path / d, resume=True, progress_bar=False).run() for d in ("a", "b")]
    assert models[0].num_timesteps == models[1].num_timesteps == 300
    for p, q in zip(models[0].q_net.parameters(), models[1].q_net.parameters()):
        assert torch.equal(p, q)  # resuming the same checkpoint twice gives the same run
    steps = np.loadtxt(tmp_path / "a/episodes.csv", delimiter=",", skiprows=1)[:, 0]
    np.testing.assert_array_equal(steps, np.arange(50, 301, 50))  # 50-step episodes, none logged twice
    progress = np.loadtxt(tmp_path / "a/progress.csv", delimiter=",", skiprows=1, ndmin=2)[:, 0]
    np.testing.assert_array_equal(progress, [150, 300])


@pytest.mark.parametrize(
    "args, message",
    [(["--algo", "sarsa"], "invalid choice"), (["--functions", "nosuch"], "--functions: unknown name"),
     (["--algo", "sac"], "--algo 'sac' needs action_mode 'continuous' or 'particle', got action_mode 'discrete'"),
     (["--action-mode", "continuous"], "--algo 'custom-dqn' needs action_mode 'discrete', got action_mode 'continuous'"),
     (["--timesteps", "0"], "timesteps"), (["--n-envs", "-1"], "argument --n-envs: must be an integer >= 1, got -1"),
     (["--functions", "sphere", "--held-out", "sphere"], "--held-out must not repeat")],
)
def test_train_agent_cli_rejects_bad_arguments_before_training(args, message, tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("train_agent", ROOT / "train_agent.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    try:
        code = cli.main(["--out", str(tmp_path / "x"), *args])
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "x" / "run.json").exists()


@pytest.mark.slow
def test_train_agent_cli_end_to_end_and_resume(tmp_path):
    out = tmp_path / "cli"

    def train(timesteps, *extra):
        cmd = [sys.executable, str(ROOT / "train_agent.py"), "--functions", "sphere", "--held-out", "ackley",
               "--dim", "5", "--swarm-size", "10", "--iterations", "40", "--timesteps", str(timesteps),
               "--checkpoint-every", "80", "--eval-every", "80", "--out", str(out), "--no-progress", *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stderr
        return proc

    train(160)
    assert (out / "model" / "model.pt").exists() and (out / "checkpoints" / "step_160").exists()
    proc = train(240, "--resume")
    assert "best held-out score" in proc.stdout
    assert (out / "checkpoints" / "step_240").exists() and load_agent(out).model.num_timesteps == 240


@pytest.mark.parametrize("algo, hyperparameters", [("custom-dqn", {"learning_starts": 50}),
                                                   ("ppo", {"n_steps": 50, "batch_size": 50})])
def test_resume_of_a_moved_run_logs_to_its_tensorboard_run_and_continues_the_steps(algo, hyperparameters, tmp_path,
                                                                                   monkeypatch):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    monkeypatch.chdir(tmp_path)  # a relative --out, saved with the model; then the run folder is moved
    config = {**TINY, "functions": "sphere", "algo": algo, "hyperparameters": hyperparameters}
    Trainer(TrainConfig(timesteps=100, **config), Path("a"), progress_bar=False).run()
    shutil.move("a", "b")
    Trainer(TrainConfig(timesteps=200, **config), Path("b"), resume=True, progress_bar=False).run()
    assert not (tmp_path / "a").exists()
    runs = list((tmp_path / "b" / "tb").iterdir())
    assert [r.name for r in runs] == [f"{'DQN' if algo == 'custom-dqn' else algo}_1"]
    events = EventAccumulator(str(runs[0]))
    events.Reload()
    tag = "rollout/ep_return" if algo == "custom-dqn" else "rollout/ep_rew_mean"
    # one event per 50-step episode; sorted: the reader takes the two event files (first run, resume) in name order,
    # and a name ends in a process-wide counter, so within one second "...9" sorts after "...10"
    assert sorted(e.step for e in events.Scalars(tag)) == [50, 100, 150, 200]
