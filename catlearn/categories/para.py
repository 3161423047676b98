"""Para(C): morphisms that carry their own parameters.

For a symmetric monoidal category C, a morphism ``A -> B`` of Para(C) is a
parameter object ``P`` with a morphism ``P ⊗ A -> B`` of C. Here ``P`` is one
wire carrying a JAX pytree, and a :class:`Parametrised` holds the C-morphism
(``arrow``, parameters on its first input wire) and ``init``, a function of a
PRNG key drawing a point of ``P``. Composition and tensor pair the
parameters::

    (P, f) ; (Q, g) = (P × Q,  (p, q), a  ↦  g(q, f(p, a)))
    (P, f) ⊗ (Q, g) = (P × Q,  (p, q), a, c  ↦  f(p, a), g(q, c))

and a map ``r : Q -> P`` re-parametrises ``(P, f)`` into ``(Q, (q, a) ↦ f(r(q), a))``.
Para is built over any category with the functor protocol and an ``unpair``
(one wire holding an n-tuple spread on n wires): :data:`para` over JAX
functions (Para(Euc)), ``Para(lenses)`` (parametric lenses),
``Para(simple_lenses)`` (the learners of *Learners' Languages*) and
``Para(samplers)`` (Shiebler's stochastic Para).

A diagram's image is one straight-line program of C whose parameters are the
tuple of its boxes' parameters, in the diagram's box order.

>>> import jax, jax.numpy as jnp
>>> scale = parametrised(lambda p, x: p * x, lambda key: 2.0)
>>> shift = parametrised(lambda p, x: p + x, lambda key: 1.0)
>>> both = para.compose(scale, shift)
>>> params = both.init(jax.random.key(0))
>>> params, float(both(params, 5.0))
((2.0, 1.0), 11.0)
>>> halved = para.reparametrise(scale, Function(1, 1, lambda q: (q / 2,)), lambda key: 8.0)
>>> float(halved(8.0, 5.0))
20.0
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import jax
from multipledispatch import Dispatcher

from catlearn.categories.category import fold
from catlearn.categories.function import Function, JaxFunctions, jax_functions
from catlearn.categories.category import box_meaning
from catlearn.errors import CompositionError, NotSupportedError
from catlearn.syntax.diagram import Box, Diagram
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.ty import Ob, Ty

Init = Callable[[Any], Any]

PARAMETERS = Ob("Parameters")
"""The type of the parameter wires that Para adds to a diagram's boxes."""


def no_parameters(key: Any) -> tuple:
    """The unit parameter object: nothing to draw."""
    return ()


def _pictured(f: "Parametrised", g: "Parametrised", join: Callable) -> Optional[Diagram]:
    """The picture of a composite: its parts' pictures joined (when both have one)."""
    return None if f.picture is None or g.picture is None else join(f.picture, g.picture)


