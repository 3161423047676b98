"""The catlearn command: exit statuses and the --json document."""
import json
import re

import pytest

from catlearn.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_laws_json(capsys):
    code, out, _ = run(capsys, "run", "examples/laws.cat", "--json")
    assert code == 0
    results = json.loads(out)
    source = open("examples/laws.cat").read().splitlines()
    expected = [{"kind": "check", "line": n, "holds": m.group(1) == "holds"}
                for n, line in enumerate(source, 1)
                if (m := re.search(r"# EXPECT (holds|fails)", line))]
    assert results == expected


def test_run_error_json_exits_one(capsys):
    code, out, _ = run(capsys, "run", "examples/laws_error.cat", "--json")
    assert code == 1
    (error,) = json.loads(out)
    assert (error["kind"], error["line"]) == ("error", 3)
    assert "(Real)" in error["message"] and "(Real * Real)" in error["message"]


def test_check_human_and_error(capsys):
    code, out, _ = run(capsys, "check", "examples/lgss.cat")
    assert code == 0 and "ok" in out
    code, _, err = run(capsys, "check", "examples/laws_error.cat")
    assert code == 1 and "laws_error.cat:3:" in err and "^" in err


def test_usage_errors_exit_two(capsys):
    assert run(capsys, "check", "no/such/file.cat")[0] == 2
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2


def test_draw_model_and_unknown_name(capsys, tmp_path):
    out = tmp_path / "h.png"
    code, _, _ = run(capsys, "draw", "examples/laws.cat", "h", "-o", str(out))
    assert code == 0 and out.stat().st_size > 0
    code, _, err = run(capsys, "draw", "examples/laws.cat", "hh", "-o", str(out))
    assert code == 1 and "did you mean 'h'" in err
