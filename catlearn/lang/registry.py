"""What a program can name: diagram-level primitives, functions, distributions.

A program reaches only registered names; there is no ``eval`` and no import
from the language. Point-free primitives (``id(Real)``, ``dense(4, 16)``,
``relu``) live in :data:`DIAGRAM_PRIMITIVES`; deterministic functions of model
bodies in :data:`catlearn.primitives.ops.PRIMITIVES`; distributions in
:data:`catlearn.distributions.DISTRIBUTIONS`. The three ``register_*``
functions below are the extension points for Python users.

>>> from catlearn.syntax import Ty
>>> DIAGRAM_PRIMITIVES["swap"].make(Ty("Real"), Ty("Pos")).cod
Ty('Pos', 'Real')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from catlearn import distributions
from catlearn.primitives import ops
from catlearn.syntax.diagram import Copy, Diagram, Discard, Id, Swap
from catlearn.syntax.model import Prim
from catlearn.syntax.ty import Ty


@dataclass(frozen=True)
class DiagramPrimitive:
    """A point-free primitive ``name(params)``: ``make(*args)`` gives its diagram.

    ``params`` maps each parameter's name to its kind, :class:`Ty` or ``int``. An ``elementwise`` primitive
    is polymorphic: written without arguments (``relu``) its type is read off
    its neighbour in ``>>``, and ``make(ty)`` gives it on ``ty -> ty``.
    """

    name: str
    make: Callable[..., Diagram]
    params: dict[str, type]
    optional: int = 0  # how many trailing params may be left out
    elementwise: bool = False

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


DIAGRAM_PRIMITIVES: dict[str, DiagramPrimitive] = {}


def register_diagram_primitive(name: str, make: Callable[..., Diagram],
                               params: Optional[dict[str, type]] = None, *, optional: int = 0,
                               elementwise: bool = False) -> DiagramPrimitive:
    """Make ``name(params)`` usable in ``diagram`` expressions.

    ``params`` maps parameter names to kinds in order, e.g. ``{"n_in": int, "n_out": int}``.
    """
    prim = DiagramPrimitive(name, make, dict(params or {}), optional, elementwise)
    DIAGRAM_PRIMITIVES[name] = prim
    return prim


def register_function(name: str, fn: Callable[..., Any], arity: Optional[int] = None,
                      shape: Optional[Callable] = None, doc: str = "") -> ops.Primitive:
    """Make ``name(...)`` callable in model bodies (see :func:`ops.register_primitive`)."""
    return ops.register_primitive(name, fn, arity, shape, doc)


def register_distribution(name: str, cls: type) -> type:
    """Make ``x ~ name(...)`` available (see :func:`catlearn.distributions.register`)."""
    return distributions.register(name, cls)


def _elementwise(op: str) -> Callable[[Ty], Diagram]:
    return lambda ty: Prim(op, ty, ty)


def _dense(n_in: int, n_out: int) -> Diagram:
    from catlearn.primitives.nn import dense  # the layer and its meaning in Para
    return dense(n_in, n_out)


register_diagram_primitive("id", Id, {"T": Ty})
register_diagram_primitive("swap", Swap, {"A": Ty, "B": Ty})
register_diagram_primitive("copy", Copy, {"T": Ty, "n": int}, optional=1)
register_diagram_primitive("discard", Discard, {"T": Ty})
register_diagram_primitive("dense", _dense, {"n_in": int, "n_out": int})


def _layer(name: str, shaped: bool = False) -> Callable[..., Diagram]:
    """The layer constructor ``name`` of :mod:`catlearn.primitives.layers`; with
    ``shaped``, its shape arguments are written as types (``Real[5, 8]``)."""
    def make(*args: Any) -> Diagram:
        from catlearn.primitives import layers
        return getattr(layers, name)(*(a.objects[0].shape if shaped and isinstance(a, Ty)
                                       else a for a in args))
    return make


register_diagram_primitive("conv2d", _layer("conv2d"), {
    "height": int, "width": int, "c_in": int, "c_out": int, "kernel": int, "stride": int},
    optional=2)
register_diagram_primitive("max_pool", _layer("max_pool"), {
    "height": int, "width": int, "channels": int, "window": int}, optional=1)
register_diagram_primitive("reshape", _layer("reshape", shaped=True), {"A": Ty, "B": Ty})
register_diagram_primitive("embedding", _layer("embedding"),
                           {"vocab": int, "dim": int, "length": int})
register_diagram_primitive("layer_norm", _layer("layer_norm", shaped=True), {"T": Ty})
register_diagram_primitive("attention", _layer("attention"),
                           {"length": int, "dim": int, "heads": int}, optional=1)
for _op in ("relu", "tanh", "sigmoid", "softmax", "softplus", "exp", "log"):
    register_diagram_primitive(_op, _elementwise(_op), {"T": Ty}, elementwise=True)
