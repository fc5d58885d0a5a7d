"""Advisors that ask a chat model for particles (:class:`LLMAdvisor`) or replay its answers (:class:`ReplayAdvisor`).

The LLM-enhanced PSO of Al-Fuqaha, Qolomany, Qadir et al. (2025, arXiv:2504.14126) shows ChatGPT-3.5 or
Llama 3 the swarm and replaces the worst particles with the model's suggestions (:class:`agents.advisors.LLMPSO`).
Our copy of the paper gives neither the prompt nor the temperature: both are **our choice** (below).

Server: anything that speaks OpenAI's chat-completions API (OpenAI, vLLM, llama.cpp's ``llama-server``,
Ollama's ``/v1``), through the official ``openai`` package (``pip install 'pso-env[llm]'``). Settings come
from arguments, else from the environment:

====================  ===================================  ==================================
argument              environment variable                 default
====================  ===================================  ==================================
``base_url``          ``PSO_LLM_BASE_URL``                 required (e.g. http://127.0.0.1:8080/v1)
``model``             ``PSO_LLM_MODEL``                    required
``api_key``           ``PSO_LLM_API_KEY``, ``OPENAI_API_KEY``  ``"none"`` (local servers ignore it)
``timeout``           ``PSO_LLM_TIMEOUT``                  60 seconds per request
``max_retries``       ``PSO_LLM_MAX_RETRIES``              2 (``openai``'s backoff; 5xx, 429, timeouts)
``temperature``       ``PSO_LLM_TEMPERATURE``              0.0 (**our choice**: as repeatable as the server allows)
``transcript``        ``PSO_LLM_TRANSCRIPT``               none
====================  ===================================  ==================================

The request: a system message (:data:`SYSTEM_PROMPT`) and a user message holding the swarm as one JSON
object (:func:`state_message`): ``dimension``, ``lower``, ``upper``, ``integer`` (bool per coordinate),
``iteration``, ``evaluations``, ``global_best`` (``position``, ``cost``), ``particles`` (each ``position``,
``velocity``, ``cost``, ``best_position``, ``best_cost``; numbers to 6 significant digits, a non-finite cost
as null) and ``propose`` (K). The reply is read tolerantly (:func:`parse_reply`): the first JSON value in
a code fence or in the text that holds particles, as ``{"particles": [...]}`` or a bare list, each
particle a list of D numbers or ``{"position": [...], "velocity": [...]}``. Proposals are then validated
as every advisor's (:func:`agents.advisors.clean`). A malformed reply, a timeout or an HTTP error after
the retries is a counted failure, and the run goes on without proposals.

Every consultation appends one JSON line to the transcript: ``call`` (0-based), ``request`` (``model``,
``messages``, ``temperature``), ``reply`` (the text, or null), ``error`` (null, or what failed) and
``seconds``. :class:`ReplayAdvisor` answers from such a file, so a run with a real model replays bit for bit.
"""

from __future__ import annotations

import json
import math
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks_fn._validate import check_int

from .advisors import Advisor, SwarmState

SYSTEM_PROMPT = (
    "You help a particle swarm optimiser minimise a black-box function on a box. You are shown the swarm: "
    "each particle's position, velocity, cost and personal best, and the global best. Propose new particles "
    "likely to have lower cost than the global best, inside the box, integers on the coordinates marked "
    "integer, different from the points already shown. Reply with JSON only, in this form: "
    '{"particles": [{"position": [x1, ..., xD], "velocity": [v1, ..., vD]}, ...]} '
    "with at most the number of particles asked for.")
_FENCE = re.compile(r"```[a-zA-Z]*\s*(.*?)```", re.DOTALL)


def _num(x: float, integer: bool = False) -> float | int | None:
    if not math.isfinite(x):
        return None
    return round(x) if integer and float(x).is_integer() else float(f"{x:.6g}")


def state_message(state: SwarmState, k: int) -> str:
    """The user message: the swarm as one JSON object (see the module doc)."""
    ints = [bool(b) for b in state.integer]

    def vec(v: np.ndarray, grid: bool = True) -> list:
        return [_num(float(x), i and grid) for x, i in zip(v, ints)]

    particles = [{"position": vec(x), "velocity": vec(v, False), "cost": _num(float(f)), "best_position": vec(p),
                  "best_cost": _num(float(pf))}
                 for x, v, f, p, pf in zip(state.positions, state.velocities, state.fitness, state.pbest_positions,
                                           state.pbest_fitness)]
    return json.dumps({"dimension": state.dim, "lower": vec(state.lower, False), "upper": vec(state.upper, False),
                       "integer": ints, "iteration": state.iteration, "evaluations": state.evaluations,
                       "global_best": {"position": vec(state.gbest_position), "cost": _num(state.gbest_fitness)},
                       "particles": particles, "propose": int(k)})


