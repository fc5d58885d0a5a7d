"""LLM-guided PSO: advisors, the OpenAI-compatible client against a real local HTTP server, replay, LLMPSO."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from agents.advisors import LLMPSO, RandomAdvisor, SurrogateAdvisor, SwarmState, clean
from agents.controller import RuleController
from agents.llm import LLMAdvisor, ReplayAdvisor, parse_reply, read_transcript
from benchmarks_fn import get_function
from benchmarks_fn.tuning import TabularDigitsMLP
from evaluation.runner import run
from pso_env.swarm import Swarm


class ChatServer:
    """A chat-completions server on 127.0.0.1 that answers from a script: ("reply", text), ("status", code)
    or ("sleep", seconds, text); it keeps every request body."""

    def __init__(self) -> None:
        self.script: list[tuple] = []
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body})
                action = outer.script.pop(0) if outer.script else ("status", 503)
                if action[0] == "status":
                    self._send(action[1], {"error": {"message": "scripted failure", "type": "server_error"}})
                    return
                if action[0] == "sleep":
                    time.sleep(action[1])
                text = action[-1]
                self._send(200, {"id": "c1", "object": "chat.completion", "created": 0, "model": body["model"],
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}],
                                 "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})

            def _send(self, code: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    pytest.importorskip("openai", reason="the client tests need the openai package: pip install 'pso-env[llm]'")
    s = ChatServer()
    yield s
    s.close()


def advisor(server: ChatServer, tmp_path, **kwargs) -> LLMAdvisor:
    options = {"model": "scripted", "max_retries": 0, "timeout": 5.0, "transcript": tmp_path / "t.jsonl", **kwargs}
    return LLMAdvisor(server.url, **options)


def started(rule: LLMPSO, fn, n: int = 8, seed: int = 0, iterations: int = 10) -> Swarm:
    swarm = Swarm(fn, n, seed, history=True)
    rule.reset(swarm, iterations)
    swarm.step(*rule.parameters(swarm, 0))
    return swarm


def reply(points, fence: bool = True, velocity: bool = True) -> str:
    particles = [{"position": p, "velocity": [0.1] * len(p)} if velocity else p for p in points]
    body = json.dumps({"particles": particles})
    return f"Here are my suggestions:\n```json\n{body}\n```\nGood luck!" if fence else body


def test_request_carries_the_swarm_and_a_good_reply_replaces_exactly_the_k_worst(server, tmp_path):
    fn = get_function("rastrigin", 2)
    rule = LLMPSO(advisor(server, tmp_path), warmup=1, period=1, k=3)
    swarm = started(rule, fn)
    before = {a: getattr(swarm, a)[0].copy() for a in ("positions", "fitness", "pbest_positions", "velocities")}
    evaluations = int(swarm.evaluations[0])
    points = [[0.0, 0.0], [1.0, -1.0], [2.0, 0.5]]
    server.script = [("reply", reply(points))]
    rule.after_step(swarm, 0)

    (req,) = server.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["body"]["model"] == "scripted" and req["body"]["temperature"] == 0.0
    system, user = req["body"]["messages"]
    assert system["role"] == "system" and "JSON" in system["content"]
    shown = json.loads(user["content"])
    assert shown["propose"] == 3 and shown["dimension"] == 2 and shown["integer"] == [False, False]
    assert shown["lower"] == [-5.12, -5.12] and shown["iteration"] == 1 and shown["evaluations"] == evaluations
    np.testing.assert_allclose([p["position"] for p in shown["particles"]], before["positions"], rtol=1e-5)
    np.testing.assert_allclose([p["velocity"] for p in shown["particles"]], before["velocities"], rtol=1e-5)
    np.testing.assert_allclose([p["cost"] for p in shown["particles"]], before["fitness"], rtol=1e-5)

    worst = np.argsort(before["fitness"], kind="stable")[::-1][:3]
    np.testing.assert_array_equal(swarm.positions[0, worst], points)
    np.testing.assert_array_equal(swarm.pbest_positions[0, worst], points)
    np.testing.assert_array_equal(swarm.fitness[0, worst], fn(np.array(points)))
    np.testing.assert_array_equal(swarm.velocities[0, worst], 0.1)
    rest = np.setdiff1d(np.arange(8), worst)
    np.testing.assert_array_equal(swarm.positions[0, rest], before["positions"][rest])
    assert swarm.evaluations[0] == evaluations + 3
    assert swarm.gbest_fitness[0] == 0.0 and swarm.best_history[0, -1] == 0.0
    assert rule.advisor.counters() == {"calls": 1, "failures": 0, "proposed": 3, "rejected": 0}
    (record,) = read_transcript(tmp_path / "t.jsonl")
    assert record["call"] == 0 and record["error"] is None and record["request"]["messages"] == [system, user]


@pytest.mark.parametrize("text", [
    '```json\n{"particles": [[1, 2], [3, 4]]}\n```',
    'Sure! ```\n[[1, 2], {"position": [3, 4]}]\n``` hope it helps',
    'Thinking {not json} then {"proposals": [{"x": [1, 2]}, [3, 4]]} done',
    '{"positions": [[1, 2], [3, 4]]}',
])
def test_replies_parse_from_fences_and_surrounding_text(text):
    positions, velocities = parse_reply(text)
    assert [list(map(float, p)) for p in positions] == [[1.0, 2.0], [3.0, 4.0]] and velocities is None


@pytest.mark.parametrize("text", ["no json here", '{"particles": []}', '```json\n{"particles": [1, 2\n```', "", None])
def test_unparsable_replies_give_none(text):
    assert parse_reply(text) is None


def test_malformed_reply_is_counted_and_the_run_goes_on(server, tmp_path):
    fn = get_function("sphere", 2)
    rule = LLMPSO(advisor(server, tmp_path), warmup=1, period=1, k=2)
    swarm = started(rule, fn)
    positions, evaluations = swarm.positions.copy(), swarm.evaluations.copy()
    server.script = [("reply", "I would try somewhere near the middle.")]
    rule.after_step(swarm, 0)
    np.testing.assert_array_equal(swarm.positions, positions)
    np.testing.assert_array_equal(swarm.evaluations, evaluations)
    assert rule.advisor.failures == 1 and "malformed" in rule.advisor.errors[0]
    server.script = [("reply", reply([[0.5, 0.5], [9.0, "x"], [0.5, 0.5], [200.0, -200.0]], velocity=False))]
    rule.after_step(swarm, 1)  # one bad row, one duplicate: two valid points, the second clipped to the box
    assert rule.advisor.counters() == {"calls": 2, "failures": 1, "proposed": 2, "rejected": 2}
    assert swarm.evaluations[0] == evaluations[0] + 2
    assert {tuple(p) for p in swarm.positions[0]} >= {(0.5, 0.5), (100.0, -100.0)}


def test_server_error_then_success_is_retried(server, tmp_path):
    rule = LLMPSO(advisor(server, tmp_path, max_retries=1), warmup=1, period=1, k=1)
    swarm = started(rule, get_function("sphere", 2))
    server.script = [("status", 500), ("reply", reply([[0.0, 0.0]]))]
    rule.after_step(swarm, 0)
    assert len(server.requests) == 2 and rule.advisor.failures == 0
    assert swarm.gbest_fitness[0] == 0.0


def test_timeout_and_http_errors_are_failures_not_crashes(server, tmp_path):
    rule = LLMPSO(advisor(server, tmp_path, timeout=0.3), warmup=1, period=1, k=1)
    swarm = started(rule, get_function("sphere", 2))
    evaluations = swarm.evaluations.copy()
    server.script = [("sleep", 1.5, reply([[0.0, 0.0]])), ("status", 500)]
    rule.after_step(swarm, 0)
    rule.after_step(swarm, 1)
    assert rule.advisor.failures == 2 and "Timeout" in rule.advisor.errors[0]
    assert "InternalServerError" in rule.advisor.errors[1]
    np.testing.assert_array_equal(swarm.evaluations, evaluations)
    records = read_transcript(tmp_path / "t.jsonl")
    assert [r["reply"] for r in records] == [None, None] and all(r["error"] for r in records)


def _llm_run(adv, seed=3):
    controller = RuleController(LLMPSO(adv, warmup=2, period=3, k=2), trace=True)
    record = run(controller, get_function("rastrigin", 3), swarm_size=6, iterations=12, seed=seed)
    return record, controller.swarm


def test_transcript_replays_bit_for_bit(server, tmp_path):
    server.script = [("reply", reply([[0.1, 0.2, 0.3], [1.0, 1.0, 1.0]])), ("reply", "garbage"),
                     ("reply", reply([[-0.5, 0.25, 0.0]], fence=False)), ("reply", reply([[0.0, 0.0, 0.0]]))]
    record, swarm = _llm_run(advisor(server, tmp_path))
    assert len(server.requests) == 4 and record.extra["advisor_failures"] == 1
    assert record.extra["advice_evaluations"] == [4] and record.evaluations == 6 * 13 + 4
    replay = ReplayAdvisor(tmp_path / "t.jsonl")
    again, swarm2 = _llm_run(replay)
    np.testing.assert_array_equal(again.curve, record.curve)
    for attr in ("positions", "velocities", "pbest_positions", "gbest_position", "evaluations"):
        np.testing.assert_array_equal(getattr(swarm2, attr), getattr(swarm, attr))
    assert again.extra == record.extra
    with pytest.raises(ValueError, match="transcript: call 0's request differs"):
        _llm_run(ReplayAdvisor(tmp_path / "t.jsonl"), seed=4)


@pytest.mark.skipif(not (os.environ.get("PSO_LLM_BASE_URL") and os.environ.get("PSO_LLM_MODEL")),
                    reason="live LLM test: set PSO_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1) and PSO_LLM_MODEL "
                           "(and PSO_LLM_API_KEY if the server wants one) to run it against a real server")
def test_live_server_gives_valid_proposals(tmp_path):
    adv = LLMAdvisor(transcript=tmp_path / "live.jsonl")
    record, swarm = _llm_run(adv)
    assert adv.calls == 4 and len(read_transcript(tmp_path / "live.jsonl")) == 4
    assert record.evaluations == 6 * 13 + record.extra["advice_evaluations"][0]
    assert np.all(np.abs(swarm.positions) <= 5.12)


def _state(fn, seed=0, n=6):
    return SwarmState.from_swarm(Swarm(fn, n, seed))


@pytest.mark.parametrize("make", [RandomAdvisor, SurrogateAdvisor])
def test_advisors_stay_in_the_box_and_on_the_grid(make):
    fn = TabularDigitsMLP()
    adv = make()
    rng = np.random.default_rng(0)
    swarm = Swarm(fn, 10, 1)
    for _ in range(6):
        swarm.step(0.7298, 1.49618, 1.49618)
        state = SwarmState.from_swarm(swarm)
        assert state.integer.all()
        p = adv.propose(state, 4, rng).positions
        assert 0 < len(p) <= 4
        assert np.all(p >= fn.lower) and np.all(p <= fn.upper) and np.all(p == np.rint(p))
        assert len(np.unique(p, axis=0)) == len(p)
        assert not {tuple(x) for x in p} & {tuple(x) for x in np.rint(state.positions)}


def test_clean_clips_rounds_drops_and_deduplicates():
    fn = TabularDigitsMLP()
    state = _state(fn)
    raw = [[7.6, -3.0, 2.4], [np.nan, 1, 1], [1, 2], [5.4, 0.2, 2.0], "abc", [True, 1, 1], [2.2, 2.2, 2.2]]
    proposal, rejected = clean(raw, None, state, 5)
    known = {tuple(x) for x in np.rint(state.positions)}
    expected = [x for x in ([5.0, 0.0, 2.0], [2.0, 2.0, 2.0]) if tuple(x) not in known]
    np.testing.assert_array_equal(proposal.positions, np.array(expected).reshape(-1, 3))
    assert rejected == 7 - len(expected) and proposal.velocities is None


def test_surrogate_finds_the_bowl_of_a_quadratic():
    fn = get_function("sphere", 2)
    swarm = Swarm(fn, 10, 0)
    p = SurrogateAdvisor(radius=1.0, candidates=2000).propose(SwarmState.from_swarm(swarm), 1, np.random.default_rng(0))
    assert np.linalg.norm(p.positions[0]) < 5.0  # of a box of half-width 100


@pytest.mark.parametrize("make, match", [
    (lambda: LLMPSO(RandomAdvisor(), k=0), "k must be"),
    (lambda: LLMPSO(RandomAdvisor(), warmup=0), "warmup must be"),
    (lambda: LLMPSO(RandomAdvisor(), period=1.5), "period must be"),
    (lambda: LLMPSO(RandomAdvisor(), accept="maybe"), "accept must be"),
    (lambda: LLMPSO("random"), "advisor must be"),
    (lambda: SurrogateAdvisor(radius=2.0), "radius must be"),
    (lambda: SurrogateAdvisor(candidates=0), "candidates must be"),
    (lambda: LLMAdvisor("http://127.0.0.1:9/v1", "m", timeout=-1), "timeout must be"),
    (lambda: LLMAdvisor("http://127.0.0.1:9/v1", "m", max_retries=-1), "max_retries must be"),
    (lambda: RandomAdvisor().propose(_state(get_function("sphere", 2)), -1, np.random.default_rng()), "k must be"),
    (lambda: RandomAdvisor().propose("state", 1, np.random.default_rng()), "state must be"),
])
def test_bad_arguments_raise_value_errors_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_llm_advisor_needs_a_server(monkeypatch):
    for var in ("PSO_LLM_BASE_URL", "PSO_LLM_MODEL"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match="base_url is required.*PSO_LLM_BASE_URL"):
        LLMAdvisor()
    monkeypatch.setenv("PSO_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    with pytest.raises(ValueError, match="model is required.*PSO_LLM_MODEL"):
        LLMAdvisor()
    monkeypatch.setenv("PSO_LLM_MODEL", "m")
    monkeypatch.setenv("PSO_LLM_TIMEOUT", "2.5")
    adv = LLMAdvisor()
    assert (adv.base_url, adv.model, adv.timeout, adv.max_retries) == ("http://127.0.0.1:9/v1", "m", 2.5, 2)


@pytest.mark.parametrize("make", [RandomAdvisor, SurrogateAdvisor])
def test_advised_runs_repeat_bit_for_bit_and_count_their_evaluations(make):
    fn = get_function("rastrigin", 2)
    records = [run(RuleController(LLMPSO(make(), k=4)), fn, swarm_size=10, iterations=30, seed=5) for _ in range(2)]
    np.testing.assert_array_equal(records[0].curve, records[1].curve)
    extra = records[0].extra
    assert extra["advice_evaluations"][0] == extra["advisor_proposed"] > 0
    assert records[0].evaluations == 10 * 31 + extra["advice_evaluations"][0]
    plain = run(RuleController(LLMPSO(None)), fn, swarm_size=10, iterations=30, seed=5)
    assert plain.evaluations == 310 and plain.extra["advice_evaluations"] == [0]


def test_registry_runs_the_advised_variants(monkeypatch):
    from evaluation.registry import list_algorithms, resolve_algorithm

    assert {"PSO+random-advisor", "PSO+surrogate-advisor", "PSO+no-advisor", "LLMPSO"} <= set(list_algorithms())
    fn = get_function("rastrigin", 2)
    record = resolve_algorithm("pso+surrogate_advisor")(fn, 10, 20, 0, 10)
    assert record.algorithm == "PSO+surrogate-advisor" and record.evaluations == 10 * 21 + 4 * 2
    monkeypatch.delenv("PSO_LLM_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="cannot load LLMPSO.*PSO_LLM_BASE_URL"):
        resolve_algorithm("LLMPSO")