class Parametrised:
    """A morphism of Para(C): ``arrow : P ⊗ A -> B`` in C and ``init : key -> P``.

    ``names`` mirrors the top of the parameter pytree with the names of the
    layers that own each part, so errors can say which layer went wrong.
    ``dom`` and ``cod`` are its types (``None`` when made without them); Para
    refuses to compose morphisms whose types differ. ``picture``, when it was
    made from a diagram, is that diagram with its parameters as wires from above.
    """

    def __init__(self, arrow: Any, init: Init = no_parameters, names: Any = (),
                 dom: Optional[Ty] = None, cod: Optional[Ty] = None,
                 picture: Optional[Diagram] = None):
        self.arrow, self.init, self.names = arrow, init, names
        self.dom, self.cod, self.picture = dom, cod, picture

    def draw(self, path: Optional[str] = None, backward: bool = False, **options: Any) -> Any:
        """The picture: parameters as wires from above into the boxes that own
        them; with ``backward``, the backward pass of the lens under it (a
        matplotlib Figure, written to ``path`` if given)."""
        if self.picture is None:
            raise NotSupportedError(f"{self!r} has no picture: only a Para map made from a "
                                    "diagram knows it")
        if backward and not hasattr(self.arrow, "put"):
            raise NotSupportedError(f"{self!r} is not a lens: only a lens has a backward "
                                    "pass (send it through parametric_lens first)")
        from catlearn.syntax.lens_picture import backward_picture
        return (backward_picture(self.picture) if backward else self.picture).draw(
            path, **options)

    def _repr_svg_(self) -> Optional[str]:
        from catlearn.syntax.drawing import svg_of
        return None if self.picture is None else svg_of(self.draw())

    @property
    def n_in(self) -> int:
        return self.arrow.n_in - 1

    @property
    def n_out(self) -> int:
        return self.arrow.n_out

    def __call__(self, *args: Any) -> Any:
        """Run the arrow: ``f(params, *xs)`` in Para(Euc), ``f(key, params, *xs)``
        in stochastic Para."""
        return self.arrow(*args)

    def __repr__(self) -> str:
        if self.dom is None or self.cod is None:
            return f"Parametrised({self.arrow!r})"
        return f"Parametrised({self.dom} -> {self.cod})"


def parametrised(fn: Callable[..., Any], init: Init, n_in: int = 1, n_out: int = 1,
                 name: str = "", dom: Optional[Ty] = None,
                 cod: Optional[Ty] = None) -> Parametrised:
    """A morphism of Para(Euc) from ``fn(params, *xs)`` (one bare output when
    ``n_out == 1``) and ``init(key)``."""
    arrow = Function(n_in + 1, n_out, (lambda *a: (fn(*a),)) if n_out == 1
                     else (lambda *a: tuple(fn(*a))))
    return Parametrised(arrow, init, name, dom, cod)


def _then_types(f: Parametrised, g: Parametrised) -> tuple:
    if f.cod is not None and g.dom is not None and f.cod != g.dom:
        raise CompositionError(f"cannot compose {f!r} with {g!r} in Para: the first gives "
                               f"{f.cod}, the second takes {g.dom}")
    return f.dom, g.cod


def _both(a: Optional[Ty], b: Optional[Ty]) -> Optional[Ty]:
    return None if a is None or b is None else a @ b


unpair = Dispatcher("unpair")
"""``unpair(category, n)``: the C-morphism spreading one n-tuple wire on n wires."""


@unpair.register(object, int)
def _unpair_method(cat: Any, n: int) -> Any:
    return cat.unpair(n)


@unpair.register(JaxFunctions, int)
def _unpair_function(cat: JaxFunctions, n: int) -> Function:
    return Function(1, n, tuple)


