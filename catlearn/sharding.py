"""Scaling out on XLA: particles, chains and minibatches sharded over a device mesh.

A population of ``n`` particles (or chains, or examples of a minibatch) is a
pytree whose leaves carry the population axis first. On a
:class:`jax.sharding.Mesh` of ``d`` devices, sharding that axis puts one
block of ``n / d`` particles on each device,

    X^n  =  X^(n/d) ⊕ … ⊕ X^(n/d)      (block k on device k),

and the compiled program is SPMD: what acts on each particle alone (a
model's step under ``vmap``, a leapfrog step of each chain, a per-example
loss) runs on every block at once, and the few global operations (the sum
of the weights, the CDF a resampling inverts, the mean of a gradient)
become XLA collectives placed by GSPMD. There is no scheduler here: one
``jax.jit`` program, told where its arrays live. Populations whose members
never meet (MCMC chains) run instead as :func:`independent` blocks, one a
device, under ``jax.shard_map``.

Outside ``jit`` :func:`shard` places arrays with ``jax.device_put``; inside,
:func:`constrain` and :func:`replicate` pin the placement of intermediates
with ``jax.lax.with_sharding_constraint``. Every
function takes ``mesh=None`` as "one device" and then does nothing, so an
algorithm calls them unconditionally.

>>> import jax, jax.numpy as jnp
>>> m = mesh(1)
>>> m.axis_names, m.size
(('data',), 1)
>>> x = shard(jnp.zeros((8, 3)), m)
>>> x.sharding.spec
P('data',)
>>> total = jax.jit(lambda x: constrain(2 * x, m).sum())(x)    # one SPMD program
>>> float(total), size(None)
(0.0, 1)
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Union

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from catlearn.errors import CatlearnError, InferenceError

AXIS = "data"
"""The name of the data-parallel axis of the meshes made here."""

Devices = Union[int, Mesh, None]
"""How many devices to use (the first ``n`` of ``jax.devices()``), an explicit
mesh, or ``None`` for the default single device."""


def mesh(devices: Devices = None, *, who: str = "devices",
         error: type[CatlearnError] = InferenceError) -> Optional[Mesh]:
    """The mesh for a ``devices`` option: ``None`` stays ``None`` (one device, no
    sharding), ``n`` is a one-axis mesh named :data:`AXIS` over the first ``n``
    devices, and a :class:`~jax.sharding.Mesh` passes through (the leading
    axis is then sharded over all of its axes). ``who`` names the option in
    messages, e.g. ``"smc(devices = 8)"``.
    """
    if devices is None or isinstance(devices, Mesh):
        return devices
    if isinstance(devices, bool) or not isinstance(devices, (int, np.integer)) or devices < 1:
        raise error(f"{who}: devices must be a positive whole number or a jax.sharding.Mesh, "
                    f"got {devices!r}")
    available = jax.devices()
    if devices > len(available):
        platform = available[0].platform
        hint = (f"; on a CPU, simulate more by setting XLA_FLAGS="
                f"--xla_force_host_platform_device_count={devices} before jax is imported"
                if platform == "cpu" else "")
        raise error(f"{who}: asks for {devices} devices but only {len(available)} "
                    f"{platform} device{'s are' if len(available) > 1 else ' is'} "
                    f"available{hint}")
    return Mesh(np.array(available[:devices]), (AXIS,))


def size(mesh: Optional[Mesh]) -> int:
    """The number of devices a population is spread over (1 without a mesh)."""
    return 1 if mesh is None else mesh.size


def check_divisible(n: int, mesh: Optional[Mesh], what: str, *, who: str = "devices",
                    error: type[CatlearnError] = InferenceError) -> None:
    """Refuse ``n`` ``what`` (particles, chains, examples) that do not split
    into equal blocks over the devices of ``mesh``."""
    d = size(mesh)
    if n % d:
        lower, upper = n - n % d, n + d - n % d
        raise error(f"{who}: {n} {what} do not split evenly over {d} devices; "
                    f"use a multiple of {d}, e.g. {lower or upper} or {upper}")


def mesh_for(devices: Devices, n: int, what: str, method: str, *, option: str | None = None,
             error: type[CatlearnError] = InferenceError) -> Optional[Mesh]:
    """The mesh of a method's ``devices`` option, checked against the ``n`` ``what``
    it will split: messages quote the call, e.g. ``smc(particles = 1002, devices = 4)``.

    >>> mesh_for(None, 1002, "particles", "smc") is None
    True
    """
    shown = f"<a mesh of {devices.size} devices>" if isinstance(devices, Mesh) else devices
    who = f"{method}({option or what} = {n}, devices = {shown})"
    chosen = mesh(devices, who=who, error=error)
    check_divisible(n, chosen, what, who=who, error=error)
    return chosen


def _spec(mesh: Mesh, leaf: Any, replicated: bool) -> NamedSharding:
    split = not replicated and np.ndim(leaf) > 0
    return NamedSharding(mesh, PartitionSpec(mesh.axis_names) if split else PartitionSpec())


def shard(tree: Any, mesh: Optional[Mesh], what: str = "particles", *, who: str = "devices",
          error: type[CatlearnError] = InferenceError) -> Any:
    """Outside ``jit``: place every leaf of ``tree`` with its leading axis split
    over ``mesh`` (``jax.device_put``; scalars replicated), after checking that
    the blocks are equal. A jitted function called on the result computes where
    its inputs live."""
    if mesh is None:
        return tree
    for leaf in jax.tree.leaves(tree):
        if np.ndim(leaf):
            check_divisible(np.shape(leaf)[0], mesh, what, who=who, error=error)
    return jax.tree.map(lambda leaf: jax.device_put(leaf, _spec(mesh, leaf, False)), tree)


def _constrain(tree: Any, mesh: Optional[Mesh], replicated: bool) -> Any:
    if mesh is None:
        return tree
    return jax.tree.map(
        lambda leaf: jax.lax.with_sharding_constraint(leaf, _spec(mesh, leaf, replicated)), tree)


def constrain(tree: Any, mesh: Optional[Mesh]) -> Any:
    """Inside ``jit``: pin the leading axis of every leaf of ``tree`` to be split
    over ``mesh`` (``jax.lax.with_sharding_constraint``; scalars replicated).
    The leading axes must divide evenly (see :func:`check_divisible`)."""
    return _constrain(tree, mesh, replicated=False)


def replicate(tree: Any, mesh: Optional[Mesh]) -> Any:
    """One whole copy of ``tree`` on every device of ``mesh``: parameters, and
    the weights that a global resampling reads in full. Inside or outside ``jit``."""
    return _constrain(tree, mesh, replicated=True)


def spread(population: Any, mesh: Optional[Mesh]) -> Any:
    """A weighted population (a ``NamedTuple`` with ``particles`` and
    ``log_weights``) with its particles split over ``mesh`` and its weights
    whole on every device.

    Resampling is then global and exact: every device holds all ``n`` weights
    (``4n`` bytes), computes the same CDF and the same ancestors as one device
    would, bit for bit, and gathers its block of offspring from wherever the
    parents live (an all-gather that GSPMD inserts). The estimator is the
    single-device one, so it stays unbiased; no island scheme is needed.
    """
    return population._replace(particles=constrain(population.particles, mesh),
                               log_weights=replicate(population.log_weights, mesh))


def independent(fn: Callable[[Any, jax.Array], Any],
                mesh: Optional[Mesh]) -> Callable[[Any, jax.Array], Any]:
    """``fn(population, key)`` run as independent blocks, one on each device of
    ``mesh``, that never communicate: block ``k`` gets its ``n / d`` members and
    the key ``fold_in(key, k)``; every output has the population axis first.

    For MCMC chains. Under GSPMD alone a ``vmap`` of chains whose steps are
    ``while_loop`` s (NUTS's doublings) would agree across devices on every
    iteration whether any chain is still running; as ``jax.shard_map`` blocks
    each device runs its own loops. Results are reproducible for a fixed key
    and number of devices (the blocks' keys depend on it).
    """
    if mesh is None:
        return fn
    axes = mesh.axis_names
    split = PartitionSpec(axes)

    def block(population, key):
        return fn(population, jax.random.fold_in(key, jax.lax.axis_index(axes)))

    # check_vma=False: the blocks' loops start from constants that do not vary
    # across devices and end with values that do, which is what we mean here.
    return jax.jit(jax.shard_map(block, mesh=mesh, in_specs=(split, PartitionSpec()),
                                 out_specs=split, check_vma=False))
