"""The category of JAX functions: objects are lists of array types, morphisms
are pure functions on arrays.

A diagram's image is one Python function that runs its hypergraph as a
straight loop over wire values; calling it runs it under ``jax.jit``, so the
whole diagram becomes one XLA program, traced once.

>>> import jax.numpy as jnp
>>> double = Function(1, 1, lambda x: (2 * x,))
>>> jax_functions.compose(double, double)(3.0).item()
12.0
>>> [x.item() for x in jax_functions.copy([float])(1.5)]
[1.5, 1.5]
"""
from __future__ import annotations

from functools import cached_property
from typing import Any, Callable, Sequence

import jax

from catlearn.syntax.hypergraph import Hypergraph, evaluate


class Function:
    """A morphism ``n inputs -> m outputs``: ``fn(*xs)`` returns a tuple of ``m``.

    Calling a :class:`Function` runs the jitted ``fn`` and unwraps a single
    output; ``fn`` itself stays traceable inside other JAX programs.
    """

    def __init__(self, n_in: int, n_out: int, fn: Callable[..., tuple]):
        self.n_in, self.n_out, self.fn = n_in, n_out, fn

    @cached_property
    def jitted(self) -> Callable[..., tuple]:
        return jax.jit(self.fn)

    def __call__(self, *xs: Any) -> Any:
        out = self.jitted(*xs)
        return out[0] if self.n_out == 1 else out

    def __repr__(self) -> str:
        return f"Function({self.n_in} -> {self.n_out})"


class JaxFunctions:
    """The category of JAX functions, with its straight-line evaluator."""

    def lift(self, image: Any, box) -> Function:
        """A box's image as a :class:`Function` (a plain function may return
        one bare array when the box has one output)."""
        if isinstance(image, Function):
            return image
        n_in, n_out = len(box.dom), len(box.cod)
        if n_out == 1:
            return Function(n_in, 1, lambda *xs: (image(*xs),))
        return Function(n_in, n_out, lambda *xs: tuple(image(*xs)))

    def id(self, ty: Sequence[Any]) -> Function:
        return Function(len(ty), len(ty), lambda *xs: xs)

    def compose(self, f: Function, g: Function) -> Function:
        return Function(f.n_in, g.n_out, lambda *xs: g.fn(*f.fn(*xs)))

    def tensor(self, f: Function, g: Function) -> Function:
        k = f.n_in
        return Function(f.n_in + g.n_in, f.n_out + g.n_out,
                        lambda *xs: tuple(f.fn(*xs[:k])) + tuple(g.fn(*xs[k:])))

    def swap(self, left: Sequence[Any], right: Sequence[Any]) -> Function:
        k = len(left)
        return Function(k + len(right), k + len(right), lambda *xs: xs[k:] + xs[:k])

    def copy(self, ty: Sequence[Any]) -> Function:
        return Function(len(ty), 2 * len(ty), lambda *xs: xs + xs)

    def discard(self, ty: Sequence[Any]) -> Function:
        return Function(len(ty), 0, lambda *xs: ())

    def evaluate(self, graph: Hypergraph, images: Sequence[Any], ob) -> Function:
        fns = [image.fn for image in images]
        return Function(len(graph.dom), len(graph.cod),
                        lambda *xs: evaluate(graph, lambda i, args: fns[i](*args), xs))


jax_functions = JaxFunctions()
