"""Diagram construction, equality and interpretation: catlearn against DisCoPy.

Run with ``.venv/bin/python benchmarks/bench_diagrams.py`` (needs
``pip install discopy==1.2.2``; DisCoPy is a benchmark-only peer). DisCoPy is
measured at the sizes it can handle in the same run (its repeated ``>>`` is
quadratic, its hypergraph equality is a graph-isomorphism search, its
function functor nests one closure per box); every ratio compares the two
libraries on the same diagram.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
import time
from typing import Callable

import jax
import jax.numpy as jnp

from catlearn import Box, Functor, Id, Ty, jax_functions


def seconds(work: Callable[[], object], repeat: int = 1) -> tuple[object, float]:
    """The result of ``work`` and its best time over ``repeat`` runs, in CPU
    seconds of this process: the machine is shared, and CPU time does not
    count the time other programs hold the cores."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = work()
        best = min(best, time.process_time() - start)
    return result, best


def chain(box, n: int):
    """``box >> box >> ... >> box``, n boxes, by repeated ``>>``."""
    out = box
    for _ in range(n - 1):
        out = out >> box
    return out


def tensor_of_chains(box, width: int, depth: int):
    """``width`` chains of ``depth`` boxes side by side, by repeated ``@``."""
    column = chain(box, depth)
    out = column
    for _ in range(width - 1):
        out = out @ column
    return out


def grids(box, id_, ty, n: int):
    """An n-by-n grid of boxes built row by row and column by column."""
    row = box
    for _ in range(n - 1):
        row = row @ box
    by_rows = id_(ty ** n)
    for _ in range(n):
        by_rows = by_rows >> row
    by_columns = id_(ty ** n)
    for i in range(n):
        by_columns = by_columns >> (id_(ty ** i) @ chain(box, n) @ id_(ty ** (n - i - 1)))
    return by_rows, by_columns


# -- catlearn ------------------------------------------------------------------
R = Ty("Real")
f = Box("f", R, R)


def catlearn_chain(n: int):
    diagram = chain(f, n)
    return diagram.hypergraph  # the flat form, as DisCoPy builds eagerly


def catlearn_tensor(width: int, depth: int):
    return tensor_of_chains(f, width, depth).hypergraph


def catlearn_equal(n: int) -> bool:
    one, two = grids(f, Id, R, n)
    return one == two


def catlearn_interpret(n: int) -> tuple[float, float]:
    """Seconds for the functor's image plus its first (compiling) call, and
    for a warm call, on a chain of ``n`` boxes."""
    diagram = chain(f, n)
    functor = Functor(ob={R: float}, ar={f: jnp.sin}, cod=jax_functions)
    _, cold = seconds(lambda: functor(diagram)(1.0).block_until_ready())
    image = functor(diagram)
    _, warm = seconds(lambda: image(1.0).block_until_ready(), repeat=20)
    expected = 1.0
    for _ in range(n):
        expected = jnp.sin(expected)
    assert jnp.allclose(image(1.0), expected)
    return cold, warm


# -- DisCoPy ---------------------------------------------------------------------
def discopy_suite():
    from discopy import markov, python

    x = markov.Ty("x")
    g = markov.Box("f", x, x)
    functor = markov.Functor({x: float}, {g: jnp.sin},
                             cod=markov.Category(python.Ty, python.Function))

    def equal(n: int) -> bool:
        one, two = grids(g, markov.Id, x, n)
        return one.to_hypergraph() == two.to_hypergraph()

    def interpret(n: int, how: str) -> float:
        diagram = chain(g, n)
        with python.Function.no_type_checking:
            def run():
                image = functor(diagram)
                if how == "image":
                    return image
                call = jax.jit(lambda a: image(a)) if how == "jit" else image
                return jnp.asarray(call(1.0)).block_until_ready()
            try:
                return seconds(run)[1]
            except RecursionError:
                return float("nan")

    def draw(width: int, depth: int, path: str) -> None:
        import matplotlib
        matplotlib.use("Agg")
        tensor_of_chains(g, width, depth).draw(path=path, show=False)

    return dict(chain=lambda n: chain(g, n), draw=draw,
                tensor=lambda w, d: tensor_of_chains(g, w, d),
                equal=equal, interpret=interpret)


