"""Markov kernels as pure pairs, and the ways they compose.

A kernel ``K`` on a target density π is a pair of pure functions::

    init(position) -> state
    step(key, state) -> (state, info)

that leaves π invariant: if ``state.position ~ π`` then so is the position of
``step(key, state)``. Kernels on the same target form a monoid under
sequential composition (``k1 >> k2`` runs ``k1`` then ``k2``), and the
invariant measures are closed under cycles, mixtures, repetition and
Gibbs block updates, which is what this module provides.

>>> import jax, jax.numpy as jnp
>>> from catlearn.inference.rmh import rmh
>>> logdensity = lambda x: -0.5 * jnp.sum(x ** 2)
>>> k = repeat(rmh(logdensity, 0.5) >> rmh(logdensity, 1.0), 3)
>>> state, info = k.step(jax.random.key(0), k.init(jnp.zeros(2)))
>>> info[0].is_accepted.shape
(3,)
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple, Sequence

import jax
import jax.numpy as jnp
from jax.flatten_util import ravel_pytree

from catlearn.errors import InferenceError

Position = Any          # any JAX pytree of arrays
LogDensity = Callable[[Position], jax.Array]


class State(NamedTuple):
    """Where a chain is: its position, the log density there and, for kernels
    that use it, its gradient (``None`` otherwise; PMMH keeps there a particle of
    the filter that gave the log density)."""
    position: Position
    logdensity: jax.Array
    logdensity_grad: Position | None


def state_at(logdensity_fn: LogDensity, position: Position, *, grad: bool) -> State:
    """The state at ``position``, with the gradient when ``grad``."""
    if grad:
        value, gradient = jax.value_and_grad(logdensity_fn)(position)
        return State(position, value, gradient)
    return State(position, logdensity_fn(position), None)


@dataclass(frozen=True)
class Kernel:
    """A Markov kernel: ``init(position) -> state``, ``step(key, state) -> (state, info)``."""
    init: Callable[[Position], Any]
    step: Callable[[jax.Array, Any], tuple[Any, Any]]

    def __rshift__(self, other: "Kernel") -> "Kernel":
        """``self >> other``: the cycle that runs ``self`` then ``other``."""
        return cycle([self, other])


def handover(kernel: Kernel, state: Any) -> Any:
    """``state`` as a state of ``kernel``: itself when it already has the
    kernel's type and shapes (free), else the kernel's ``init`` at its position."""
    expected = jax.eval_shape(kernel.init, state.position)
    same_type = jax.tree.structure(expected) == jax.tree.structure(state)
    if same_type and all(e.shape == jnp.shape(s) and e.dtype == jnp.result_type(s)
                         for e, s in zip(jax.tree.leaves(expected), jax.tree.leaves(state))):
        return state
    return kernel.init(state.position)


def cycle(kernels: Sequence[Kernel]) -> Kernel:
    """Run ``kernels`` one after the other; the info is the tuple of their infos."""
    kernels = list(kernels)
    if not kernels:
        raise InferenceError("a cycle needs at least one kernel")

    def step(key, state):
        infos = []
        for kernel, k in zip(kernels, jax.random.split(key, len(kernels))):
            state, info = kernel.step(k, handover(kernel, state))
            infos.append(info)
        return state, tuple(infos)

    return Kernel(kernels[-1].init, step)


def mixture(kernels: Sequence[Kernel], probs: Sequence[float] | jax.Array) -> Kernel:
    """Run one of ``kernels``, the i-th with probability ``probs[i]``.

    The info is ``(index, infos)`` where ``infos[i]`` is the chosen kernel's
    info and the others are zeros.
    """
    kernels = list(kernels)
    probs = jnp.asarray(probs)
    if probs.shape != (len(kernels),):
        raise InferenceError(f"a mixture of {len(kernels)} kernels needs {len(kernels)} "
                             f"probabilities, got shape {probs.shape}")
    common = kernels[0]

    def step(key, state):
        key_choice, key_step = jax.random.split(key)
        index = jax.random.choice(key_choice, len(kernels), p=probs)
        shapes = [jax.eval_shape(k.step, key_step, handover(k, state))[1] for k in kernels]
        zeros = [jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), s) for s in shapes]

        def branch(i):
            def run(state):
                new, info = kernels[i].step(key_step, handover(kernels[i], state))
                infos = zeros[:i] + [info] + zeros[i + 1:]
                return handover(common, new), tuple(infos)
            return run

        state, infos = jax.lax.switch(index, [branch(i) for i in range(len(kernels))],
                                      handover(common, state))
        return state, (index, infos)

    return Kernel(common.init, step)


def repeat(kernel: Kernel, n: int) -> Kernel:
    """Run ``kernel`` ``n`` times; the infos are stacked along a leading axis."""
    if n < 1:
        raise InferenceError(f"repeat needs n >= 1, got {n}")

    def step(key, state):
        return jax.lax.scan(lambda s, k: kernel.step(k, s), state, jax.random.split(key, n))

    return Kernel(kernel.init, step)


def gibbs(logdensity_fn: LogDensity,
          blocks: Mapping[str, Callable[[LogDensity], Kernel]]) -> Kernel:
    """Gibbs updates of the named sites of a dict position, in order.

    ``blocks[name]`` builds a kernel for the conditional density of site
    ``name`` given the others; each step updates every block in turn with a
    kernel for its current conditional, so each update leaves the joint
    density invariant and so does their cycle.

    >>> import jax, jax.numpy as jnp
    >>> from catlearn.inference.rmh import rmh
    >>> logdensity = lambda p: -0.5 * (p["a"] ** 2 + p["b"] ** 2)
    >>> k = gibbs(logdensity, {"a": lambda ld: rmh(ld, 1.0), "b": lambda ld: rmh(ld, 1.0)})
    >>> state, info = k.step(jax.random.key(0), k.init({"a": 0.0, "b": 0.0}))
    >>> sorted(info)
    ['a', 'b']
    """
    names = list(blocks)

    def init(position):
        missing = [n for n in names if n not in position]
        if missing:
            raise InferenceError(f"gibbs blocks {missing} are not sites of the position "
                                 f"(sites: {sorted(position)})")
        return state_at(logdensity_fn, position, grad=False)

    def step(key, state):
        position, infos = dict(state.position), {}
        for name, k in zip(names, jax.random.split(key, len(names))):
            others = dict(position)

            def conditional(value, others=others, name=name):
                return logdensity_fn({**others, name: value})

            kernel = blocks[name](conditional)
            block_state, infos[name] = kernel.step(k, kernel.init(position[name]))
            position[name] = block_state.position
        return state_at(logdensity_fn, position, grad=False), infos

    return Kernel(init, step)


def flat_logdensity(logdensity_fn: LogDensity, position: Position
                    ) -> tuple[jax.Array, Callable[[jax.Array], Position], LogDensity]:
    """``position`` as a flat vector ``x``, the map back, and the density of ``x``:
    the dynamics of gradient-based kernels live on this flattening."""
    x, unravel = ravel_pytree(position)
    return x, unravel, lambda y: logdensity_fn(unravel(y))
