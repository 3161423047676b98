"""posteriordb's two ODE posteriors written as their Stan source reads
(examples/posteriordb/lotka_volterra.cat with ode, one_comp_mm_elim_abs.cat with
ode_bdf), run from ``catlearn run`` against the reference draws
(examples/data/posteriordb/): every mean within 0.2 reference sds, every sd
within 20%. Long: NUTS through an ODE solver, 4 x (1000 + 1000) draws."""
import pytest
from test_posteriordb_as_written import misses_of_reference

from catlearn.lang import load


@pytest.mark.parametrize("program", ["examples/posteriordb/lotka_volterra.cat",
                                     "examples/posteriordb/one_comp_mm_elim_abs.cat"])
def test_the_program_checks_with_a_nuts_query(program):
    (query,) = load(program).queries()
    assert query.method == "nuts" and query.options["samples"] == 1000


# one_comp's K_m and V_m have heavy right tails (K_m's reference mean 2.5, sd 7.3):
# over 4 x 1000 draws their sd does not settle. Stan's own runs (pystan, seeds 0-5,
# 4 x 1000 + 1000) give K_m's sd 2.45-3.89 and V_m's 0.22-0.32 against the reference's
# 7.28 and 0.563, every one more than 20% off; their means are checked.
@pytest.mark.slow
@pytest.mark.parametrize("program, posterior, heavy_tailed", [
    ("examples/posteriordb/lotka_volterra.cat", "hudson_lynx_hare-lotka_volterra", ()),
    ("examples/posteriordb/one_comp_mm_elim_abs.cat",
     "one_comp_mm_elim_abs-one_comp_mm_elim_abs", ("K_m", "V_m")),
])
def test_the_ode_posterior_matches_posteriordb(program, posterior, heavy_tailed, capsys):
    assert misses_of_reference(program, posterior, capsys, heavy_tailed) == []
