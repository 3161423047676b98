"""Safety: a program reaches only registered primitives and its own folder's data;
the library never evaluates code and never unpickles."""
import ast
import hashlib
import io
import json
import os
import pathlib
import re

import numpy as np
import pytest

import catlearn
from catlearn import checkpoint
from catlearn.cli import main
from catlearn.errors import CatlearnSyntaxError, CatlearnTypeError, DataError
from catlearn.lang import load, parse

PACKAGE = pathlib.Path(catlearn.__file__).parent
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill",
                     "cloudpickle", "joblib", "subprocess"}


def sources():
    paths = sorted(PACKAGE.rglob("*.py"))
    assert len(paths) > 20  # the scan sees the whole package
    return [(p.relative_to(PACKAGE.parent), ast.parse(p.read_text(), str(p))) for p in paths]


def test_no_module_evaluates_code_or_unpickles():
    found = []
    for path, tree in sources():
        for node in ast.walk(tree):
            where = f"{path}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call):
                f = node.func
                # builtins by name (re.compile is no evaluation); eval and exec by any path
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(
                    f, ast.Attribute) else None
                if (isinstance(f, ast.Name) and name in FORBIDDEN_CALLS) or (
                        isinstance(f, ast.Attribute) and (name in {"eval", "exec", "__import__"}
                                                          or ast.unparse(f) in {"os.system",
                                                                                "os.popen"})):
                    found.append(f"{where} calls {name}")
                for kw in node.keywords:
                    if kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant)
                                                         and kw.value.value is False):
                        found.append(f"{where} passes allow_pickle={ast.unparse(kw.value)}")
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                    node.module or ""]
                found += [f"{where} imports {n}" for n in names
                          if n.split(".")[0] in FORBIDDEN_MODULES]
    assert found == []


