"""Every code block of the docs runs (issue 12 item 1): documentation that is not executed breaks.

What is collected: each fenced ```python and ```bash block of every ``*.md`` at the repository root,
and each inline command (a backtick span that starts with ``train_agent.py``, ``evaluate.py`` or
``.venv/bin/python``) of those docs except BENCHMARKS.md, whose inline commands are timing
measurements (minutes each, on the full protocol, run by hand to make its figures: reduced, they
would measure nothing). Inline python (``agents.load_agent(DIR)``) is not run: the blocks cover it.

How a block runs, on reduced sizes (the rules are the two tables below; a block the rules do not cover
fails, so that a new kind of command gets a rule rather than being skipped):

- python: in a fresh interpreter, after the file's earlier python blocks (a reader's session), with
  the textual substitutions of ``PYTHON_SUBSTITUTIONS`` applied. Then every environment the blocks
  built (``gymnasium.Env``, Gymnasium ``VectorEnv``, SB3 ``VecEnv``) is reset and stepped with random
  actions past two episode ends, so that what a block only constructs is also used (the mixed-dimension
  fault shows at the first reset or autoreset).
- bash: one command a line (``\\`` continuations joined, ``#`` comments dropped, ``&&`` chains split),
  the commands of a block in order in one temporary directory (a later command may resume or load what
  an earlier one wrote; relative ``--out`` paths land there). ``.venv/bin/python`` is this interpreter,
  the scripts are the repository's, and ``SHELL_REDUCTIONS`` appends options that shorten the budgets
  (argparse keeps the last value, so they override the block's own) or scales the block's values.
  Skipped: ``bash setup.sh`` (CI runs it to build the environment these tests run in),
  ``python -m pytest`` (it is this suite) and the set-up of a cluster's machines (``ray start``, and
  ``python -m pip install`` of the extra that setup.sh's ``dev`` already holds): CI has one machine, so a
  command pointed at a cluster (``--address HEAD:6379``) runs on a local Ray instance instead.
- inline commands: like a one-line bash block (not again when a block of the doc, or an earlier line, holds it); a placeholder (``DIR``) is first made by the command
  ``PLACEHOLDERS`` gives for it.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted(ROOT.glob("*.md"))

#: Python blocks: (regular expression, replacement, why). Applied in order to the block's source.
PYTHON_SUBSTITUTIONS = [
    (r"num_envs=64\b", "num_envs=8", "8 sub-environments instead of 64"),
    (r"make_sb3_vec_env\(64\b", "make_sb3_vec_env(8", "8 sub-environments instead of 64"),
    (r"\bfunction=", "max_iterations=5, function=", "5-iteration episodes, so that stepping reaches autoresets"),
]

#: Shell commands, by script: (options appended, {option: factor its value in the block is divided by}).
SHELL_REDUCTIONS = {
    "train_agent.py": (
        ["--iterations", "20", "--dim", "5", "--swarm-size", "10", "--checkpoint-every", "1000",
         "--eval-every", "1000", "--no-progress"],  # PPO's first rollout is 4096 steps: a few evaluations
        {"--timesteps": 50,  # a resume to 400k -> 8,000: past PPO's first rollout of 4,096, so it continues
         "--max-evaluations": 100},  # 20,000 -> 200, within the 10 x 21 evaluations of the reduced episodes
    ),
    "evaluate.py": (
        ["--runs", "1", "--iterations", "20", "--dim", "5", "--swarm-size", "10", "--jobs", "1", "--no-progress"],
        {"--max-evaluations": 100},  # 20,000 -> 200, within the 10 x 21 evaluations of the reduced runs
    ),
    "scripts/compare_hgpso.py": (["--seeds", "1", "--iterations", "10", "--datasets", "digits", "--out", "hgpso"], {}),
}
#: A train_agent.py command that gives no --timesteps gets this many (its default is 200k).
DEFAULT_TIMESTEPS = "200"
#: Shell commands of a script (None: any) holding this text get these options too: (text, script, options, why).
SHELL_EXTRA = [
    ("static:all", None, ["--functions", "sphere"], "256 algorithms: one function instead of ten"),
    ("cec2022", "evaluate.py", ["--dim", "10", "--algorithms", "PSO,APSO"],
     "CEC 2022 is defined at D = 10 and 20 only (the reduction's D = 5 is refused); 12 functions: two algorithms"),
    ("cec2022", "train_agent.py", ["--dim", "10", "--eval-every", "200000"],
     "CEC 2022 (held out) is defined at D = 10 and 20 only; its 12 functions: two held-out evaluations, not one per 1000 steps"),
    ("--address HEAD:6379", None, ["--address", "local"], "no cluster in CI: a Ray instance of this machine alone"),
    ("--algo es", "train_agent.py", ["--timesteps", "40000"],
     "about ten generations of the es search: the block's 20M steps reduced by 50 are still about a hundred"),
    ("--algo sac", "train_agent.py", ["--timesteps", "1200"],
     "SAC takes a gradient step per step after its 1,000 learning_starts: 200 of them, not the reduced 1,000"),
    ("--executor ray", "train_agent.py", ["--seeds", "0"],
     "one seed of the sweep on Ray (the grid's two runs) instead of three: Ray's workers are the cost here"),
]
#: Placeholders of inline commands, and the command that makes what they name before the command runs.
PLACEHOLDERS = {"DIR": ".venv/bin/python train_agent.py --out DIR"}
#: Docs whose inline commands are not run (see the module docstring).
NO_INLINE = {"BENCHMARKS.md"}

#: Blocks expected to fail until a known fault is fixed: (doc name, text in the block) -> reason.
KNOWN_FAULTS: dict[tuple[str, str], str] = {}  # (doc, text in the block) -> reason, for a block that fails today

_EXERCISE = textwrap.dedent("""
    # --- added by tests/test_docs.py: use every environment the blocks built ---
    import gymnasium as _gym
    import numpy as _np
    from stable_baselines3.common.vec_env import VecEnv as _VecEnv
    _used = 0
    for _name, _obj in list(globals().items()):
        if isinstance(_obj, _VecEnv):
            _obj.seed(0)
            _obj.reset()
            for _ in range(12):
                _obj.step(_np.array([_obj.action_space.sample() for _ in range(_obj.num_envs)]))
        elif isinstance(_obj, _gym.vector.VectorEnv):
            _obj.reset(seed=0)
            for _ in range(12):
                _obj.step(_obj.action_space.sample())
        elif isinstance(_obj, _gym.Env):
            _obj.reset(seed=0)
            for _ in range(12):
                _, _, _terminated, _truncated, _ = _obj.step(_obj.action_space.sample())
                if _terminated or _truncated:
                    _obj.reset()
        else:
            continue
        _used += 1
    print(f"test_docs: exercised {_used} environment(s)")
