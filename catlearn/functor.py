"""Functors out of string diagrams: one diagram, many meanings.

A :class:`Functor` sends each type atom to an object and each box to a
morphism of a target category, and extends to every diagram by the structure
of the target. The image of a box is looked up in ``ar`` (a dict or a
function of the box); boxes ``ar`` does not cover get their meaning from
:func:`~catlearn.categories.category.box_meaning`, a multiple-dispatch
function of (box kind, category), so a library module can say once what its
boxes mean in each category.

Every box is mapped in one pass over the flat hypergraph; the image of a
diagram is then built by the target (a straight loop for function-like
categories, :func:`catlearn.categories.category.fold` otherwise) and cached
per hypergraph.

>>> import jax.numpy as jnp
>>> from catlearn.syntax import Ty, Box
>>> from catlearn.categories.function import jax_functions
>>> R = Ty("Real")
>>> f, g, merge = Box("f", R, R), Box("g", R, R), Box("merge", R @ R, R)
>>> F = Functor(ob={R: float}, ar={f: jnp.sin, g: jnp.cos, merge: jnp.add}, cod=jax_functions)
>>> round(float(F((f @ g) >> merge)(1.0, 2.0)), 4)
0.4253
"""
from __future__ import annotations

from typing import Any, Callable, Mapping, Union

from catlearn.categories.category import Category, box_meaning, fold
from catlearn.syntax.diagram import Box, Diagram
from catlearn.syntax.ty import Ob, Ty

__all__ = ["Functor", "box_meaning"]


class Functor:
    """A monoidal functor from diagrams into ``cod``.

    ``ob`` maps types (atoms, as one-atom :class:`Ty`) to objects: a dict or a
    function; atoms it does not cover map to themselves. ``ar`` maps boxes to
    morphisms: a dict or a function returning ``None`` for boxes it leaves to
    :func:`box_meaning`.
    """

    def __init__(self, ob: Union[Mapping, Callable, None] = None,
                 ar: Union[Mapping, Callable, None] = None, cod: Category = None):
        if cod is None:
            raise TypeError("a functor needs a target category: cod=...")
        self.cod = cod
        self._ob = ob if ob is not None else {}
        self._ar = ({box.key: image for box, image in ar.items()}
                    if isinstance(ar, Mapping) else ar)
        self._cache: dict = {}

    def ob(self, atom: Union[Ob, Ty]) -> Any:
        """The image of one atom."""
        ty = atom if isinstance(atom, Ty) else Ty.of((atom,))
        if callable(self._ob) and not isinstance(self._ob, Mapping):
            return self._ob(ty)
        return self._ob.get(ty, self._ob.get(Ty(ty.objects[0].name), ty))

    def ar(self, box: Box) -> Any:
        """The image of one box."""
        if isinstance(self._ar, dict):
            image = self._ar.get(box.key)
        elif self._ar is not None:
            image = self._ar(box)
        else:
            image = None
        if image is None:
            image = box_meaning(box, self.cod, self)
        lift = getattr(self.cod, "lift", None)
        return lift(image, box) if lift is not None else image

    def __call__(self, diagram: Diagram) -> Any:
        graph = diagram.hypergraph
        image = self._cache.get(graph)
        if image is None:
            images = [self.ar(box) for box in graph.boxes]
            evaluate = getattr(self.cod, "evaluate", None)
            if evaluate is not None:
                image = evaluate(graph, images, self.ob)
            else:
                image = fold(self.cod, graph, images, self.ob)
            self._cache[graph] = image
        return image