def build_messages(state: SwarmState, k: int) -> list[dict[str, str]]:
    """The chat messages of one consultation."""
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": state_message(state, k)}]


def _particles(value: Any) -> list | None:
    if isinstance(value, dict):
        value = next((value[key] for key in ("particles", "proposals", "positions", "points") if key in value), None)
    return value if isinstance(value, list) and value else None


def parse_reply(text: Any) -> tuple[list, list | None] | None:
    """``(positions, velocities or None)`` as raw lists from a model's reply, or None if it holds no particles.

    Code-fenced blocks are tried first, then every ``{`` or ``[`` of the text in order, with
    ``json.JSONDecoder.raw_decode`` (extra text around the JSON is ignored). Rows are not checked here.
    """
    if not isinstance(text, str):
        return None
    decoder = json.JSONDecoder()
    for source in [*_FENCE.findall(text), text]:
        for start in (i for i, ch in enumerate(source) if ch in "{["):
            try:
                value, _ = decoder.raw_decode(source, start)
            except ValueError:
                continue
            items = _particles(value)
            if items is None:
                continue
            positions = [item.get("position", item.get("x")) if isinstance(item, dict) else item for item in items]
            velocities = [item.get("velocity") if isinstance(item, dict) else None for item in items]
            return positions, (velocities if any(v is not None for v in velocities) else None)
    return None


def _setting(value: Any, var: str, default: Any = None, fallback: str | None = None) -> Any:
    if value is not None:
        return value
    env = os.environ.get(var) or (os.environ.get(fallback) if fallback else None)
    return env if env not in (None, "") else default


