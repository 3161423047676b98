"""Found by benchmarks/bench_posteriordb.py: a flat real parameter whose posterior
sits above 88 (kidiq_with_mom_work's intercept, 87.4 +- 0.9) had a NaN gradient in
float32 — exp(u) of the unused one-sided branch overflowed — and NUTS called a
quarter of its transitions divergent."""
import jax
import jax.numpy as jnp
import numpy as np

from catlearn.distributions.bijectors import Bounded
from catlearn.inference.target import Target
from catlearn.lang import parse


def test_the_real_line_branch_has_a_finite_gradient_far_out():
    bijector = Bounded(-jnp.inf, jnp.inf)
    for u in (0.0, 89.0, 1e4, -1e4):
        grad = jax.grad(lambda v: bijector.forward(v) + bijector.log_abs_det_jacobian(v))(
            jnp.float32(u))
        assert float(grad) == 1.0, u


def test_one_sided_and_two_sided_branches_are_unchanged():
    u = jnp.array([-1.0, 0.5, 2.0], jnp.float32)
    np.testing.assert_allclose(Bounded(1.0, jnp.inf).forward(u), 1 + np.exp(u), rtol=1e-6)
    np.testing.assert_allclose(Bounded(-jnp.inf, 1.0).forward(u), 1 - np.exp(u), rtol=1e-6)
    np.testing.assert_allclose(Bounded(0.0, 2.0).forward(u), 2 / (1 + np.exp(-u)), rtol=1e-6)


def test_a_flat_intercept_near_ninety_has_finite_gradients():
    model = parse("model m() {\n b : Real\n s : Pos\n y ~ Normal(b, s)\n}")["m"]
    target = Target(model, {}, {"y": np.float32(90.0)})
    points = jnp.stack([jnp.linspace(80.0, 100.0, 50), jnp.zeros(50)], axis=1)
    points = points if list(target.constrain(points[0]))[0] == "b" else points[:, ::-1]
    grads = jax.vmap(jax.grad(target.logdensity))(points)
    assert bool(jnp.isfinite(grads).all())
