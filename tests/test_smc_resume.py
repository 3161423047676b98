"""SMC and PMMH resume mid-run: a particle filter runs in segments of time steps,
tempered SMC in segments of stages and PMMH in segments of iterations, their state
saved after each (``checkpoint=``, and ``catlearn run --checkpoint``). A run
killed after a segment and run again makes the same result, bit for bit, as a
run that was never interrupted, and as one without checkpoints at all."""
import json

import numpy as np
import pytest

import catlearn as cl
from catlearn import checkpoint
from catlearn.cli import main
from catlearn.errors import DataError, InferenceError
from catlearn.inference import segments
from catlearn.lang import parse
from test_compile_once import AR1
from test_run_resume import catlearn_run, without_seconds

MODELS = AR1 + """\
model m(x: Real[N]) {
    w ~ Normal(0, 1)
    y ~ Normal(w * x, 1)
}
"""
# the filter saves after stages 1 (spawning), 4, 7 and 8; tempering after each of
# its 3 stages; PMMH after steps 5, 10, 15 and 20
PROGRAM = 'data d = csv("d.csv")\n' + MODELS + """\
infer ar1(T = 8) given (y = d.y) with smc(particles = 64, smoothed = 8, checkpoint_every = 3)
infer m(x = d.x) given (y = d.y) with smc(particles = 64, checkpoint_every = 1)
infer ar1(T = 8) given (y = d.y) with pmmh(particles = 16, warmup = 10, samples = 10, checkpoint_every = 5)
"""
X = np.array([1, 3, 2, 4, 1, 0, 2, 3], np.float32)
Y = np.array([2, 4, 3, 5, 1.5, 0.2, 2.5, 2], np.float32)


@pytest.mark.slow  # five runs of a program of three queries, each compiled
def test_killed_smc_and_pmmh_runs_resume_to_the_same_json(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in zip(X, Y)))
    (tmp_path / "r.cat").write_text(PROGRAM)
    assert main(["run", str(tmp_path / "r.cat"), "--json", "--no-cache"]) == 0
    uninterrupted = without_seconds(json.loads(capsys.readouterr().out))
    folder = tmp_path / "ck"
    # killed in the filter's time steps, then (resuming it) in the tempering stages,
    # then in PMMH's warm-up: each run resumes the one before and is killed later
    lines = [i for i, text in enumerate(PROGRAM.splitlines(), 1) if text.startswith("infer")]
    for line, done, saved in zip(lines, [7, 2, 10], [4, 1, 5]):
        name = f"line{line}.chains"
        catlearn_run(tmp_path, folder, stall_at=(name, {"done": done}))
        assert checkpoint.load(folder / name).metadata == {"done": saved}
        assert not checkpoint.exists(folder / name.replace("chains", "posterior"))
    assert catlearn_run(tmp_path, folder) == uninterrupted
    assert [r["kind"] for r in uninterrupted] == ["infer"] * 3
    assert [r["method"] for r in uninterrupted] == ["smc", "smc", "pmmh"]


def interrupted_at(monkeypatch, after: int) -> list:
    """``checkpoint.save`` interrupted (as by Ctrl-C) when it is called the
    ``after + 1``-th time; the saves made are listed by their step counts."""
    real_save, saves = checkpoint.save, []

    def save(path, tree, metadata=None, made_by=None):
        if len(saves) == after:
            raise KeyboardInterrupt
        saves.append(metadata["done"])
        real_save(path, tree, metadata, made_by)
    monkeypatch.setattr(checkpoint, "save", save)
    return saves


def same(a, b) -> None:
    assert a.log_evidence == b.log_evidence
    assert set(a.samples) == set(b.samples)
    for site in a.samples:  # bit for bit, not approximately
        np.testing.assert_array_equal(np.asarray(a.samples[site]), np.asarray(b.samples[site]))


@pytest.mark.slow  # the pieces of a filter, a tempering and a PMMH chain compiled
@pytest.mark.parametrize("query", ["filter", "tempering", "pmmh", "rmsmc"])
def test_an_interrupted_python_run_resumes_to_the_same_posterior(tmp_path, monkeypatch, query):
    models = parse(MODELS)
    model, args, data, method, options = {
        "filter": (models["ar1"], {"T": 8}, {"y": Y}, cl.smc,
                   dict(particles=64, smoothed=8, checkpoint_every=3)),
        "tempering": (models["m"], {"x": X}, {"y": Y}, cl.smc,
                      dict(particles=64, checkpoint_every=1)),
        "pmmh": (models["ar1"], {"T": 8}, {"y": Y}, cl.pmmh,
                 dict(particles=16, warmup=10, samples=10, checkpoint_every=5)),
        "rmsmc": (models["m"], {"x": X}, {"y": Y}, cl.rmsmc,
                  dict(particles=64, stages=4, checkpoint_every=1)),
    }[query]

    def run(**more):
        return cl.infer(model, args, data, method=method(progress=False, **options, **more))

    whole = run()
    path = str(tmp_path / "run")
    saves = interrupted_at(monkeypatch, 2)
    with pytest.raises(KeyboardInterrupt):
        run(checkpoint=path)
    assert checkpoint.load(path).metadata == {"done": saves[-1]} and len(saves) == 2
    monkeypatch.undo()
    same(run(checkpoint=path), whole)
    same(run(checkpoint=path), whole)  # a finished checkpoint is read, not run again
    with pytest.raises(DataError, match="made by another"):  # other options: refused
        run(checkpoint=path, seed=1)


def test_checkpoint_options_are_checked():
    for method in (cl.smc, cl.pmmh, cl.rmsmc):
        with pytest.raises(InferenceError, match="checkpoint_every must be a positive integer"):
            method(checkpoint_every=0)
        with pytest.raises(InferenceError, match="checkpoint must be a path"):
            method(checkpoint=3)
        method(checkpoint="here", checkpoint_every=1)  # the control: accepted


def test_a_checkpoint_saved_at_another_step_count_is_refused(tmp_path):
    path = str(tmp_path / "count")

    def add(total, start, stop):
        return total + np.arange(start, stop).sum()

    assert segments.in_segments(add, np.int64(0), [3, 6], checkpoint=path, made_by="m") == 15
    # a run whose segments end elsewhere cannot have made it: refused, not misread
    with pytest.raises(DataError, match="6 is not a number of steps at which this run saves"):
        segments.in_segments(add, np.int64(0), [4, 8], checkpoint=path, made_by="m")
    with pytest.raises(DataError, match="made by another"):
        segments.in_segments(add, np.int64(0), [3, 6], checkpoint=path, made_by="other")
    # a run stopping early (``finished``) saves nothing more
    calls = []
    assert segments.in_segments(lambda total, a, b: calls.append(b) or total + 1, 0,
                                [1, 2, 3], checkpoint=str(tmp_path / "early"), made_by="m",
                                finished=lambda total: total >= 2) == 2
    assert calls == [1, 2]
