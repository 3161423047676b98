"""Models built by hand in the model IR, as the language elaborates them.

:class:`Builder` is do-notation for hypergraphs: each call adds one box
reading existing wires and returns its output wires; ``diagram(*wires)``
closes the graph. The models are the examples of the spec: linreg, eight
schools (non-centred, a plate), lgss and ar1 (a scan), coin (a plate of
Bernoulli flips).
"""
from __future__ import annotations

from catlearn.syntax import Graph, Hypergraph, Ty
from catlearn.syntax.model import INT, Const, Model, Plate, Prim, Sample, Scan

R = Ty("Real")


class Builder:
    def __init__(self, *dom: Ty):
        self.wires = [ob for ty in dom for ob in ty.objects]
        self.dom = tuple(range(len(self.wires)))
        self.boxes, self.inputs, self.outputs = [], [], []

    def box(self, box, *ins: int):
        outs = tuple(range(len(self.wires), len(self.wires) + len(box.cod)))
        self.wires.extend(box.cod.objects)
        self.boxes.append(box)
        self.inputs.append(tuple(ins))
        self.outputs.append(outs)
        return outs[0] if len(outs) == 1 else outs

    def ty(self, w: int) -> Ty:
        return Ty.of((self.wires[w],))

    def const(self, value: float, ty: Ty = R) -> int:
        return self.box(Const(value, ty))

    def prim(self, op: str, *ins: int, cod: Ty = R, **options) -> int:
        return self.box(Prim(op, Ty.of(self.wires[w] for w in ins), cod, **options), *ins)

    def sample(self, site: str, dist: str, *params: int, cod: Ty = R, index=()) -> int:
        dom = Ty.of(self.wires[w] for w in params)
        return self.box(Sample(site, dist, dom, cod, index), *params)

    def diagram(self, *cod: int):
        return Graph(Hypergraph(tuple(self.wires), tuple(self.boxes), tuple(self.inputs),
                                tuple(self.outputs), self.dom, tuple(cod)))


def linreg() -> Model:
    x_ty = R[("N",)]
    b = Builder(x_ty)
    (x,) = b.dom
    w = b.sample("w", "Normal", b.const(0.0), b.const(1.0))
    bias = b.sample("b", "Normal", b.const(0.0), b.const(1.0))
    sigma = b.sample("sigma", "HalfNormal", b.const(1.0))
    mu = b.prim("add", b.prim("mul", w, x, cod=x_ty), bias, cod=x_ty)
    b.sample("y", "Normal", mu, sigma, cod=x_ty)
    return Model("linreg", [("x", x_ty)], b.diagram(mu), ["mu"])


def eight_schools() -> Model:
    nat, sigma_ty = Ty("Nat"), Ty("Pos")[("J",)]
    b = Builder(nat, sigma_ty)
    _, sigma = b.dom
    mu = b.sample("mu", "Normal", b.const(0.0), b.const(5.0))
    tau = b.sample("tau", "HalfCauchy", b.const(5.0))
    # body: j, mu, tau, sigma -> ()
    body = Builder(INT, R, Ty("Pos"), sigma_ty)
    j, mu_, tau_, sigma_ = body.dom
    raw = body.sample("theta_raw", "Normal", body.const(0.0), body.const(1.0))
    theta = body.prim("add", mu_, body.prim("mul", tau_, raw))
    body.sample("y", "Normal", theta, body.prim("index", sigma_, j, cod=Ty("Pos")))
    b.box(Plate(body.diagram(), "j", 0, "J"), mu, tau, sigma)
    return Model("eight_schools", [("J", nat), ("sigma", sigma_ty)], b.diagram())


def _state_space(name: str, rho_latent: bool) -> Model:
    nat = Ty("Nat")
    args = [("T", nat)] if rho_latent else [("T", nat), ("rho", R)]
    b = Builder(*[ty for _, ty in args])
    if rho_latent:
        rho = b.sample("rho", "Uniform", b.const(-1.0), b.const(1.0))
    else:
        rho = b.dom[1]
    x0 = b.sample("x", "Normal", b.const(0.0), b.const(1.0), index=(0,))
    b.sample("y", "Normal", x0, b.const(0.5), index=(0,))
    # body: t, x_prev, rho -> x
    body = Builder(INT, R, R)
    t, x_prev, rho_ = body.dom
    x = body.sample("x", "Normal", body.prim("mul", rho_, x_prev), body.const(1.0))
    body.sample("y", "Normal", x, body.const(0.5))
    b.box(Scan(body.diagram(x), "t", 1, "T", n_state=1), x0, rho)
    return Model(name, args, b.diagram())


def lgss() -> Model:
    return _state_space("lgss", rho_latent=False)


def ar1() -> Model:
    return _state_space("ar1", rho_latent=True)


def coin() -> Model:
    nat = Ty("Nat")
    b = Builder(nat)
    p = b.sample("p", "Beta", b.const(1.0), b.const(1.0), cod=Ty("Prob"))
    body = Builder(INT, Ty("Prob"))
    body.sample("flips", "Bernoulli", body.dom[1], cod=Ty("Int"))
    b.box(Plate(body.diagram(), "i", 0, "n"), p)
    return Model("coin", [("n", nat)], b.diagram())
