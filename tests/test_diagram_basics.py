"""The string-diagram core: construction, typing, equality, evaluation."""
import jax.numpy as jnp
import pytest

from catlearn import (Box, CompositionError, Copy, Discard, Functor, Id, Swap, Ty,
                      jax_functions)

R, P = Ty("Real"), Ty("Pos")
f, g = Box("f", R, R), Box("g", R, R)
merge = Box("merge", R @ R, R)


def test_types():
    assert R @ Ty() == R and len(R @ P) == 2
    assert str(R[3, 4] @ P) == "Real[3, 4] * Pos"
    assert (R @ P)[1] == P and (R @ P @ R)[1:] == P @ R
    assert hash(R @ P) == hash(Ty("Real", "Pos"))


def test_composition_checks_types():
    with pytest.raises(CompositionError) as err:
        f >> merge
    assert "Real * Real" in str(err.value) and "f" in str(err.value)


def test_markov_axioms():
    assert (f @ Id(R)) >> (Id(R) @ g) == f @ g
    assert (f @ g) >> Swap(R, R) == Swap(R, R) >> (g @ f)
    assert Copy(R) >> (Id(R) @ Discard(R)) == Id(R)
    assert Copy(R) >> Swap(R, R) == Copy(R)
    assert f >> g != g >> f
    assert Copy(R) >> (f @ f) != f >> Copy(R)
    d = Box("d", R, R, deterministic=True)
    assert Copy(R) >> (d @ d) == d >> Copy(R)
    assert f >> Discard(R) == Discard(R)
    score = Box("score", R, Ty(), discardable=False)
    assert Copy(R) >> (score @ Id(R)) != Id(R)


def test_long_chain_no_recursion():
    chain = f
    for _ in range(9999):
        chain = chain >> f
    assert len(chain.boxes) == 10000
    F = Functor(ar={f: lambda x: x + 1.0}, cod=jax_functions)
    assert float(F(chain)(0.0)) == 10000.0


def test_functor_runs_jitted():
    F = Functor(ob={R: float}, ar={f: jnp.sin, g: jnp.cos, merge: jnp.add}, cod=jax_functions)
    out = F((f @ g) >> merge)(1.0, 2.0)
    assert jnp.allclose(out, jnp.sin(1.0) + jnp.cos(2.0))
