"""Parse and elaborate a generated program of 10,000 statements.

Run: .venv/bin/python benchmarks/bench_parse.py [n_statements]

The program mixes box declarations, point-free diagrams, checks and small
models (four lines each, one with a plate). The peer is CPython's own parser
(`ast.parse`, written in C) on a Python program of the same statements
rendered as assignments, measured in the same run: it bounds what any parser
written in Python can hope for.
"""
import ast as python_ast
import sys
import time

from catlearn.lang import parse


def generate(n: int) -> tuple[str, str]:
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


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    cat, py = generate(n)
    parse("box warm : Real -> Real")  # build the LALR tables once
    ours = best_of(lambda: parse(cat))
    peer = best_of(lambda: python_ast.parse(py))
    program = parse(cat)
    print(f"{len(program.statements)} statements, {cat.count(chr(10))} lines, "
          f"{len(cat) / 1e3:.0f} kB")
    print(f"catlearn parse + elaborate: {ours:.3f} s  ({len(program.statements) / ours:,.0f} "
          f"statements/s; goal < 1 s)")
    print(f"CPython ast.parse (peer):   {peer:.3f} s")
    print(f"ratio catlearn / ast.parse: {ours / peer:.1f}")


if __name__ == "__main__":
    main()