""")


def _blocks(doc: Path) -> list[tuple[str, int, str]]:
    """(language, first line number, source) of every fenced python/bash block of ``doc``."""
    text = doc.read_text()
    found = []
    for match in re.finditer(r"^```(python|bash)[ \t]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL):
        found.append((match.group(1), text.count("\n", 0, match.start()) + 1, match.group(2)))
    return found


def _inline_commands(doc: Path) -> list[tuple[str, int, str]]:
    """("inline", line number, command) of every inline command of ``doc`` (none for NO_INLINE docs)."""
    if doc.name in NO_INLINE:
        return []
    in_blocks = {c for language, _, source in _blocks(doc) if language == "bash" for c in _commands(source)}
    text = re.sub(r"^```.*?^```", lambda m: "\n" * m.group(0).count("\n"), doc.read_text(), flags=re.MULTILINE | re.DOTALL)
    found, seen = [], set(in_blocks)  # a command a block shows runs there; one the prose repeats runs once
    for match in re.finditer(r"`((?:\.venv/bin/python )?(?:train_agent|evaluate)\.py(?: [^`]*)?)`", text):
        command = match.group(1)
        if not command.startswith(".venv/bin/python"):
            command = ".venv/bin/python " + command
        if command not in seen:
            seen.add(command)
            found.append(("inline", text.count("\n", 0, match.start()) + 1, command))
    return found


def _cases() -> list:
    cases = []
    for doc in DOCS:
        python_so_far: list[str] = []
        for language, line, source in [*_blocks(doc), *_inline_commands(doc)]:
            marks = [] if language == "python" else [pytest.mark.slow]
            for (name, needle), reason in KNOWN_FAULTS.items():
                if doc.name == name and needle in source:
                    marks.append(pytest.mark.xfail(strict=False, reason=reason))
            prelude = list(python_so_far) if language == "python" else []
            cases.append(pytest.param(language, source, prelude, id=f"{doc.name}:{line}:{language}", marks=marks))
            if language == "python":
                python_so_far.append(source)
    return cases


def _reduce_python(source: str) -> str:
    for pattern, replacement, _why in PYTHON_SUBSTITUTIONS:
        source = re.sub(pattern, replacement, source)
    return source


def _commands(source: str) -> list[str]:
    """The block's commands: continuations joined, comments dropped, ``&&`` chains split."""
    joined = re.sub(r"\\\n", " ", source)
    commands = []
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        commands.extend(part.strip() for part in line.split("&&") if part.strip())
    return commands


