"""``catlearn run`` keeps each query's traced programs between runs
(catlearn/program_cache.py): a second run of an unchanged file reads them
instead of tracing; a change of the program, of the data's shapes or of an
option makes new ones; ``--no-cache`` keeps none; an unreadable file is
ignored with a warning.

The runs are in this process (JAX's own persistent cache, a process-wide
setting, stays off), each with the cache folder in ``tmp_path``.
"""
import json
import logging
import os

import pytest

from catlearn import cli, program_cache

MODEL = """data d = json("d.json")
model m(n: Nat) {
    mu ~ Normal(0, SCALE)
    for i in range(n) {
        y[i] ~ Normal(mu, 1)
    }
}
"""
PRIOR = "sample m(n = d.n) with prior(draws = DRAWS, seed = 0)\n"
RMH = "infer m(n = d.n) given (y = d.y) with rmh(chains = 2, warmup = 10, samples = 10, seed = 0)\n"


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("CATLEARN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cli, "use_compilation_cache", lambda folder: None)
    return tmp_path


def write(folder, queries=PRIOR, scale=1, draws=3, n=3):
    """The program, its prior with too few draws for R-hat (one program per query)."""
    (folder / "d.json").write_text(json.dumps({"n": n, "y": [0.5 * i for i in range(n)]}))
    text = (MODEL + queries).replace("SCALE", str(scale)).replace("DRAWS", str(draws))
    (folder / "p.cat").write_text(text)


def run(folder, capsys, caplog, *flags):
    """The results (without their times) and the program cache's log lines."""
    caplog.clear()
    capsys.readouterr()
    with caplog.at_level(logging.INFO, logger="catlearn.program_cache"):
        assert cli.main(["run", str(folder / "p.cat"), "--json", *flags]) == 0
    results = json.loads(capsys.readouterr().out)
    for result in results:
        del result["seconds"]
    lines = [r.getMessage().split()[1] for r in caplog.records
             if r.name == "catlearn.program_cache"]
    return results, {"read": lines.count("read"), "wrote": lines.count("wrote")}


def programs(folder):
    kept = folder / "cache" / "programs"
    return sorted(os.listdir(kept)) if kept.exists() else []


@pytest.mark.parametrize("queries", [PRIOR, pytest.param(RMH, marks=pytest.mark.slow)],
                         ids=["prior", "rmh"])
def test_a_second_run_reads_what_the_first_wrote_and_says_the_same(folder, capsys, caplog,
                                                                   queries):
    write(folder, queries)
    first, made = run(folder, capsys, caplog)
    assert made["wrote"] >= 1 and made["read"] == 0
    assert len(programs(folder)) == made["wrote"]
    second, used = run(folder, capsys, caplog)
    assert used == {"read": made["wrote"], "wrote": 0}
    assert second == first


def test_a_changed_program_data_shape_or_option_is_traced_again(folder, capsys, caplog):
    write(folder)
    before, _ = run(folder, capsys, caplog)
    for change in (dict(scale=2), dict(n=4), dict(draws=2)):  # program, data shape, option
        write(folder, **change)
        after, used = run(folder, capsys, caplog)
        assert used == {"read": 0, "wrote": 1}, change
        assert after != before  # (a control: the change shows in the results)


@pytest.mark.slow
def test_new_data_of_the_same_shapes_reuse_the_programs(folder, capsys, caplog):
    write(folder, RMH)
    before, _ = run(folder, capsys, caplog)
    (folder / "d.json").write_text(json.dumps({"n": 3, "y": [3.0, 2.0, 4.0]}))
    after, used = run(folder, capsys, caplog)
    assert used["wrote"] == 0 and used["read"] >= 1
    assert after[0]["params"]["mu"]["mean"] > before[0]["params"]["mu"]["mean"] + 1


def test_no_cache_keeps_nothing(folder, capsys, caplog):
    write(folder)
    _, used = run(folder, capsys, caplog, "--no-cache")
    assert used == {"read": 0, "wrote": 0} and programs(folder) == []


def test_an_unreadable_program_is_ignored_with_a_warning_and_replaced(folder, capsys, caplog):
    write(folder, PRIOR + PRIOR.replace("seed = 0", "seed = 1").replace("DRAWS", "2"))
    first, made = run(folder, capsys, caplog)
    assert made == {"read": 0, "wrote": 2}
    for name, damage in zip(programs(folder), (b"not a program", b"")):
        (folder / "cache" / "programs" / name).write_bytes(damage)
    with pytest.warns(RuntimeWarning, match="unreadable cached program") as warned:
        second, used = run(folder, capsys, caplog)
    assert len(warned) == 2
    assert second == first and used == {"read": 0, "wrote": 2}
    third, used = run(folder, capsys, caplog)
    assert third == first and used == {"read": 2, "wrote": 0}


class Scaled:
    def __init__(self, scale):
        self.scale = scale

    def apply(self, x):
        return self.scale * x


def test_a_function_known_only_by_identity_is_not_kept(tmp_path):
    """A closure or a bound method reads state its name does not say."""
    scale = 3.0
    with program_cache.ProgramCache(str(tmp_path), context="test") as cache:
        by_closure = program_cache.call("closure", lambda x: scale * x, 2.0)
        by_method = [program_cache.call("method", Scaled(s).apply, 2.0) for s in (3.0, 4.0)]
    assert float(by_closure) == 6.0 and [float(v) for v in by_method] == [6.0, 8.0]
    assert cache.written == 0 and not os.listdir(tmp_path)


def test_a_module_level_function_is_kept_per_static_option(tmp_path):   # the control
    with program_cache.ProgramCache(str(tmp_path), context="test") as cache:
        values = [program_cache.call("power", pow_of, 2.0, n=n) for n in (2, 3, 2)]
    assert [float(v) for v in values] == [4.0, 8.0, 4.0]
    assert (cache.written, cache.read) == (2, 1) and len(os.listdir(tmp_path)) == 2


def pow_of(x, n):
    return x ** n
