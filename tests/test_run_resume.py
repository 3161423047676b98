"""``catlearn run FILE --checkpoint DIR`` survives SIGKILL: a run killed while it
saves (training after some epochs, NUTS in its warm-up, SMC as it ends) and run
again prints the same JSON as a run that was never interrupted. The chains
themselves resume mid-run from their segments (``chains.sample(checkpoint=…)``),
warm-up and adaptation included; ``--jsonl`` and Ctrl-C keep what was finished."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from catlearn import checkpoint
from catlearn.cli import main
from catlearn.errors import DataError
from catlearn.inference.chains import sample
from catlearn.inference.mcmc import MCMC

PROGRAM = """\
data d = csv("d.csv")
model m(x: Real[N]) {
    w ~ Normal(0, 1)
    y ~ Normal(w * x, 1)
}
diagram net = dense(1, 1)
learner l = learn net with loss = mse
train l on d(x = [x], y = [y]) with epochs = 30, batch = 2
infer m(x = d.x) given (y = d.y) with nuts(chains = 2, warmup = 100, samples = 100, checkpoint_every = 20)
infer m(x = d.x) given (y = d.y) with smc(particles = 200)
"""


def without_seconds(results):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in results]


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resume")
    (folder / "d.csv").write_text("x,y\n1,2\n3,4\n2,3\n4,5\n")
    (folder / "r.cat").write_text(PROGRAM)
    return folder


def catlearn_run(folder, checkpoints, *extra, stall_at=None):
    """``catlearn run r.cat --json --checkpoint checkpoints`` in a subprocess (without
    ``--checkpoint`` when ``checkpoints`` is None); with
    ``stall_at`` (a checkpoint name and a metadata entry), the run stops, as if slow,
    when it is about to save that checkpoint, and is killed there with SIGKILL."""
    where = [] if checkpoints is None else ["--checkpoint", str(checkpoints)]
    child = textwrap.dedent(f"""
        import sys, time
        from catlearn import checkpoint
        from catlearn.cli import main
        real_save = checkpoint.save
        stall_at = {stall_at!r}

        def save(path, tree, metadata=None, made_by=None):
            if stall_at and str(path).endswith(stall_at[0]) and all(
                    (metadata or {{}}).get(k) == v for k, v in stall_at[1].items()):
                print("stalled", file=sys.stderr, flush=True)
                time.sleep(600)
            return real_save(path, tree, metadata, made_by)

        checkpoint.save = save
        sys.exit(main(["run", "r.cat", "--json", *{where!r}, *{list(extra)!r}]))
        """)
    env = {**os.environ, "CATLEARN_CACHE_DIR": str(folder / "cache"),
           "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-c", child], cwd=folder, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if stall_at is None:
        out, err = process.communicate(timeout=900)
        assert process.returncode == 0, err
        return without_seconds(json.loads(out))
    for line in process.stderr:  # wait until it stalls, then kill it
        if line.strip() == "stalled":
            break
    else:
        raise AssertionError("the run ended without reaching the checkpoint to stall at")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    return None


@pytest.fixture(scope="module")
def uninterrupted(program):
    """A run without checkpoints: the segments of a checkpointed run change nothing."""
    return catlearn_run(program, None)


@pytest.mark.slow
@pytest.mark.parametrize("stall_at", [
    ("line8.train", {"epoch": 10}),        # training, a third of its epochs done
    ("line9.chains", {"done": 60}),        # NUTS in warm-up, the step size still adapting
    ("line9.chains", {"done": 160}),       # NUTS sampling
    ("line10.posterior", {"method": "smc"}),  # SMC finished, its posterior not yet kept
], ids=["training", "nuts warm-up", "nuts sampling", "smc"])
def test_a_killed_run_resumes_to_the_same_json(program, uninterrupted, stall_at):
    folder = program / f"killed-{stall_at[0]}-{list(stall_at[1].values())[0]}"
    catlearn_run(program, folder, stall_at=stall_at)
    assert checkpoint.exists(folder / stall_at[0]) == (stall_at[0] != "line10.posterior")
    assert catlearn_run(program, folder) == uninterrupted
    assert [r["kind"] for r in uninterrupted] == ["train", "infer", "infer"]


@pytest.mark.slow  # about 35 s on two busy cores: four programs to compile
def test_chains_resume_mid_run_to_the_same_draws(tmp_path, monkeypatch):
    rmh = MCMC("rmh").factory()  # the random walk, preconditioned as MCMC adapts it

    def run(**options):
        return sample(rmh, lambda x: -0.5 * jnp.sum(x ** 2), jnp.zeros((2, 3)),
                      jax.random.key(3), warmup=30, samples=20, progress=False, **options)

    whole_draws, whole_stats = run()
    path = str(tmp_path / "chains")
    real_save, saves = checkpoint.save, []

    def interrupted_save(*args):
        saves.append(args[2]["done"])
        if len(saves) == 3:
            raise KeyboardInterrupt  # the third save never happens
        real_save(*args)

    monkeypatch.setattr(checkpoint, "save", interrupted_save)
    with pytest.raises(KeyboardInterrupt):
        run(checkpoint=path, checkpoint_every=10)
    assert checkpoint.load(path).metadata == {"done": 20}
    monkeypatch.setattr(checkpoint, "save", real_save)
    draws, stats = run(checkpoint=path, checkpoint_every=10)
    np.testing.assert_array_equal(draws, whole_draws)  # bit for bit, not approximately
    for name in whole_stats:
        np.testing.assert_array_equal(stats[name], whole_stats[name])
    # a checkpoint of another start or of other segments is refused, not resumed
    with pytest.raises(DataError, match="made by another"):
        run(checkpoint=path, checkpoint_every=7)
    with pytest.raises(DataError, match="made by another"):
        sample(rmh, lambda x: -0.5 * jnp.sum(x ** 2), jnp.zeros((2, 3)), jax.random.key(4),
               warmup=30, samples=20, progress=False, checkpoint=path, checkpoint_every=10)


FAILS_LATER = """\
model m(a: Real) {
    s ~ Normal(a, 1)
}
infer m(a = 0) given () with importance(particles = 100)
infer m(a = 0) given (s = 1e999) with importance(particles = 100)
"""


def test_jsonl_keeps_the_finished_queries_when_a_later_one_fails(tmp_path, capsys):
    (tmp_path / "f.cat").write_text(FAILS_LATER)
    assert main(["run", str(tmp_path / "f.cat"), "--jsonl", "--no-cache"]) == 1
    lines = capsys.readouterr().out.splitlines()
    first, last = (json.loads(line) for line in lines)
    assert first["kind"] == "infer" and first["line"] == 4 and "s" in first["params"]
    assert last["kind"] == "error" and last["line"] == 5 and "infinite" in last["message"]


def test_ctrl_c_is_one_line_and_status_130(tmp_path, capsys, monkeypatch):
    (tmp_path / "f.cat").write_text(FAILS_LATER)
    from catlearn.lang import program

    def interrupted(self, statement, checkpoints=None):
        raise KeyboardInterrupt
    monkeypatch.setattr(program.Program, "run_statement", interrupted)
    assert main(["run", str(tmp_path / "f.cat"), "--jsonl"]) == 130
    out, err = capsys.readouterr()
    assert err == "catlearn: interrupted\n" and json.loads(out) == {"kind": "interrupted"}


def test_checkpoints_of_other_data_are_refused_by_the_command(tmp_path, capsys):
    program = ('data d = csv("d.csv")\nmodel m(x: Real[N]) {\n    w ~ Normal(0, 1)\n'
               "    y ~ Normal(w * x, 1)\n}\n"
               "infer m(x = d.x) given (y = d.y) with importance(particles = 100)\n")
    (tmp_path / "p.cat").write_text(program)
    (tmp_path / "d.csv").write_text("x,y\n1,2\n3,4\n")
    run = ["run", str(tmp_path / "p.cat"), "--json", "--no-cache", "--checkpoint",
           str(tmp_path / "ck")]
    assert main(run) == 0
    first = without_seconds(json.loads(capsys.readouterr().out))
    assert main(run) == 0  # the control: the same data reads the kept posterior back
    assert without_seconds(json.loads(capsys.readouterr().out)) == first
    (tmp_path / "d.csv").write_text("x,y\n1,2\n3,5\n")
    assert main(run) == 1
    error = json.loads(capsys.readouterr().out)[-1]
    assert error["kind"] == "error" and error["line"] == 6
    assert "line6.posterior.json was made by another program, other data" in error["message"]
