"""Sharded SMC, NUTS chains and training on 4 simulated CPU devices.

Each fixture runs one snippet in a fresh interpreter with
``XLA_FLAGS=--xla_force_host_platform_device_count=4`` (see
``scaling_support.py``) and the tests check what it reports against
closed forms (the Kalman filter), the eight-schools posterior and the
single-device run of the same program.
"""
import math
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from scaling_support import KALMAN, LGSS, kalman, run_on_devices

SETUP = """
import json
import jax, jax.numpy as jnp, numpy as np
from catlearn import sharding
from catlearn.lang import parse
a = json.load(open("examples/lgss.json"))
lgss = parse(open("examples/lgss.cat").read(), "examples/lgss.cat")["lgss"]
def spec(x):
    return str(tuple(x.sharding.spec))
"""

SMC = SETUP + """
from catlearn.errors import InferenceError
from catlearn.inference.api import infer
from catlearn.inference.smc import bootstrap_filter, smc
from catlearn.inference.streaming import chunked_filter
from catlearn.inference.target import Target
args, data = {"T": a["T"], "rho": 0.9}, {"y": a["y"]}
posts = {str(d): infer(lgss, args, data, method=smc(particles=8000, devices=d, smoothed=0))
         for d in (None, 4)}
program = parse('''
data a = json("lgss.json")
model lgss(T: Nat, rho: Real) {
    x[0] ~ Normal(0, 1)
    y[0] ~ Normal(x[0], 0.5)
    for t in range(1, T) {
        x[t] ~ Normal(rho * x[t-1], 1)
        y[t] ~ Normal(x[t], 0.5)
    }
}
infer lgss(T = a.T, rho = 0.9) given (y = a.y) with smc(particles = 8000, devices = 4, smoothed = 0)
''', "examples/sharded.cat")
again = program.queries()[0].run()["log_evidence"]
try:
    smc(particles=1002, devices=4)
    refused = ""
except InferenceError as err:
    refused = str(err)

# the estimator Z of p(y_0..9) over 4000 independent runs of 64 particles on 4 devices
four = sharding.mesh(4)
short = Target(lgss, {"T": 10, "rho": 0.9}, {"y": a["y"][:10]}).sequential()
log_z = jax.jit(jax.vmap(lambda k: bootstrap_filter(k, short, 64, mesh=four).log_evidence))(
    jax.random.split(jax.random.key(1), 4000))

whole = Target(lgss, args, data).sequential()
streamed = chunked_filter(jax.random.key(3), whole, 4000, chunk=33, mesh=four)
result = {"runs": {d: post.log_evidence for d, post in posts.items()},
          "sample_specs": [spec(v) for v in posts["4"].samples.values()], "again": again, "refused": refused,
          "log_z": np.asarray(log_z, float).tolist(),
          "particles_spec": spec(streamed.population.particles.env["carry0"]),
          "weights_spec": spec(streamed.population.log_weights),
          "streamed": streamed.log_evidence,
          "streamed_means": np.asarray(streamed.means.env["carry0"], float).tolist(),
          "streamed_ess": [float(streamed.ess.min()), float(streamed.ess.max())]}
"""


@pytest.fixture(scope="module")
def smc_on_4():
    return run_on_devices(SMC)


def test_sharded_smc_gives_the_kalman_evidence_bit_for_bit_as_one_device(smc_on_4):
    runs = smc_on_4["runs"]
    assert abs(runs["4"] - KALMAN) < 1.0                      # ~3 MC sds at 8000 particles
    # the weights are whole on every device, so every resampling picks the same
    # ancestors as on one device: the same number, not just a close one
    assert runs["4"] == runs["None"] == smc_on_4["again"]


def test_particles_are_split_and_weights_replicated(smc_on_4):
    assert smc_on_4["sample_specs"] and set(smc_on_4["sample_specs"]) == {"(None, 'data')"}
    assert smc_on_4["particles_spec"] == "('data',)"
    assert smc_on_4["weights_spec"] == "()"
    assert "1002 particles do not split evenly over 4 devices" in smc_on_4["refused"]
    assert "smc(particles = 1002, devices = 4)" in smc_on_4["refused"]


def test_sharded_evidence_estimator_is_unbiased(smc_on_4):
    exact = kalman(LGSS["y"][:10])[0]
    ratios = [math.exp(z - exact) for z in smc_on_4["log_z"]]
    n = len(ratios)
    mean = sum(ratios) / n
    se = math.sqrt(sum((r - mean) ** 2 for r in ratios) / (n - 1) / n)
    assert abs(mean - 1) < 4 * se and se < 0.05               # E[Z] = p(y)
    # ...while log Z is biased low (Jensen): the check has the power to see a bias
    logs = smc_on_4["log_z"]
    mean_log = sum(logs) / n
    se_log = math.sqrt(sum((z - mean_log) ** 2 for z in logs) / (n - 1) / n)
    assert mean_log < exact - 4 * se_log


def test_streamed_filter_gives_the_kalman_filter_on_4_devices(smc_on_4):
    exact, means = kalman(LGSS["y"])
    assert abs(smc_on_4["streamed"] - exact) < 1.5           # 3 MC sds at 4000 particles
    assert max(abs(a - b) for a, b in zip(smc_on_4["streamed_means"], means)) < 0.15
    assert 1 <= smc_on_4["streamed_ess"][0] <= smc_on_4["streamed_ess"][1] <= 4000


