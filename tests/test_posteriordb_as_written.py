"""posteriordb programs written as their Stan source reads, against posteriordb's
reference draws (examples/data/posteriordb/, 10 x 1,000 Stan NUTS draws): every
mean within 0.2 reference sds, every sd within 20%."""
import json

import pytest

from catlearn.cli import main

REFERENCE = "examples/data/posteriordb/{}.json"


def stan_name(name: str) -> str:
    """catlearn's zero-based ``beta[0]`` is Stan's one-based ``beta[1]``."""
    if "[" not in name:
        return name
    site, index = name[:-1].split("[")
    return f"{site}[{int(index) + 1}]"


@pytest.mark.slow
@pytest.mark.parametrize("program, posterior", [
    ("examples/posteriordb/kidiq.cat", "kidiq-kidscore_interaction"),
])
def test_the_posterior_matches_posteriordb(program, posterior, capsys):
    assert main(["run", program, "--json"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    reference = json.load(open(REFERENCE.format(posterior)))["ref"]
    params = {stan_name(name): row for name, row in result["params"].items()}
    assert set(reference) <= set(params)
    for name, ref in reference.items():
        row = params[name]
        assert abs(row["mean"] - ref["mean"]) < 0.2 * ref["sd"], name
        assert abs(row["sd"] - ref["sd"]) < 0.2 * ref["sd"], name
