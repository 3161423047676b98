"""PRNG keys, as every random function of catlearn takes them.

A key is what ``jax.random.key(seed)`` (or the older ``PRNGKey``) makes; a bare
seed, a float or ``None`` in its place is a mistake named here before JAX
meets it.

>>> require_key("fit", 0)
Traceback (most recent call last):
...
catlearn.errors.CatlearnTypeError: fit: key must be a JAX key such as jax.random.key(0), got the int 0
"""
from __future__ import annotations

from typing import Any

from catlearn.errors import CatlearnTypeError


def is_key(value: Any) -> bool:
    """A typed key (``jax.random.key``) or a raw ``uint32[2]`` one (``PRNGKey``)."""
    import jax
    import jax.numpy as jnp
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return False
    if jnp.issubdtype(dtype, jax.dtypes.prng_key):
        return True
    return str(dtype) == "uint32" and tuple(getattr(value, "shape", ())) == (2,)


def require_key(owner: str, value: Any) -> Any:
    """``value``, refused unless it is a key."""
    if not is_key(value):
        shown = f"the {type(value).__name__} {value!r}" if not hasattr(value, "shape") else \
            f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
        hint = f"jax.random.key({value})" if isinstance(value, int) and not isinstance(
            value, bool) else "jax.random.key(0)"
        raise CatlearnTypeError(f"{owner}: key must be a JAX key such as {hint}, got {shown}")
    return value


def key_of_seed(seed: int) -> Any:
    """``jax.random.key(seed)``, made on the host where its data are known: for
    the default generator (threefry) and a seed in ``[0, 2**31)`` they are
    ``[0, seed]``. Made by JAX, eagerly, the key costs two compiled programs
    (loaded from the persistent cache, ~40 ms of a second run before it samples).

    >>> import jax
    >>> bool((jax.random.key_data(key_of_seed(7)) == jax.random.key_data(jax.random.key(7))).all())
    True
    """
    import jax
    import numpy as np
    if (jax.config.jax_default_prng_impl == "threefry2x32" and isinstance(seed, int)
            and 0 <= seed < 2 ** 31):
        return jax.random.wrap_key_data(np.array([0, seed], np.uint32))
    return jax.random.key(seed)
