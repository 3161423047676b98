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


def write(folder, queries=PRIOR, scale=1, draws=10, n=3):
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


def test_a_second_run_reads_what_the_first_wrote_and_says_the_same(folder, capsys, caplog):
    write(folder, PRIOR + RMH)
    first, made = run(folder, capsys, caplog)
    assert made["wrote"] >= 3 and made["read"] == 0  # prior, rmh, and their diagnostics
    assert len(programs(folder)) == made["wrote"]
    second, used = run(folder, capsys, caplog)
    assert used == {"read": made["wrote"], "wrote": 0}
    assert second == first


@pytest.mark.parametrize("change", [dict(scale=2), dict(n=4), dict(draws=11)],
                         ids=["program", "data shape", "option"])
def test_a_changed_program_data_shape_or_option_is_traced_again(folder, capsys, caplog,
                                                                 change):
    write(folder)
    before, _ = run(folder, capsys, caplog)
    write(folder, **change)
    after, used = run(folder, capsys, caplog)
    assert used["read"] == 0 and used["wrote"] >= 1
    assert after != before  # (a control: the change shows in the results)


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


@pytest.mark.parametrize("damage", [b"not a program", b""], ids=["garbage", "empty"])
def test_an_unreadable_program_is_ignored_with_a_warning_and_replaced(folder, capsys, caplog,
                                                                      damage):
    write(folder)
    first, made = run(folder, capsys, caplog)
    for name in programs(folder):
        (folder / "cache" / "programs" / name).write_bytes(damage)
    with pytest.warns(RuntimeWarning, match="unreadable cached program"):
        second, used = run(folder, capsys, caplog)
    assert second == first and used == {"read": 0, "wrote": made["wrote"]}
    third, used = run(folder, capsys, caplog)
    assert third == first and used == {"read": made["wrote"], "wrote": 0}


def test_a_function_known_only_by_identity_is_not_kept(tmp_path):
    scale = 3.0
    with program_cache.ProgramCache(str(tmp_path), context="test") as cache:
        out = program_cache.call("closure", lambda x: scale * x, 2.0)
    assert float(out) == 6.0 and cache.written == 0 and not os.listdir(tmp_path)