def row(what: str, ours: float, theirs: float) -> None:
    """One comparison; ``theirs`` is NaN where DisCoPy raised RecursionError."""
    shown = "RecursionError" if math.isnan(theirs) else f"{theirs * 1e3:10.1f} ms"
    ratio = "" if math.isnan(theirs) else f"   ratio {theirs / ours:8.1f}x"
    print(f"  {what:<58} catlearn {ours * 1e3:9.2f} ms   DisCoPy {shown}{ratio}", flush=True)


def main() -> None:
    print(f"python {sys.version.split()[0]}, jax {jax.__version__}, "
          f"recursion limit {sys.getrecursionlimit()}; times are CPU time")
    print("\ncatlearn construction by repeated >> (build + flatten), linear growth:")
    for n in (1_000, 2_000, 5_000, 10_000, 20_000):
        _, t = seconds(lambda: catlearn_chain(n), repeat=3)
        print(f"  chain of {n:>6} boxes: {t * 1e3:8.2f} ms   ({t / n * 1e6:.2f} us/box)")
    _, t = seconds(lambda: catlearn_tensor(100, 100), repeat=3)
    print(f"  tensor of 100 chains of 100 by @: {t * 1e3:.2f} ms")
    _, t = seconds(lambda: catlearn_equal(32), repeat=3)
    print(f"  equality of two 1,024-box grids (built by rows / by columns): {t * 1e3:.2f} ms")
    cold, warm = catlearn_interpret(1_000)
    print(f"  JAX image of a 1,000-box chain: image + compile {cold * 1e3:.1f} ms, "
          f"warm call {warm * 1e6:.1f} us")
    with tempfile.TemporaryDirectory() as folder:
        for name, diagram in (("200-box chain", chain(f, 200)),
                              ("10 chains of 20 boxes", tensor_of_chains(f, 10, 20)),
                              ("20-by-10 grid by columns", grids(f, Id, R, 10)[1] >>
                               tensor_of_chains(f, 10, 10))):
            _, t = seconds(lambda: diagram.draw(os.path.join(folder, "d.png")))
            print(f"  drawing of a {name} to PNG: {t * 1e3:.0f} ms")
    cold, warm = catlearn_interpret(10_000)
    print(f"  JAX image of a 10,000-box chain: image + compile {cold * 1e3:.1f} ms, "
          f"warm call {warm * 1e6:.1f} us")

    try:
        peer = discopy_suite()
    except ImportError:
        print("\nDisCoPy is not installed: pip install discopy==1.2.2")
        return
    print("\nagainst DisCoPy 1.2.2 (markov diagrams, python.Function), same sizes "
          "(ratio = DisCoPy time / catlearn time):")
    n = 2_000
    row(f"chain of {n} boxes by >>", seconds(lambda: catlearn_chain(n), 3)[1],
        seconds(lambda: peer["chain"](n))[1])
    row("tensor of 50 chains of 40 by @", seconds(lambda: catlearn_tensor(50, 40), 3)[1],
        seconds(lambda: peer["tensor"](50, 40))[1])
    for side in (4, 6):
        ours, t_ours = seconds(lambda: catlearn_equal(side), 3)
        theirs, t_theirs = seconds(lambda: peer["equal"](side))
        assert ours and theirs
        row(f"equality of two {side * side}-box grids", t_ours, t_theirs)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "d.png")
        row("drawing of 10 chains of 10 boxes to PNG",
            seconds(lambda: tensor_of_chains(f, 10, 10).draw(path))[1],
            seconds(lambda: peer["draw"](10, 10, path))[1])
    steps = {"image": "", "eager": " + eager call", "jit": " + jit compile and call"}
    for n, how in ((2000, "image"), (500, "image"), (300, "eager"), (500, "eager"),
                   (200, "jit"), (500, "jit")):
        ours = Functor(ob={R: float}, ar={f: jnp.sin}, cod=jax_functions)
        diagram = chain(f, n)
        run = {"image": lambda: ours(diagram),
               "eager": lambda: jnp.asarray(ours(diagram).fn(1.0)[0]).block_until_ready(),
               "jit": lambda: ours(diagram)(1.0).block_until_ready()}[how]
        row(f"functor image of a {n}-box chain{steps[how]}", seconds(run)[1],
            peer["interpret"](n, how))

if __name__ == "__main__":
    main()
