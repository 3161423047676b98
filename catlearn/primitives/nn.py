"""Neural-network boxes: parametrised layers and activations, and their meaning in Para.

A :class:`Layer` box is a generator of the syntax with no meaning of its own;
its meaning in Para(Euc) is a :class:`~catlearn.categories.para.Parametrised`
map drawn from the layer's registered ``init(key, **data)`` and
``apply(params, x, **data)``. Activations are the deterministic primitives
(``relu``, ``tanh``, ``sigmoid``, ``softmax``) as boxes on a given type, so
they mean the same function in every category and no parameters in Para.

Types describe one example (``Real[4]``); at run time every wire may carry a
leading batch axis, which dense layers and activations map over.

>>> import jax
>>> from catlearn.functor import Functor
>>> from catlearn.categories.para import para
>>> mlp = dense(4, 16) >> relu(16) >> dense(16, 3)
>>> print(mlp.dom, "->", mlp.cod)
Real[4] -> Real[3]
>>> net = Functor(cod=para)(mlp)
>>> params = net.init(jax.random.key(0))
>>> net(params, jax.numpy.ones((5, 4))).shape
(5, 3)
>>> (relu >> dense(16, 3)) == (relu(16) >> dense(16, 3))
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Union

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.para import Para, Parametrised, parametrised
from catlearn.categories.category import box_meaning
from catlearn.categories.sampler import Samplers, deterministic
from catlearn.errors import CatlearnTypeError, CompositionError, DataError, UnknownNameError
from catlearn.syntax.diagram import Box, Diagram
from catlearn.syntax.model import Prim
from catlearn.syntax.ty import Ty

REAL = "Real"


@dataclass(frozen=True)
class LayerKind:
    """How to draw a layer's parameters and how to apply them."""

    init: Callable[..., Any]   # init(key, **data) -> params
    apply: Callable[..., Any]  # apply(params, x, **data) -> y


LAYERS: dict[str, LayerKind] = {}


def register_layer(name: str, init: Callable[..., Any], apply: Callable[..., Any]) -> LayerKind:
    """Give the layer boxes named ``name`` their meaning in Para (for user boxes too)."""
    LAYERS[name] = LayerKind(init, apply)
    return LAYERS[name]


class Layer(Box):
    """A parametrised box ``name : dom -> cod``; its options are box data."""

    def __init__(self, name: str, dom: Ty, cod: Ty, **data: Any):
        super().__init__(name, dom, cod, deterministic=True, **data)

    @property
    def label(self) -> str:
        shown = ", ".join(str(v) for v in self.data.values())
        return f"{self.name}({shown})" if shown else self.name


def dense(n_in: int, n_out: int) -> Layer:
    """The affine layer ``x ↦ x W + b`` from ``Real[n_in]`` to ``Real[n_out]``."""
    for name, size in (("n_in", n_in), ("n_out", n_out)):
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise CatlearnTypeError(f"dense(n_in, n_out): {name} must be a whole number >= 1, "
                                    f"got {size!r}")
    n_in, n_out = int(n_in), int(n_out)
    return Layer("dense", Ty(REAL, shape=(n_in,)), Ty(REAL, shape=(n_out,)),
                 n_in=n_in, n_out=n_out)


def _dense_init(key: Any, n_in: int, n_out: int) -> dict:
    # LeCun-normal weights keep the activations' variance near one at init
    return {"w": jax.nn.initializers.lecun_normal()(key, (n_in, n_out)),
            "b": jnp.zeros((n_out,))}


def _dense_apply(p: dict, x: Any, n_in: int, n_out: int) -> Any:
    if jnp.ndim(x) == 0 or jnp.shape(x)[-1] != n_in:
        raise DataError(f"dense({n_in}, {n_out}) takes {n_in} numbers per example, but its "
                        f"input has shape {jnp.shape(x)}")
    return x @ p["w"] + p["b"]


register_layer("dense", _dense_init, _dense_apply)


class Activation:
    """An activation: ``relu(16)`` (or ``relu(Ty)``) is its box on that type.

    Written alone next to a diagram (``relu >> dense(16, 3)``), it takes the
    type of the wire it meets.
    """

    meets_wire = True  # a diagram's >> and @ let the activation answer

    def __init__(self, op: str):
        self.op = op

    def __call__(self, ty: Union[int, tuple, Ty]) -> Prim:
        if not isinstance(ty, Ty):
            sizes = ty if isinstance(ty, tuple) else (ty,)
            if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1
                       for n in sizes):
                raise CatlearnTypeError(f"{self.op}(n): n is the number of inputs, a whole "
                                        f"number >= 1 (or a Ty), got {ty!r}")
            ty = Ty(REAL, shape=sizes)
        return Prim(self.op, ty, ty)

    def __rshift__(self, other: Diagram) -> Diagram:
        return self(self._diagram(other, ">>").dom) >> other

    def __rrshift__(self, other: Diagram) -> Diagram:
        return other >> self(self._diagram(other, ">>").cod)

    def __matmul__(self, other: Any) -> Diagram:
        raise self._untyped(f"{self.op} @ {_label(other)}")

    def __rmatmul__(self, other: Any) -> Diagram:
        raise self._untyped(f"{_label(other)} @ {self.op}")

    def _diagram(self, other: Any, op: str) -> Diagram:
        if not isinstance(other, Diagram):
            raise CompositionError(f"cannot compose {self.op} {op} the "
                                   f"{type(other).__name__} {other!r}: both sides must be "
                                   "diagrams")
        return other

    def _untyped(self, written: str) -> CompositionError:
        return CompositionError(f"{written}: {self.op} alone takes the type of the wire it "
                                f"meets in >>, but side by side (@) it meets none; give its "
                                f"size, as in {self.op}(2)")

    def __repr__(self) -> str:
        return self.op


def _label(value: Any) -> str:
    return value.label if isinstance(value, Diagram) else repr(value)


relu = Activation("relu")
tanh = Activation("tanh")
sigmoid = Activation("sigmoid")
softmax = Activation("softmax")
softplus = Activation("softplus")

NN: dict[str, Any] = {"dense": dense, "relu": relu, "tanh": tanh, "sigmoid": sigmoid,
                      "softmax": softmax, "softplus": softplus}
"""The neural-network names of the language: layer constructors and activations."""


@box_meaning.register(Layer, Para, object)
def _layer_in_para(box: Layer, cat: Para, functor: Any) -> Parametrised:
    if box.name not in LAYERS:
        raise UnknownNameError(f"layer {box.name!r} has no meaning: register it with "
                               f"register_layer({box.name!r}, init, apply)")
    kind, data = LAYERS[box.name], box.data
    if isinstance(cat.base, Samplers):  # in stochastic Para a layer draws nothing: key unread
        return Parametrised(deterministic(2, 1, lambda p, x: (kind.apply(p, x, **data),)),
                            lambda key: kind.init(key, **data), box.label)
    return parametrised(lambda p, x: kind.apply(p, x, **data),
                        lambda key: kind.init(key, **data), name=box.label)
