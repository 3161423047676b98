"""The posteriordb benchmark's catlearn programs (benchmarks/posteriordb/) still parse
and check, each beside its Stan source, data and reference, and each one's parameters
are those of its reference (so that the benchmark's comparison does not rot)."""
import glob
import json
import os
import re

import numpy as np
import pytest

from catlearn.errors import CatlearnError
from catlearn.inference.target import Target
from catlearn.lang import load, parse

DB = "benchmarks/posteriordb"
PROGRAMS = sorted(glob.glob(f"{DB}/*.cat"))
NAMES = [os.path.basename(p)[:-4] for p in PROGRAMS]


def test_the_selection_is_at_least_twelve_posteriors_each_with_its_files():
    assert len(PROGRAMS) >= 12
    for name in NAMES:
        for suffix in (".stan", ".data.json", ".ref.json"):
            assert os.path.exists(f"{DB}/{name}{suffix}"), name + suffix
        source = json.load(open(f"{DB}/{name}.ref.json"))["source"]
        assert source["repository"] == "github.com/stan-dev/posteriordb", name
        assert re.fullmatch("[0-9a-f]{40}", source["commit"]), name


@pytest.mark.parametrize("name", NAMES)
def test_the_program_checks_with_one_nuts_query_of_the_benchmark_size(name):
    (query,) = load(f"{DB}/{name}.cat").queries()
    assert query.method == "nuts"
    assert {k: query.options[k] for k in ("chains", "warmup", "samples")} == {
        "chains": 4, "warmup": 1000, "samples": 1000}


def test_a_program_whose_data_lost_a_column_is_refused(tmp_path):
    """Negative control: the check above fails when a program no longer fits its data."""
    name = "kidiq-kidscore_interaction"
    (tmp_path / f"{name}.data.json").write_text(open(f"{DB}/{name}.data.json").read())
    source = open(f"{DB}/{name}.cat").read().replace("d.mom_iq", "d.mom_iqq")
    with pytest.raises(CatlearnError, match="mom_iqq"):
        parse(source, str(tmp_path / f"{name}.cat"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_the_log_density_is_finite_at_the_origin_and_sites_match_the_reference(name):
    (query,) = load(f"{DB}/{name}.cat").queries()
    target = Target(query.model, query.args, query.data)
    assert np.isfinite(float(target.logdensity(np.zeros(target.dim, np.float32))))
    reference = json.load(open(f"{DB}/{name}.ref.json"))["ref"]
    sites = {s.split("[")[0] for s in reference}
    assert sites & set(target.constrain(np.zeros(target.dim, np.float32))), name