def _reduce_command(command: str) -> list[str] | None:
    """argv of the reduced command, or None for a command CI runs itself (see the module docstring)."""
    argv = shlex.split(command)
    if argv[:2] == ["bash", "setup.sh"]:
        return None  # CI's first step: it built the environment this test runs in
    if argv[:2] == ["ray", "start"] or argv[1:4] == ["-m", "pip", "install"]:
        return None  # the set-up of a cluster's machines: CI has one, built by setup.sh
    if argv[0] != ".venv/bin/python" or len(argv) < 2:
        raise AssertionError(f"test_docs has no rule for the command {command!r}: add one to SHELL_REDUCTIONS")
    if argv[1:3] == ["-m", "pytest"]:
        return None  # the whole test suite: this test is part of it
    script = argv[1]
    if script not in SHELL_REDUCTIONS:
        raise AssertionError(f"test_docs has no rule for the script {script!r}: add one to SHELL_REDUCTIONS")
    appended, scaled = SHELL_REDUCTIONS[script]
    appended = appended + [o for text, only, options, _why in SHELL_EXTRA
                           if text in command and only in (None, script) for o in options]
    args = argv[2:]
    for option, factor in scaled.items():
        args = [str(int(a) // factor) if i > 0 and args[i - 1] == option else a for i, a in enumerate(args)]
    if script == "train_agent.py" and "--timesteps" not in args:
        args += ["--timesteps", DEFAULT_TIMESTEPS]
    args = [_REPOSITORY_FILE.sub(_from_root, a) for a in args]
    return [sys.executable, str(ROOT / script), *args, *appended]


#: A committed file a command reads, named from the repository root (where the README's reader runs it).
_REPOSITORY_FILE = re.compile(r"(?<![\w/.])(?:agents|results)/[\w./-]+")


def _from_root(match: re.Match) -> str:
    """The file's absolute path (this test runs the commands in a temporary folder), or the text unchanged where
    no committed file has that name (an output the command writes)."""
    path = ROOT / match.group(0)
    return str(path) if path.is_file() else match.group(0)


def _run(argv: list[str], cwd: Path, timeout: float = 300) -> None:
    result = subprocess.run(argv, check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, (
        f"{shlex.join(argv)} exited with {result.returncode}\n--- stdout\n{result.stdout[-3000:]}"
        f"\n--- stderr\n{result.stderr[-3000:]}")


@pytest.mark.parametrize(("language", "source", "prelude"), _cases())
def test_doc_block_runs(language, source, prelude, tmp_path):
    if language == "python":
        program = "\n\n".join(_reduce_python(block) for block in [*prelude, source]) + _EXERCISE
        script = tmp_path / "block.py"
        script.write_text(program)
        _run([sys.executable, str(script)], cwd=tmp_path)
        return
    commands = _commands(source)
    if language == "inline":
        commands = [PLACEHOLDERS[word] for word in PLACEHOLDERS if re.search(rf"\b{word}\b", source)] + commands
    ran = 0
    for command in commands:
        argv = _reduce_command(command)
        if argv is not None:
            _run(argv, cwd=tmp_path)
            ran += 1
    assert ran, "a block without a command this test runs"


def test_the_rules_cover_every_block():
    """The docs' blocks are collected (README.md's python, bash and inline ones among them); the only
    commands not run are the two CI runs itself."""
    readme = ROOT / "README.md"
    assert readme in DOCS
    assert {language for language, _, _ in [*_blocks(readme), *_inline_commands(readme)]} == {"python", "bash", "inline"}
    blocks = [b for doc in DOCS for b in [*_blocks(doc), *_inline_commands(doc)]]
    assert {language for language, _, _ in blocks} == {"python", "bash", "inline"}
    skipped = [c for language, _, source in blocks if language != "python" for c in _commands(source)
               if _reduce_command(c) is None]
    assert sorted(skipped) == ['.venv/bin/python -m pip install -e ".[distributed]"', ".venv/bin/python -m pytest",
                              "bash setup.sh", "bash setup.sh", "ray start --address HEAD:6379",
                              "ray start --head --port 6379"]
    reduced = _reduce_command(".venv/bin/python train_agent.py --resume --timesteps 400000")
    assert reduced[2:5] == ["--resume", "--timesteps", "8000"]