NUTS = SETUP + """
from catlearn.inference.api import nuts
from catlearn.inference.target import Target
# the model block of the example, without its data line
SCHOOLS = "model" + open("examples/eight_schools.cat").read().split("\\nmodel", 1)[1].split("\\ninfer")[0]
def run(devices, **options):
    target = Target(parse(SCHOOLS)["eight_schools"],
                    {"J": 8, "sigma": [15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0]},
                    {"y": [28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0]})
    return nuts(devices=devices, progress=False, **options).run(target, jax.random.key(0))
"""

POSTERIOR = NUTS + """
post = run(4, chains=8, warmup=300, samples=300)
program = parse(SCHOOLS + '''
infer eight_schools(J = 8, sigma = [15, 10, 16, 11, 9, 11, 10, 18])
    given (y = [28, 8, -3, 7, -1, 1, 18, 12])
    with nuts(chains = 8, warmup = 300, samples = 300, devices = 4, seed = 0, progress = 0)
''')
again = program.queries()[0].run()["params"]
result = {"mu": float(post.samples["mu"].mean()), "tau": float(post.samples["tau"].mean()),
          "python": {k: post.summary_dict()[k]["mean"] for k in ("mu", "tau")},
          "language": {k: again[k]["mean"] for k in ("mu", "tau")},
          "spec": spec(post.samples["mu"])}
"""

BLOCKS = NUTS + """
from catlearn.inference.chains import sample
from catlearn.inference.nuts import nuts as kernel
four = sharding.mesh(4)
target = Target(parse(SCHOOLS)["eight_schools"], {"J": 8, "sigma": [15.0] * 8}, {"y": [0.0] * 8})
starts = jax.vmap(target.init)(jax.random.split(jax.random.key(1), 8))
def chains(positions, key):
    return sample(kernel, target.logdensity, positions, key, warmup=3, samples=5,
                  progress=False)[0]
together = sharding.independent(chains, four)(starts, jax.random.key(0))
block_1 = chains(starts[2:4], jax.random.fold_in(jax.random.key(0), 1))
result = {"spec": spec(together),
          "gap": float(np.max(np.abs(np.asarray(together[2:4]) - np.asarray(block_1))))}
"""


@pytest.fixture(scope="module")
def nuts_on_4():
    return run_on_devices(POSTERIOR)


def test_sharded_nuts_chains_give_the_eight_schools_posterior(nuts_on_4):
    # posterior means 4.4 and 3.6 (Stan, NumPyro); 2400 draws, loose bounds
    assert abs(nuts_on_4["mu"] - 4.4) < 1.0 and abs(nuts_on_4["tau"] - 3.6) < 1.0
    assert nuts_on_4["spec"] == "('data',)"                  # chains split over devices


def test_sharded_nuts_is_reproducible_from_python_and_the_language(nuts_on_4):
    # nuts(chains = 8, devices = 4, seed = 0) in a program: the same draws again
    assert nuts_on_4["language"] == nuts_on_4["python"]


@pytest.mark.slow
def test_sharded_chains_are_independent_blocks_one_per_device():
    """Device k runs its chains alone, with the key folded with k: chains 2 and 3
    on 4 devices are those of a 2-chain run on one device, up to rounding (which
    adaptation amplifies over longer runs, as any change of floats would)."""
    blocks = run_on_devices(BLOCKS)
    assert blocks["spec"] == "('data',)" and blocks["gap"] < 1e-3


TRAIN = SETUP + """
from catlearn.learning.learner import learn, sgd
from catlearn.learning.train import _epoch, fit
from catlearn.primitives.nn import dense
x = jax.random.normal(jax.random.key(0), (256, 3))
y = x @ jnp.array([[1.0], [-2.0], [0.5]]) + 0.3
reg = learn(dense(3, 1), optimizer=sgd(0.1))
trained = {str(d): fit(reg, None, x, y, epochs=5, batch_size=32, key=jax.random.key(1),
                       progress=False, devices=d) for d in (None, 4)}
again = fit(reg, None, x, y, epochs=5, batch_size=32, key=jax.random.key(1), progress=False,
            devices=4)
w = trained["4"][0].weights["dense_0"]["w"]
start = reg.init(jax.random.key(2))
step = {str(d): _epoch.lower(reg, 8, 32, True, start, (x,), (y,), jax.random.key(3), None,
                             sharding.mesh(d)).compile().as_text() for d in (None, 4)}
result = {"all_reduce": {d: "all-reduce" in text for d, text in step.items()},"history": {d: h.tolist() for d, (p, h) in trained.items()},
          "again": again[1].tolist(), "w_spec": spec(w),
          "w": {d: np.asarray(p.weights["dense_0"]["w"]).ravel().tolist() for d, (p, h) in trained.items()}}
"""


@pytest.fixture(scope="module")
def train_on_4():
    return run_on_devices(TRAIN)


def test_sharded_training_reaches_the_single_device_loss(train_on_4):
    one, four = train_on_4["history"]["None"], train_on_4["history"]["4"]
    assert four[-1] < 0.1 * four[0]                           # it learns
    # gradients of the sharded minibatch are summed across devices inside the step:
    # the same parameters and losses as one device, up to float rounding
    assert all(math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6) for a, b in zip(one, four))
    assert all(math.isclose(a, b, rel_tol=1e-4, abs_tol=1e-6)
               for a, b in zip(train_on_4["w"]["None"], train_on_4["w"]["4"]))
    assert train_on_4["again"] == four and train_on_4["w_spec"] == "()"


def test_sharded_training_sums_the_gradients_across_devices_in_the_step(train_on_4):
    assert train_on_4["all_reduce"] == {"None": False, "4": True}
