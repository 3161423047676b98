"""The teaching notebooks of docs/notebooks: committed executed (their outputs,
pictures included, are what a reader sees on GitHub), each starting from the
README's install command; the slow test executes every cell again with
nbclient in a real Jupyter kernel and checks what the outputs show.

``python tests/test_notebooks.py`` executes them and writes them back (after
changing one, or catlearn's pictures)."""
import os
import pathlib
import re
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "docs" / "notebooks"
NAMES = ["diagrams_and_laws", "backprop_as_functor", "model_to_posterior", "smc_as_composite"]
PICTURES = ["nb_counit_law", "nb_lens_backward", "nb_learner", "nb_eight_schools", "nb_lgss",
            "nb_lgss_unrolled"]


def execute(name: str):
    """The notebook ``name`` with every cell executed, in its own folder, by a
    python3 kernel importing this checkout's catlearn."""
    import nbclient
    import nbformat
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.km = client.create_kernel_manager()
    client.km.kernel_spec.env = env   # set before the kernel starts
    client.execute(env=env)
    return nb


def outputs(nb, mime: str) -> list[str]:
    """Every output of type ``mime`` (``image/svg+xml``, ``text/html``, ``text/plain``,
    ``image/png``), streams counted as ``text/plain``."""
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            if o.get("output_type") == "stream" and mime == "text/plain":
                out.append(o["text"])
            elif mime in o.get("data", {}):
                data = o["data"][mime]
                out.append("".join(data) if isinstance(data, list) else data)
    return out


def read(name: str):
    import nbformat
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def install_command() -> str:
    readme = (ROOT / "README.md").read_text()
    return re.search(r'^python3 -m venv .*pip install -e "\.\[all\]".*$', readme, re.M).group(0)


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_starts_from_the_install_command_and_is_committed_executed(name):
    nb = read(name)
    assert install_command() in nb.cells[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code)   # every cell was run
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert outputs(nb, "image/svg+xml")                           # it shows pictures


def test_the_key_pictures_are_saved_under_docs_img():
    for picture in PICTURES:
        assert (ROOT / "docs" / "img" / f"{picture}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def check_model_to_posterior(nb) -> None:
    """The eight-schools notebook shows what a teacher needs."""
    svgs, html, text = (outputs(nb, m) for m in ("image/svg+xml", "text/html", "text/plain"))
    picture = next(s for s in svgs if "mu ~ Normal(0, 5)" in s)
    assert "y[j] ~ Normal(mu + tau * theta_raw[j], sigma[j])" in picture
    assert "j in 0..J-1" in picture and 'id="frame:' in picture and "fill: #d9d9d9" in picture
    table = next(h for h in html if "Posterior by nuts" in h)
    assert "<table>" in table and "<td>tau</td>" in table and "theta_raw[7]" in table
    assert any("elpd_loo" in t for t in text)
    law = next(s for s in svgs if 'id="separator:1"' in s)
    assert 'id="side0/discard:' in law and 'id="side1/discard:' in law
    assert any("θ1 adam(0.01)" in s for s in svgs)


def check_others(nb, name: str) -> None:
    svgs, text = outputs(nb, "image/svg+xml"), outputs(nb, "text/plain")
    if name == "diagrams_and_laws":
        assert any("does not hold" in t for t in text)
        assert sum('id="side1/copy:' in s for s in svgs) >= 1
    elif name == "backprop_as_functor":
        assert any("R[dense(1, 8)]" in s for s in svgs) and any("θ2" in s for s in svgs)
    elif name == "smc_as_composite":
        assert any('id="loop:' in s and "t in 1..T-1" in s for s in svgs)
        assert any("t = 2" in s and "t in 3..T-1" in s for s in svgs)   # unrolled
        (line,) = [t for t in text if t.startswith("particle filter")]
        smc, kalman = map(float, re.findall(r"-?\d+\.\d+", line))
        assert abs(smc - kalman) < 1.5        # three Monte Carlo sds at 2000 particles


def test_the_committed_model_notebook_shows_the_picture_table_loo_law_and_learner():
    check_model_to_posterior(read("model_to_posterior"))
    with pytest.raises(StopIteration):   # the check can fail: the laws notebook has no model
        check_model_to_posterior(read("diagrams_and_laws"))


def test_the_tour_starts_from_the_install_command_too():
    assert install_command() in (ROOT / "docs" / "tour.md").read_text().split("## 1.")[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_every_cell_of_the_notebook_runs_in_a_kernel(name):
    nb = execute(name)
    if name == "model_to_posterior":
        check_model_to_posterior(nb)
    else:
        check_others(nb, name)


if __name__ == "__main__":
    import nbformat
    for name in sys.argv[1:] or NAMES:
        nbformat.write(execute(name), NOTEBOOKS / f"{name}.ipynb")
        print("executed", name)
