"""Merging output directories (evaluation.storage.merge, evaluate.py --include): a peer's runs in our report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_script

from evaluation import storage
from evaluation.records import RunRecord

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = storage.protocol_settings(swarm_size=5, iterations=10, dim=2, checkpoint_every=5)


def _store(out: Path, algorithm: str, seeds: range, *, functions=("sphere", "rastrigin"), settings=SETTINGS,
           offset: float = 0.0) -> None:
    """A small output directory as run_protocol writes it: settings, then one row and curve per run."""
    storage.write_settings(out, settings)
    for seed in seeds:
        for i, function in enumerate(functions):
            best = 1.0 + i + seed / 10 + offset
            record = RunRecord(algorithm, function, 2, seed, best, best, [best + 2, best + 1, best], 5, 55, 0.01, 0.01,
                               improvements=[[1, best + 2], [30, best]])
            storage.append(out, record, 0.0)


def _keys(out: Path) -> list[tuple[str, str, int]]:
    rows, curves = storage.load_results(out)
    assert set(curves) == {(r["algorithm"], r["function"], r["seed"]) for r in rows}  # every row has its curve
    return [(r["algorithm"], r["function"], r["seed"]) for r in rows]


def test_merge_adds_the_missing_runs_once_with_their_rows_and_curves(tmp_path):
    ours, peer = tmp_path / "ours", tmp_path / "peer"
    _store(ours, "PSO", range(3))
    _store(peer, "MetaBox:GLEET", range(2))
    _store(peer, "PSO", range(5), offset=100.0)  # seeds 0-2 are ours already: ours are kept, 3-4 added
    before = storage.load_results(ours)[0]

    assert storage.merge(ours, [peer]) == {str(peer): 4 + 4}
    keys = _keys(ours)
    assert len(keys) == len(set(keys)) == 6 + 4 + 4
    rows, curves = storage.load_results(ours)
    assert rows[: len(before)] == before  # ours untouched, in order
    peer_rows, peer_curves = storage.load_results(peer)
    for row in peer_rows:
        key = (row["algorithm"], row["function"], row["seed"])
        if row["algorithm"] == "MetaBox:GLEET" or row["seed"] >= 3:
            assert row in rows and curves[key] == peer_curves[key]  # copied exactly, improvements included
    assert all(r["best_value"] < 100 for r in rows if r["algorithm"] == "PSO" and r["seed"] < 3)

    assert storage.merge(ours, [peer, peer]) == {str(peer): 0}  # twice: nothing more, no duplicate
    assert _keys(ours) == keys
    assert storage.read_store(ours)[2] is False  # the files stay clean (no repair needed)


def test_merge_refuses_other_settings_a_non_store_and_clashing_agents_before_writing(tmp_path):
    ours, peer = tmp_path / "ours", tmp_path / "peer"
    _store(ours, "PSO", range(2))
    _store(peer, "MetaBox:GLEET", range(2), settings={**SETTINGS, "iterations": 999})
    files = {p.name: p.read_bytes() for p in ours.iterdir()}
    with pytest.raises(ValueError, match=r"other settings .*iterations: 999 in .*peer, 10 in .*ours"):
        storage.merge(ours, [tmp_path / "ours", peer])
    with pytest.raises(ValueError, match="no settings.json"):
        storage.merge(ours, [tmp_path / "missing"])
    other = tmp_path / "other"
    _store(other, "agent:x", range(1))
    (other / storage.AGENTS_FILE).write_text(json.dumps({"agent:x": {"path": "a", "sha256": "1"}}))
    (ours / storage.AGENTS_FILE).write_text(json.dumps({"agent:x": {"path": "b", "sha256": "2"}}))
    with pytest.raises(ValueError, match="agent:x made with different models"):
        storage.merge(ours, [other])
    (ours / storage.AGENTS_FILE).unlink()
    assert {p.name: p.read_bytes() for p in ours.iterdir()} == files  # nothing written by a refused merge

    fresh = tmp_path / "fresh"  # a directory without settings takes the first source's
    assert storage.merge(fresh, [other]) == {str(other): 2}
    assert storage.read_settings(fresh) == SETTINGS
    assert json.loads((fresh / storage.AGENTS_FILE).read_text()) == {"agent:x": {"path": "a", "sha256": "1"}}


def test_evaluate_include_ranks_the_peer_in_one_report_and_refuses_other_settings_first(tmp_path, capsys):
    cli = load_script("evaluate")
    ours, peer, bad = tmp_path / "ours", tmp_path / "peer", tmp_path / "bad"
    argv = ["--algorithms", "PSO", "--functions", "sphere,rastrigin", "--dim", "2", "--swarm-size", "5",
            "--iterations", "10", "--checkpoint-every", "5", "--runs", "2", "--jobs", "1", "--no-progress",
            "--out", str(ours)]
    _store(peer, "MetaBox:GLEET", range(2), functions=("sphere", "rastrigin", "ackley"))
    _store(bad, "MetaBox:GLEET", range(2), settings={**SETTINGS, "swarm_size": 20})

    with pytest.raises(SystemExit) as exc:
        cli.main([*argv, "--include", str(bad)])
    assert exc.value.code == 2
    assert "--include:" in capsys.readouterr().err and not ours.exists()  # refused before any run

    assert cli.main([*argv, "--include", str(peer)]) == 0
    printed = capsys.readouterr().out
    assert f"6 runs merged from {peer}" in printed and "MetaBox:GLEET" in printed
    report = (ours / "report.md").read_text()
    rank = report.split("## Average rank")[1].split("##")[0]
    assert "| PSO |" in rank and "| MetaBox:GLEET |" in rank
    assert "ackley" not in report  # our functions only
    assert len(_keys(ours)) == 4 + 6  # ours and the peer's (ackley's too: stored, not reported)

    assert cli.main([*argv, "--include", str(peer)]) == 0  # the same command again: nothing new, no duplicate
    assert f"0 runs merged from {peer}" in capsys.readouterr().out
    assert len(_keys(ours)) == 10
