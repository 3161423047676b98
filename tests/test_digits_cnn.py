"""The CNN example on the 8x8 digits: the same network in Python and in the
language, each reaching >= 0.97 held-out accuracy (slow: each trains 30 epochs)."""
import importlib.util
import json

import pytest

import catlearn as cl
from catlearn.cli import main


def example():
    spec = importlib.util.spec_from_file_location("digits_cnn", "examples/digits_cnn.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_python_and_language_networks_are_one_diagram():
    program = cl.load("examples/digits_cnn.cat")
    assert program["cnn"] == example().cnn
    assert program["cnn"] != example().cnn >> cl.relu(10)      # negative control


@pytest.mark.slow
def test_the_python_example_reaches_097_held_out():
    assert example().main() >= 0.97


@pytest.mark.slow
def test_the_language_example_reaches_097_held_out(capsys):
    assert main(["run", "examples/digits_cnn.cat", "--json"]) == 0
    (result,) = [r for r in json.loads(capsys.readouterr().out) if r["kind"] == "train"]
    assert result["test_accuracy"] >= 0.97