class Para:
    """The category Para(C) over a base category ``base``."""

    def __init__(self, base: Any = jax_functions):
        self.base = base

    def __repr__(self) -> str:
        return f"Para({type(self.base).__name__})"

    def wires(self, n: int) -> list:
        return [None] * n

    def embed(self, arrow: Any) -> Parametrised:
        """A C-morphism as a morphism of Para(C) with no parameters."""
        return Parametrised(self.base.tensor(self.base.discard([PARAMETERS]), arrow))

    def id(self, ty: Sequence[Any]) -> Parametrised:
        return self.embed(self.base.id(ty))

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Parametrised:
        return self.embed(self.base.swap(left, right))

    def copy(self, ty: Sequence[Any]) -> Parametrised:
        return self.embed(self.base.copy(ty))

    def discard(self, ty: Sequence[Any]) -> Parametrised:
        return self.embed(self.base.discard(ty))

    def compose(self, f: Parametrised, g: Parametrised) -> Parametrised:
        """``(p, q), a ↦ g(q, f(p, a))``: spread the pair, run f beside q, then g."""
        C, a = self.base, self.wires(f.n_in)
        arrow = C.compose(C.tensor(unpair(C, 2), C.id(a)),
                          C.tensor(C.swap([PARAMETERS], [PARAMETERS]), C.id(a)))
        dom, cod = _then_types(f, g)
        arrow = C.compose(arrow, C.tensor(C.id([PARAMETERS]), f.arrow))
        return Parametrised(C.compose(arrow, g.arrow), pair_init(f.init, g.init),
                            (f.names, g.names), dom, cod, _pictured(f, g, Diagram.then))

    def tensor(self, f: Parametrised, g: Parametrised) -> Parametrised:
        """``(p, q), a, c ↦ f(p, a), g(q, c)``."""
        C, a, c = self.base, self.wires(f.n_in), self.wires(g.n_in)
        arrow = C.compose(C.tensor(unpair(C, 2), C.id(a + c)),
                          C.tensor(C.tensor(C.id([PARAMETERS]),
                                            C.swap([PARAMETERS], a)), C.id(c)))
        arrow = C.compose(arrow, C.tensor(f.arrow, g.arrow))
        return Parametrised(arrow, pair_init(f.init, g.init), (f.names, g.names),
                            _both(f.dom, g.dom), _both(f.cod, g.cod),
                            _pictured(f, g, Diagram.tensor))

    def reparametrise(self, f: Parametrised, r: Any, init: Init) -> Parametrised:
        """``(Q, (q, a) ↦ f(r(q), a))`` for a C-morphism ``r : Q -> P``."""
        C = self.base
        arrow = C.compose(C.tensor(r, C.id(self.wires(f.n_in))), f.arrow)
        return Parametrised(arrow, init, f.names, f.dom, f.cod)

    def evaluate(self, graph: Hypergraph, images: Sequence[Parametrised], ob) -> Parametrised:
        """The diagram as one C-morphism whose boxes read their own parameter wire."""
        C, n = self.base, len(images)
        first = len(graph.wires)
        with_parameters = Hypergraph(
            graph.wires + (PARAMETERS,) * n, graph.boxes,
            tuple((first + i,) + ins for i, ins in enumerate(graph.inputs)),
            graph.outputs, tuple(range(first, first + n)) + graph.dom, graph.cod)
        arrows = [image.arrow for image in images]
        evaluate = getattr(C, "evaluate", None)
        body = (evaluate(with_parameters, arrows, ob) if evaluate is not None
                else fold(C, with_parameters, arrows, ob))
        arrow = C.compose(C.tensor(unpair(C, n), C.id(self.wires(len(graph.dom)))), body)
        inits = [image.init for image in images]
        names = tuple(jax.tree.map(lambda name, i=i: f"box {i} ({name})", image.names)
                      for i, image in enumerate(images))
        return Parametrised(arrow, tuple_init(inits), names, graph.dom_type, graph.cod_type)

    def lift(self, image: Any, box: Box) -> Parametrised:
        """A box's image: a :class:`Parametrised`, or a C-morphism without parameters."""
        if isinstance(image, Parametrised):
            if image.names and image.dom is not None:
                return image
            return Parametrised(image.arrow, image.init, image.names or box.name, box.dom,
                                box.cod)
        lift = getattr(self.base, "lift", None)
        return self.embed(lift(image, box) if lift is not None else image)


def pair_init(f: Init, g: Init) -> Init:
    """Draw the parameters of a pair with independent halves of the key."""
    def init(key):
        kf, kg = jax.random.split(key)
        return f(kf), g(kg)
    return init


def tuple_init(inits: Sequence[Init]) -> Init:
    def init(key):
        keys = jax.random.split(key, max(len(inits), 1))
        return tuple(f(k) for f, k in zip(inits, keys))
    return init


@box_meaning.register(Box, Para, object)
def _base_meaning(box: Box, cat: Para, functor: Any) -> Parametrised:
    """A box with a meaning in C means the same in Para(C), with no parameters."""
    return cat.embed(cat.base.lift(box_meaning(box, cat.base, functor), box))


para = Para(jax_functions)
"""Para(Euc): parametrised JAX functions."""