def test_the_scan_would_catch_offenders():
    offender = ast.parse("import pickle\nx = eval('1')\nnp.load(f, allow_pickle=True)")
    calls = [n.func.id for n in ast.walk(offender)
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert "eval" in calls and any(isinstance(n, ast.Import) for n in ast.walk(offender))



# -- everything a test, benchmark or doc reads lives in the repository -------------------

REPOSITORY = PACKAGE.parent
OUTSIDE = re.compile(r"""(?:^|[\s"'(=])(?:/work/|/home/|/tmp/shared|\.\./shared\b)""")
SHARED, WORK, HOME = "../sha" + "red", "/wo" + "rk", "/ho" + "me"  # apart: this file passes its own scan


def paths_outside(text: str) -> list:
    """The lines of ``text`` that name a path outside the repository."""
    return [n for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]


def test_no_file_names_a_path_outside_the_repository():
    scanned, found = 0, []
    for folder in ("tests", "benchmarks", "docs", "catlearn", "examples"):
        for path in sorted((REPOSITORY / folder).rglob("*")):
            if path.suffix in {".py", ".md", ".cat", ".ipynb", ".toml", ".txt"}:
                scanned += 1
                found += [f"{path.relative_to(REPOSITORY)}:{n}"
                          for n in paths_outside(path.read_text(errors="replace"))]
    assert scanned > 50 and found == []


@pytest.mark.parametrize("line", [f'open("{WORK}/shared/reference/x.json")',
                                  f"EXAMPLES = '{SHARED}/spec/examples'",
                                  f"p = Path('{HOME}/user/shared/iris.csv')"])
def test_the_path_scan_would_catch_offenders(line):
    assert paths_outside("ok = 1\n" + line) == [2]


def test_the_path_scan_passes_the_repository_own_paths():
    assert paths_outside('open("examples/data/posteriordb/eight_schools.json")\n'
                         "ROOT / 'tests'\nx = a/work/b") == []

# -- the language cannot reach Python --------------------------------------------------

MODEL = "model m(x: Real) {\n    y ~ Normal(0, 1)\n"
REACHING_PYTHON = [
    ('model m(x: Real) {\n    y = __import__("os")\n}', "__import__", 2, 9),
    ("model m(x: Real) {\n    y = x.__class__\n}", "__class__", 2, 11),
    ("model m(x: Real) {\n    y = exp(x).__globals__\n}", "__globals__", 2, 16),
    ("model m(x: Real) {\n    __builtins__ ~ Normal(0, 1)\n}", "__builtins__", 2, 5),
    ("model __init__(x: Real) {\n    y ~ Normal(0, 1)\n}", "__init__", 1, 7),
    ("box __call__ : Real -> Real", "__call__", 1, 5),
    ("diagram d = __import__(Real)", "__import__", 1, 13),
    ("box f : __dict__ -> Real", "__dict__", 1, 9),
    (MODEL + "    y2 ~ __subclasses__(0, 1)\n}", "__subclasses__", 3, 10),
    (MODEL + "}\nsample m(x = __builtins__) with prior", "__builtins__", 4, 14),
    (MODEL + "}\nsample m(x = 1) with __import__(seed = 0)", "__import__", 4, 22),
    (MODEL + "}\nsample m(x = 1) with prior(__class__ = 0)", "__class__", 4, 28),
    (MODEL + "    for __i in range(3) {\n        z ~ Normal(0, 1)\n    }\n}", "__i", 3, 9),
]


@pytest.mark.parametrize("source, word, line, column", REACHING_PYTHON)
def test_dunder_names_are_refused_when_parsing(source, word, line, column):
    with pytest.raises(CatlearnSyntaxError) as info:
        parse(source, "evil.cat")
    err = info.value
    assert f"'{word}'" in err.message and (err.line, err.column) == (line, column)


@pytest.mark.parametrize("expr", ["x.real", "x.T", "exp(x).shape"])
def test_attributes_of_values_are_refused(expr):
    with pytest.raises(CatlearnTypeError, match=r"'\.\w+': a model cannot read attributes"):
        parse(f"model m(x: Real) {{\n    y = {expr}\n}}")


# -- data paths stay in the program's folder ---------------------------------------------

@pytest.fixture
def folders(tmp_path):
    program, outside = tmp_path / "program", tmp_path / "outside"
    (program / "sub").mkdir(parents=True)
    outside.mkdir()
    for folder in (program / "sub", outside):
        (folder / "d.csv").write_text("x\n1\n2\n")
    (program / "link_out.csv").symlink_to(outside / "d.csv")
    (program / "link_in.csv").symlink_to(program / "sub" / "d.csv")
    (program / "dir_out").symlink_to(outside)
    return program, outside


def write_program(folder, path):
    cat = folder / "p.cat"
    cat.write_text(f'# reads data\ndata d = csv("{path}")\n')
    return cat


@pytest.mark.parametrize("path", ["sub/d.csv", "./sub/../sub/d.csv", "link_in.csv", "{program}/sub/d.csv"])
def test_paths_inside_the_folder_are_read(folders, path):
    program, _ = folders
    cat = write_program(program, path.format(program=program))
    assert load(str(cat))["d"]["x"].tolist() == [1, 2]


@pytest.mark.parametrize("path", ["../outside/d.csv", "{outside}/d.csv", "link_out.csv",
                                  "dir_out/d.csv", "sub/../../outside/d.csv", "/etc/passwd"])
def test_paths_leaving_the_folder_are_refused(folders, path):
    program, outside = folders
    path = path.format(outside=outside)
    cat = write_program(program, path)
    with pytest.raises(DataError) as info:
        load(str(cat))
    err = info.value
    assert f"'{path}' leads outside the program's folder" in err.message
    assert (err.file, err.line, err.column) == (str(cat), 2, 14)
    assert "root:" not in str(err)  # nothing of the file is read or shown


def test_allowed_folders_can_be_read(folders, capsys):
    program, outside = folders
    cat = write_program(program, "../outside/d.csv")
    assert load(str(cat), allow_paths=[str(outside)])["d"]["x"].tolist() == [1, 2]
    source = 'data d = csv("../outside/d.csv")'
    assert parse(source, str(cat), allow_paths=[str(outside)])["d"]["x"].tolist() == [1, 2]
    with pytest.raises(DataError):
        load(str(cat), allow_paths=[str(program / "sub")])
    assert main(["check", str(cat)]) == 1
    assert "--allow-path" in capsys.readouterr().err
    assert main(["check", str(cat), "--allow-path", str(outside)]) == 0


# -- files are never unpickled --------------------------------------------------------------

PICKLE_RAN = []


class Payload:
    def __reduce__(self):
        return (PICKLE_RAN.append, ("the pickle ran",))


def test_a_checkpoint_holding_a_pickle_is_refused_unread(tmp_path):
    checkpoint.save(tmp_path / "run", {"w": np.ones(2)})
    record = json.loads((tmp_path / "run.json").read_text())
    buffer = io.BytesIO()
    np.savez(buffer, **{"0": np.array([Payload()], dtype=object)})
    payload = buffer.getvalue()
    (tmp_path / record["arrays"]).write_bytes(payload)
    record["sha256"] = hashlib.sha256(payload).hexdigest()
    (tmp_path / "run.json").write_text(json.dumps(record))
    with pytest.raises(DataError, match="corrupt checkpoint"):
        checkpoint.load(tmp_path / "run")
    assert PICKLE_RAN == []


def test_data_files_are_text_only(tmp_path):
    (tmp_path / "p.cat").write_text('data d = json("d.json")')
    (tmp_path / "d.json").write_bytes(b"\x80\x04\x95 pickled bytes")
    with pytest.raises(DataError, match="d.json"):
        load(str(tmp_path / "p.cat"))
    assert os.path.getsize(tmp_path / "d.json") > 0
