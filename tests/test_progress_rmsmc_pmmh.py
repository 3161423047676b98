"""Resample-move SMC and PMMH show progress like the other looping methods:
compilation as its own phase, PMMH's warm-up and sampling ticked from inside
the compiled chain, and nothing compiled or shown with ``progress=False``."""
import numpy as np

import catlearn as cl
from catlearn import progress

AR1 = """
model ar1(T: Nat) {
    rho ~ Uniform(-1, 1)
    x[0] ~ Normal(0, 1)
    y[0] ~ Normal(x[0], 0.5)
    for t in range(1, T) {
        x[t] ~ Normal(rho * x[t-1], 1)
        y[t] ~ Normal(x[t], 0.5)
    }
}
"""


def test_rmsmc_runs_under_a_bar_when_asked(monkeypatch):
    ran = []
    real = progress.run

    def spy(what, jitted, *args, show):
        ran.append((what, show))
        return real(what, jitted, *args, show=False)
    monkeypatch.setattr(progress, "run", spy)
    program = cl.parse("model m() {\n    z ~ Normal(0, 1)\n    y ~ Normal(z, 1)\n}\n")
    for shown in (True, False):
        post = cl.infer(program["m"], data={"y": 0.5},
                        method=cl.rmsmc(particles=50, stages=3, moves=2, progress=shown))
        assert post.samples["z"].shape[-1] == 50
    assert ran == [("rmsmc on m", True), ("rmsmc on m", False)]


def test_pmmh_compiles_first_then_ticks_through_warmup_and_sampling(monkeypatch):
    seen, bars = [], []
    real_init, real_advance = progress.Bar.__init__, progress.Bar.advance_to

    def init(self, *args, **kwargs):   # the bar counts but draws nothing in the test
        bars.append(kwargs["show"])
        real_init(self, *args, **{**kwargs, "show": False})

    def advance(self, n, phase=0, total=None):
        seen.append((n, self.phases[phase], self.compile_seconds is not None))
        real_advance(self, n, phase, total)

    def compile_spy(self, jitted, *args):
        self.compile_seconds = 0.0
    monkeypatch.setattr(progress.Bar, "__init__", init)
    monkeypatch.setattr(progress.Bar, "advance_to", advance)
    monkeypatch.setattr(progress.Bar, "compile", compile_spy)
    model = cl.parse(AR1)["ar1"]
    y = np.zeros(5, dtype=np.float32)
    cl.infer(model, args={"T": 5}, data={"y": y},
             method=cl.pmmh(particles=16, warmup=20, samples=30, progress=True))
    assert bars == [True]
    assert all(compiled for _, _, compiled in seen)
    assert {phase for n, phase, _ in seen if n <= 20} == {"warmup"}
    assert {phase for n, phase, _ in seen if n > 20} == {"sampling"}
    assert len(seen) > 10 and seen[-1][0] == 50       # ticked along the way, full at the end

    seen.clear()
    cl.infer(model, args={"T": 5}, data={"y": y},
             method=cl.pmmh(particles=16, warmup=20, samples=30, progress=False))
    # no bar shown, no callback compiled: the only count is the bar filling as it closes
    assert bars == [True, False] and seen == [(50, "sampling", False)]
