"""The project as others install it: a wheel in a read-only location."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# A few env steps (every kernel of the step runs), in the read-only install and in this checkout.
STEPS = """
import gymnasium as gym, pso_env
env = gym.make(pso_env.ENV_ID, function="rastrigin", dim=5, swarm_size=10, max_iterations=40, obs_mode="features")
obs, _ = env.reset(seed=3)
out = {"obs": obs.tolist(), "rewards": [float(env.step(t % 4)[1]) for t in range(30)]}
"""
CHILD = """
import json, os, sys, tempfile, warnings
for place in sys.argv[1:]:  # the process really cannot write there (root could, whatever the mode bits say)
    try:
        tempfile.TemporaryFile(dir=place).close()
    except OSError:
        continue
    sys.exit(f"{place} is writable for this process")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
""" + "\n".join("    " + line for line in STEPS.strip().splitlines()) + """
assert pso_env.__file__.startswith(sys.argv[1]), pso_env.__file__
out["warnings"] = [str(w.message) for w in caught if "numba has no writable cache" in str(w.message)]
print(json.dumps(out))
"""


def _unprivileged() -> list[str]:
    """The command prefix that runs a process as an ordinary user (root writes through any mode bits)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", "nobody", "--"]
    pytest.skip("running as root without setpriv or runuser: no way to run the import as a user that cannot "
                "write the read-only install")


@pytest.mark.slow
def test_wheel_in_read_only_location_imports_and_runs():
    """site-packages and HOME read-only, no NUMBA_CACHE_DIR: one warning, kernels compiled in memory, the
    numbers of the normal install."""
    prefix = _unprivileged()
    base = Path(tempfile.mkdtemp(prefix="pso-env-ro-"))
    try:
        base.chmod(0o755)  # mkdtemp's 0700 would keep the unprivileged user out
        src, site, home = base / "src", base / "site", base / "home"
        shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
            ".*", "tests", "perf", "results", "runs", "build", "dist", "*.egg-info", "__pycache__"))
        pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", base / "dist", src], check=True)
        subprocess.run([*pip, "install", "--no-deps", "--target", site, *(base / "dist").glob("*.whl")], check=True)
        home.mkdir()
        for path in [home, *site.rglob("*")]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        site.chmod(0o555)
        deps = {sysconfig.get_paths()[k] for k in ("purelib", "platlib")}
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "PYTHONNOUSERSITE": "1",
               "PYTHONPATH": os.pathsep.join([str(site), *deps])}
        # -S: no .pth files, so the project's own (editable) install stays out; cwd: not the repository
        run = subprocess.run([*prefix, sys.executable, "-S", "-c", CHILD, str(site), str(site / "pso_env"), str(home)],
                             check=False, env=env, cwd=home, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        got = json.loads(run.stdout)
        warned = got.pop("warnings")
        assert len(warned) == 1 and "Set NUMBA_CACHE_DIR" in warned[0], warned
        # the remedy the warning names: a writable NUMBA_CACHE_DIR, silently used
        cache = base / "cache"
        cache.mkdir(mode=0o777)
        cache.chmod(0o777)
        code = ("import warnings; warnings.simplefilter('error'); import numpy as np; "
                "from benchmarks_fn._kernels import row_sums; print(row_sums(np.ones((2, 3)), True))")
        run = subprocess.run([*prefix, sys.executable, "-S", "-c", code], check=False, cwd=home,
                             env={**env, "NUMBA_CACHE_DIR": str(cache)}, capture_output=True, text=True)
        assert (run.returncode, run.stdout.strip()) == (0, "[3. 3.]"), run.stderr
        assert any(p.suffix == ".nbi" for p in cache.rglob("*"))
        normal = subprocess.run([sys.executable, "-c", STEPS + "import json; print(json.dumps(out))"], cwd=ROOT,
                                check=True, capture_output=True, text=True)  # this checkout, its kernel cache
        assert got == json.loads(normal.stdout)
    finally:
        for path in base.rglob("*"):
            path.chmod(0o755)
        shutil.rmtree(base)