def _positive(value: Any, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if not (math.isfinite(out) and out > 0):
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    return out


class _Transcript:
    """Appends one JSON line per consultation to ``path`` (None: keeps nothing)."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path in (None, "") else Path(path)

    def write(self, record: dict[str, Any]) -> None:
        if self.path is not None:
            with open(self.path, "a") as fh:
                fh.write(json.dumps(record) + "\n")


class LLMAdvisor(Advisor):
    """Proposals from a chat model behind an OpenAI-compatible server (settings: the module doc's table).

    Parameters
    ----------
    base_url, model, api_key, timeout, max_retries, temperature, transcript
        See the module doc; None takes the environment variable, then the default.
    max_tokens : int
        Reply length limit (**our choice**: 2048).
    client : object, optional
        A ready ``openai.OpenAI`` client (else one is made on first use).

    Attributes
    ----------
    errors : list of str
        What failed, one entry per failed consultation (also in the transcript).

    Raises
    ------
    ValueError
        No ``base_url`` or ``model`` (argument or environment), or a bad ``timeout``, ``max_retries`` or
        ``temperature``, naming it.
    """

    name = "llm"

    def __init__(self, base_url: str | None = None, model: str | None = None, *, api_key: str | None = None,
                 timeout: float | None = None, max_retries: int | None = None, temperature: float | None = None,
                 max_tokens: int = 2048, transcript: str | Path | None = None, client: Any = None) -> None:
        self.base_url = _setting(base_url, "PSO_LLM_BASE_URL")
        self.model = _setting(model, "PSO_LLM_MODEL")
        for name, value, var in (("base_url", self.base_url or client, "PSO_LLM_BASE_URL"),
                                 ("model", self.model, "PSO_LLM_MODEL")):
            if not value:
                raise ValueError(f"{name} is required: pass {name}= or set {var} (an OpenAI-compatible server, e.g. "
                                 "PSO_LLM_BASE_URL=http://127.0.0.1:8080/v1 PSO_LLM_MODEL=llama3)")
        self.api_key = _setting(api_key, "PSO_LLM_API_KEY", "none", fallback="OPENAI_API_KEY")
        self.timeout = _positive(_setting(timeout, "PSO_LLM_TIMEOUT", 60.0), "timeout")
        retries = _setting(max_retries, "PSO_LLM_MAX_RETRIES", 2)
        self.max_retries = check_int(int(retries) if isinstance(retries, str) and retries.isdigit() else retries,
                                     "max_retries", 0)
        temp = _setting(temperature, "PSO_LLM_TEMPERATURE", 0.0)
        self.temperature = 0.0 if temp in (0, 0.0, "0") else _positive(temp, "temperature")
        self.max_tokens = check_int(max_tokens, "max_tokens")
        self.transcript = _Transcript(_setting(transcript, "PSO_LLM_TRANSCRIPT"))
        self._client = client
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.errors: list[str] = []
        self.requests = 0  # consultations that asked for at least one point: the transcript's calls

    def client(self) -> Any:
        """The ``openai.OpenAI`` client (made on first use; ValueError without the ``openai`` package)."""
        if self._client is None:
            try:
                import openai
            except ImportError:
                raise ValueError("LLMAdvisor needs the openai package: pip install 'pso-env[llm]'") from None
            self._client = openai.OpenAI(base_url=self.base_url, api_key=self.api_key, timeout=self.timeout,
                                         max_retries=self.max_retries)
        return self._client

    def ask(self, messages: list[dict[str, str]]) -> tuple[str | None, str | None]:
        """``(reply text, None)`` or ``(None, error)``: one request with the client's retries, never raising
        for the server's faults (HTTP errors, timeouts, connection errors, a reply without text)."""
        import openai

        try:
            response = self.client().chat.completions.create(model=self.model, messages=messages,
                                                             temperature=self.temperature, max_tokens=self.max_tokens)
            text = response.choices[0].message.content
        except openai.OpenAIError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        except (IndexError, AttributeError, TypeError) as exc:
            return None, f"unexpected response: {exc}"
        return (text, None) if isinstance(text, str) else (None, "unexpected response: no message content")

    def _propose(self, state: SwarmState, k: int, rng: np.random.Generator) -> tuple[Any, Any]:
        if k == 0:
            return [], None
        messages = build_messages(state, k)
        call, self.requests = self.requests, self.requests + 1
        start = time.perf_counter()
        reply, error = self.ask(messages)
        parsed = None if reply is None else parse_reply(reply)
        if reply is not None and parsed is None:
            error = "malformed reply: no JSON list of particles"
        self.transcript.write({"call": call, "request": {"model": self.model, "messages": messages,
                                                                   "temperature": self.temperature},
                               "reply": reply, "error": error, "seconds": round(time.perf_counter() - start, 3)})
        if parsed is None:
            self.errors.append(str(error))
            return None, None
        return parsed


def read_transcript(path: str | Path) -> list[dict[str, Any]]:
    """The records of a transcript (one JSON object per line; blank lines skipped)."""
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


class ReplayAdvisor(Advisor):
    """Answers consultation ``i`` with reply ``i`` of a transcript written by :class:`LLMAdvisor`.

    The reply goes through the same parsing and validation, so the run is the recorded one bit for bit.
    With ``strict`` (default) the request built now must equal the recorded one, so a replay that drifts
    from the recording (other settings, other seed) fails at once rather than silently.

    Parameters
    ----------
    transcript : path or list of dict
        A JSONL transcript or its records; each :meth:`reset` (run start) restarts from its first record.

    Raises
    ------
    ValueError
        From :meth:`propose`: the transcript is exhausted, or (``strict``) the request differs from call
        ``i``'s, naming the transcript.
    """

    name = "replay"

    def __init__(self, transcript: str | Path | list[dict[str, Any]], *, strict: bool = True) -> None:
        self.records = list(transcript) if isinstance(transcript, list) else read_transcript(transcript)
        self.strict = bool(strict)
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self._cursor = 0

    def _propose(self, state: SwarmState, k: int, rng: np.random.Generator) -> tuple[Any, Any]:
        if k == 0:
            return [], None
        i, self._cursor = self._cursor, self._cursor + 1
        if i >= len(self.records):
            raise ValueError(f"transcript: {len(self.records)} recorded consultations, call {i} asked for")
        record = self.records[i]
        if self.strict and record["request"]["messages"] != build_messages(state, k):
            raise ValueError(f"transcript: call {i}'s request differs from the recorded one (another run?)")
        parsed = None if record.get("reply") is None else parse_reply(record["reply"])
        return (None, None) if parsed is None else parsed
