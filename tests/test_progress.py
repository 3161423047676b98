"""Progress bars: on when asked (or interactive), compilation a phase of its own."""
import io

import jax
import jax.numpy as jnp
import pytest

from catlearn import progress
from catlearn.inference.chains import sample
from catlearn.inference.nuts import nuts


def test_a_bar_is_wanted_when_asked_and_not_by_default_in_a_pipe(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert progress.wanted(True) and not progress.wanted(False)
    assert not progress.wanted(None)            # not a terminal, not a notebook


def test_mcmc_shows_compiling_then_warmup_and_sampling(monkeypatch):
    seen = []
    real = progress.Bar.advance_to

    def spy(self, n, phase=0, total=None):
        seen.append((n, self.phases[phase], self.compile_seconds is not None))
        real(self, n, phase, total)
    monkeypatch.setattr(progress.Bar, "advance_to", spy)
    draws, _ = sample(nuts, lambda x: -0.5 * jnp.sum(x ** 2), jnp.zeros((2, 3)),
                      jax.random.key(0), warmup=40, samples=60, progress="test",
                      progress_every=10)
    assert draws.shape == (2, 60, 3)
    # every tick came after compilation, warmup ticks first, and the bar ends full
    assert all(compiled for _, _, compiled in seen)
    assert [n for n, _, _ in seen][:4] == [10, 20, 30, 40]
    assert {phase for n, phase, _ in seen if n <= 40} == {"warmup"}
    assert {phase for n, phase, _ in seen if n > 40} == {"sampling"}
    assert seen[-1][0] == 100


def test_no_bar_means_no_callback_compiled():
    """progress=False compiles no callback: the bar's count never moves."""
    with progress.Bar("quiet", total=5, show=False) as bar:
        sample(nuts, lambda x: -0.5 * jnp.sum(x ** 2), jnp.zeros((1, 2)), jax.random.key(1),
               warmup=10, samples=10, progress=False)
        assert bar.n == 0
    assert bar.n == 5                           # a finished bar is full


def test_a_failing_run_leaves_its_bar_where_it_was():
    with pytest.raises(RuntimeError):
        with progress.Bar("failing", total=5, show=False) as bar:
            raise RuntimeError("boom")
    assert bar.n == 0 and progress.Bar.active is None


def test_importance_compiles_as_its_own_phase_then_fills_its_bar(monkeypatch):
    import catlearn as cl
    from catlearn.syntax import Ty
    from catlearn.syntax.model import Const, Model, Sample
    bars = []
    real = progress.Bar.__init__

    def spy(self, *args, **kwargs):
        real(self, *args, **{**kwargs, "show": False})
        bars.append(self)
    monkeypatch.setattr(progress.Bar, "__init__", spy)
    monkeypatch.setattr(progress.Bar, "compile", lambda self, f, *a: setattr(
        self, "compile_seconds", 0.0))
    R = Ty("Real")
    m = Model("m", [], (Const(0.0) @ Const(1.0)) >> Sample("z", "Normal", R @ R, R))
    cl.infer(m, method=cl.importance(particles=20, progress=True))
    (bar,) = bars
    assert bar.what == "importance on m" and bar.compile_seconds == 0.0 and bar.n == 1
    bars.clear()
    cl.infer(m, method=cl.importance(particles=20, progress=False))
    assert bars == []   # progress=False: no bar; the run is the program kept between runs


@pytest.mark.parametrize("method, options", [
    ("smc", {}), ("rmsmc", {"stages": 3, "moves": 2})])
def test_smc_and_rmsmc_run_under_a_bar_when_asked(monkeypatch, method, options):
    import catlearn as cl
    ran = []
    real = progress.run

    def spy(what, jitted, *args, show):
        ran.append((what, show))
        return real(what, jitted, *args, show=False)
    monkeypatch.setattr(progress, "run", spy)
    program = cl.parse("model m() {\n    z ~ Normal(0, 1)\n    y ~ Normal(z, 1)\n}\n")
    make = getattr(cl, method)
    cl.infer(program["m"], data={"y": 0.5}, method=make(particles=50, progress=True, **options))
    cl.infer(program["m"], data={"y": 0.5}, method=make(particles=50, progress=False, **options))
    assert ran == [(f"{method} on m", True), (f"{method} on m", False)]
