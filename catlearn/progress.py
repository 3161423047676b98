"""Progress bars for the methods that loop: compiling, then running.

Every looping method (the MCMC kernels, SMC, PMMH, importance sampling,
``fit``) shows one ``tqdm.auto`` bar (a widget in a notebook), on by default
when the session is interactive (a terminal or a Jupyter kernel) and off
with ``progress=False``. Compilation is its own phase: :meth:`Bar.compile`
lowers and compiles the run ahead of time under the description
``compiling``, then restarts the bar's clock, so its rate and time estimate
count running only (the compiled program is cached, so the call that
follows does not compile again).

Compiled loops advance the bar with :func:`tick`, a ``jax.debug.callback``
every ``every`` iterations (a static number: ``None`` compiles no callback
at all), which calls the module-level :func:`_advance` rather than a closure
over one bar, so the program does not depend on the bar and stays cached.

A leaf module: it imports nothing of catlearn.

>>> with Bar("demo", total=10, show=False) as bar:
...     bar.advance_to(10)
>>> bar.n
10
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable, Optional, Sequence

import jax


def interactive() -> bool:
    """Whether someone is watching: standard error is a terminal, or the code
    runs in a Jupyter (IPython) kernel."""
    if sys.stderr is not None and getattr(sys.stderr, "isatty", lambda: False)():
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") \
        else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def wanted(progress: Optional[bool]) -> bool:
    """``progress`` itself when given; else whether tqdm is installed and the
    session :func:`interactive`."""
    if progress is not None:
        return bool(progress)
    try:
        import tqdm  # noqa: F401  (an optional extra)
    except ImportError:
        return False
    return interactive()


class Bar:
    """One method's bar: ``what`` (``"nuts on linreg"``), ``total`` iterations
    (``None`` when unknown), the ``phases`` a compiled loop reports by index
    (``("warmup", "sampling")``). A disabled bar (``show=False``) still counts."""

    active: Optional["Bar"] = None

    def __init__(self, what: str, total: Optional[int], unit: str = "it",
                 phases: Sequence[str] = ("running",), show: bool = True):
        self.what, self.phases, self.show = what, tuple(phases), show
        self.n, self.total = 0, total
        self.compile_seconds: Optional[float] = None
        self.bar = None
        if show:
            from tqdm.auto import tqdm
            self.bar = tqdm(total=total, desc=f"{what}: {self.phases[0]}", unit=unit,
                            leave=True, file=sys.stderr)

    def compile(self, jitted: Callable, *args: Any, **kwargs: Any) -> None:
        """Compile ``jitted(*args, **kwargs)`` ahead of its call, as its own phase."""
        if self.bar is not None:
            self.bar.set_description(f"{self.what}: compiling", refresh=True)
        start = time.perf_counter()
        jitted.lower(*args, **kwargs).compile()
        self.compile_seconds = time.perf_counter() - start
        if self.bar is not None:  # the clock restarts: estimates count running only
            self.bar.reset(total=self.total)
            self.bar.set_description(f"{self.what}: {self.phases[0]}", refresh=False)
            self.bar.set_postfix_str(f"compiled in {self.compile_seconds:.1f} s")

    def advance_to(self, n: int, phase: int = 0, total: Optional[int] = None) -> None:
        """The loop has done ``n`` iterations, now in ``phases[phase]``."""
        if total is not None:
            self.total = total
        self.n = n
        if self.bar is not None:
            if total is not None:
                self.bar.total = total
            self.bar.set_description(f"{self.what}: {self.phases[phase]}", refresh=False)
            self.bar.update(n - self.bar.n)

    def __enter__(self) -> "Bar":
        Bar.active = self
        return self

    def __exit__(self, *exc) -> None:
        Bar.active = None
        if exc[0] is None and self.total is not None:
            self.advance_to(self.total, len(self.phases) - 1)
        if self.bar is not None:
            self.bar.close()


def run(what: str, jitted: Callable, *args: Any, show: bool) -> Any:
    """``jitted(*args)`` for a method whose loop lives inside one program: a bar
    of one step, compiled first as its own phase, full when the run is done."""
    with Bar(what, 1, show=show) as bar:
        if show:
            bar.compile(jitted, *args)
        return jax.block_until_ready(jitted(*args))


def _advance(t, phase) -> None:
    bar = Bar.active
    if bar is not None:
        bar.advance_to(int(t) + 1, int(phase))


def tick(t: jax.Array, phase: jax.Array, every: Optional[int]) -> None:
    """Inside a compiled loop at iteration ``t``: advance the active bar every
    ``every`` iterations (nothing is compiled when ``every`` is None)."""
    if every:
        jax.lax.cond((t + 1) % every == 0, lambda: jax.debug.callback(_advance, t, phase),
                     lambda: None)


def every(total: int, show: bool) -> Optional[int]:
    """How often a loop of ``total`` iterations ticks: about a hundred times."""
    return max(1, total // 100) if show else None
