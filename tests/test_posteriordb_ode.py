"""posteriordb's two ODE posteriors written as their Stan source reads
(examples/posteriordb/lotka_volterra.cat with ode, one_comp_mm_elim_abs.cat with
ode_bdf), run from ``catlearn run`` against the reference draws
(examples/data/posteriordb/): every mean within 0.2 reference sds, every sd
within 20%. Long: NUTS through an ODE solver, 4 x (1000 + 1000) draws."""
import pytest
from test_posteriordb_as_written import test_the_posterior_matches_posteriordb as matches

from catlearn.lang import load


@pytest.mark.parametrize("program", ["examples/posteriordb/lotka_volterra.cat",
                                     "examples/posteriordb/one_comp_mm_elim_abs.cat"])
def test_the_program_checks_with_a_nuts_query(program):
    (query,) = load(program).queries()
    assert query.method == "nuts" and query.options["samples"] == 1000


@pytest.mark.slow
@pytest.mark.parametrize("program, posterior", [
    ("examples/posteriordb/lotka_volterra.cat", "hudson_lynx_hare-lotka_volterra"),
    ("examples/posteriordb/one_comp_mm_elim_abs.cat",
     "one_comp_mm_elim_abs-one_comp_mm_elim_abs"),
])
def test_the_ode_posterior_matches_posteriordb(program, posterior, capsys):
    matches(program, posterior, capsys)
