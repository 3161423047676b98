"""``catlearn run`` keeps compiled programs in a cache folder; ``--no-cache`` does not."""
import os
import subprocess
import sys

PROGRAM = "model m() {\n  z ~ Normal(0, 1)\n}\nsample m() with prior(draws = 10, seed = 0)\n"


def run(tmp_path, *flags):
    path = tmp_path / "m.cat"
    path.write_text(PROGRAM)
    env = {**os.environ, "CATLEARN_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "catlearn.cli", "run", str(path), "--json",
                           *flags], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "cache"
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_run_fills_the_cache_and_no_cache_leaves_it_alone(tmp_path):
    (tmp_path / "off").mkdir()
    assert run(tmp_path / "off", "--no-cache") == []
    first = run(tmp_path)
    assert first, "the run compiled programs but cached none"
    assert run(tmp_path) == first      # the second run compiles nothing new


def test_the_cache_folder_is_under_the_users_cache_dir(monkeypatch, tmp_path):
    from catlearn.cli import cache_dir
    monkeypatch.delenv("CATLEARN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == os.path.join(str(tmp_path), "catlearn", "jax")
