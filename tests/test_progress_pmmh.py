"""PMMH shows progress like the other looping methods: compilation as its own
phase, warm-up and sampling ticked from inside the compiled chain, and
nothing compiled or shown with ``progress=False`` (rmsmc: tests/test_progress.py)."""
import numpy as np

import catlearn as cl
from catlearn import progress


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
    model = cl.load("examples/lgss.cat")["ar1"]
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
