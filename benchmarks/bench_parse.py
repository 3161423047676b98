"""Parse and elaborate generated programs of 10,000 statements.

Run: .venv/bin/python benchmarks/bench_parse.py [n_statements]

Two programs, each timed best of 3 in CPU time (``time.process_time``, what
the goal is about: the machine may be shared) and in wall time:

(a) typical: one statement per line, the mix of a real program (box
    declarations, point-free diagrams with primitives, checks, data, learners,
    one-line models). The goal, under 1 s, is about this one.
(b) heavy: the first benchmark's mix, a quarter of the statements four-line
    models with a plate, kept for the record.

For each, three figures in the same run: the whole front end (``parse``),
lark's LALR parser alone on the same text building its plain parse tree (the
bound lark puts on any front end built on it), and the peer, CPython's own
parser (``ast.parse``, written in C) on the same statements rendered as
Python assignments.
"""
import ast as python_ast
import os
import sys
import time

import lark

from catlearn.lang import parse
from catlearn.lang.parser import grammar_text

HERE = os.path.dirname(os.path.abspath(__file__))
# data paths resolve against the program's folder: the examples and their data
PROGRAM = os.path.join(HERE, os.pardir, "examples", "bench.cat")


def typical(n: int) -> tuple[str, str]:
    """A program as people write them: short statements, one per line."""
    cat = ["box f : Real -> Real", "box g : Real -> Real", "box merge : Real * Real -> Real",
           "diagram mlp = dense(4, 16) >> relu >> dense(16, 3)"]
    py = ["f = Box('f', Real, Real)", "g = Box('g', Real, Real)",
          "merge = Box('merge', Real @ Real, Real)", "mlp = dense(4, 16) >> relu >> dense(16, 3)"]
    for i in range(n - len(cat)):
        kind = i % 10
        if kind in (0, 1):
            cat.append(f"box b{i} : Real[N, 3] * Pos -> Real[N]")
            py.append(f"b{i} = Box('b{i}', Real[N, 3] @ Pos, Real[N])")
        elif kind == 2:
            cat.append(f"box k{i} : Real -> Real")
            py.append(f"k{i} = Box('k{i}', Real, Real)")
        elif kind == 3:
            cat.append(f"diagram h{i} = (f @ k{i - 1}) >> merge >> copy(Real) >> (g @ f)")
            py.append(f"h{i} = (f @ k{i - 1}) >> merge >> copy(Real) >> (g @ f)")
        elif kind == 4:
            cat.append(f"check (f @ id(Real)) >> (id(Real) @ k{i - 2}) == f @ k{i - 2}")
            py.append(f"c{i} = (f @ id(Real)) >> (id(Real) @ k{i - 2}) == f @ k{i - 2}")
        elif kind == 5:
            cat.append(f"diagram n{i} = dense(4, 8) >> tanh >> dense(8, 3) >> softmax")
            py.append(f"n{i} = dense(4, 8) >> tanh >> dense(8, 3) >> softmax")
        elif kind == 6:
            cat.append(f"learner l{i} = learn mlp with loss = cross_entropy, "
                       "optimizer = adam(0.01)")
            py.append(f"l{i} = learn(mlp, loss=cross_entropy, optimizer=adam(0.01))")
        elif kind == 7 and i % 100 == 7:
            cat.append(f'data c{i} = json("coin.json")')
            py.append(f'c{i} = json("coin.json")')
        elif kind == 7:
            cat.append(f"check copy(Real) >> swap(Real, Real) == copy(Real)")
            py.append(f"c{i} = copy(Real) >> swap(Real, Real) == copy(Real)")
        elif kind == 8:
            cat.append(f"model m{i}(x: Real[N]) {{ w ~ Normal(0, 1) "
                       "y ~ Normal(w * x + 1, 0.5) }")
            py.append(f"def m{i}(x):\n  w = Normal(0, 1); y = Normal(w * x + 1, 0.5)")
        else:
            cat.append(f"model p{i}(n: Nat) {{ p ~ Beta(1, 1) "
                       "for j in range(n) { z[j] ~ Bernoulli(p) } }")
            py.append(f"def p{i}(n):\n  p = Beta(1, 1)\n  for j in range(n): z[j] = "
                      "Bernoulli(p)")
    return "\n".join(cat) + "\n", "\n".join(py) + "\n"


def heavy(n: int) -> tuple[str, str]:
    """The first benchmark: a quarter of the statements four-line models."""
    cat, py = ["box f0 : Real -> Real", "box m0 : Real * Real -> Real"], []
    for i in range(n - 2):
        kind = i % 4
        if kind == 0:
            cat.append(f"box f{i + 1} : Real -> Real")
            py.append(f"f{i + 1} = Box('f', Real, Real)")
        elif kind == 1:
            cat.append(f"diagram d{i} = (f0 @ f{i}) >> m0 >> copy(Real) >> m0")
            py.append(f"d{i} = (f0 @ f{i}) >> m0 >> copy(Real) >> m0")
        elif kind == 2:
            cat.append(f"check (f0 @ id(Real)) >> (id(Real) @ f{i - 1}) == f0 @ f{i - 1}")
            py.append(f"c{i} = (f0 @ id(Real)) >> (id(Real) @ f{i - 1}) == f0 @ f{i - 1}")
        else:
            cat.append(f"model m{i}(x: Real[N], J: Nat) {{\n  w ~ Normal(0, 1)\n"
                       f"  for j in range(J) {{ z[j] ~ Normal(w * x[j] + 1, 0.5) }}\n"
                       f"  y ~ Normal(w * x, 1)\n}}")
            py.append(f"def m{i}(x, J):\n  w = Normal(0, 1)\n"
                      f"  for j in range(J):\n    z[j] = Normal(w * x[j] + 1, 0.5)\n"
                      f"  y = Normal(w * x, 1)\n")
    return "\n".join(cat) + "\n", "\n".join(py) + "\n"


def best_of(fn, repeats: int = 3) -> tuple[float, float]:
    """The least CPU time and the least wall time of ``repeats`` runs."""
    cpu, wall = [], []
    for _ in range(repeats):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start_wall)
    return min(cpu), min(wall)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    parse("box warm : Real -> Real")  # build the LALR tables once
    # lark alone: the same grammar and parser, building its plain parse tree
    bare = lark.Lark(grammar_text(), parser="lalr")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          "times are best of 3, CPU / wall")
    for label, make in (("(a) typical", typical), ("(b) heavy", heavy)):
        cat, py = make(n)
        ours = best_of(lambda: parse(cat, PROGRAM))
        alone = best_of(lambda: bare.parse(cat))
        peer = best_of(lambda: python_ast.parse(py))
        statements = len(parse(cat, PROGRAM).statements)
        print(f"{label}: {statements} statements, {cat.count(chr(10))} lines, "
              f"{len(cat) / 1e3:.0f} kB")
        print(f"  catlearn parse + elaborate: {ours[0]:.3f} / {ours[1]:.3f} s "
              f"({statements / ours[0]:,.0f} statements/s CPU; goal < 1 s)")
        print(f"  lark LALR alone (bound):    {alone[0]:.3f} / {alone[1]:.3f} s")
        print(f"  CPython ast.parse (peer):   {peer[0]:.3f} / {peer[1]:.3f} s")
        print(f"  ratio catlearn / ast.parse: {ours[0] / peer[0]:.1f} (CPU)")


if __name__ == "__main__":
    main()
