"""catlearn: a category-theoretic probabilistic programming language on JAX.

One intermediate representation, the string diagram, and many meanings of it,
each a functor: JAX functions, Para, lenses and learners, samplers, weighted
samplers and log densities.
"""
from catlearn.xla_options import compile_small_loops_whole

compile_small_loops_whole()   # before anything starts JAX's backends; see xla_options

from catlearn.errors import (CatlearnError, CatlearnSyntaxError, CatlearnTypeError,
                             CompositionError, UnknownNameError, DataError,
                             DistributionError, InferenceError, TrainingError,
                             NotSupportedError)

# syntax and functors
from catlearn.syntax import (Ob, Ty, Box, Diagram, Id, Swap, Copy, Discard, Graph,
                             Hypergraph, Equation)
from catlearn.functor import Functor, box_meaning
from catlearn.syntax.condition import condition
from catlearn.categories.function import Function, jax_functions
from catlearn.primitives.ops import PRIMITIVES, register_primitive

# the language
from catlearn.lang import (parse, load, Program, register_diagram_primitive,
                           register_function, register_distribution)

# models as Python functions, and every distribution of the language by its name
from catlearn.lang.python import (model, sample, observe, factor, plate, scan, Real, Pos,
                                  Prob, Int, Nat, Bool, Simplex, FAMILIES)
from catlearn.lang.python import deterministic
globals().update(FAMILIES)

# probabilistic semantics and inference
from catlearn import distributions
from catlearn.distributions import Distribution
from catlearn.inference.api import (prior, importance, smc, rmsmc, pmmh, rmh, mala,
                                    hmc, nuts)
from catlearn.lang.queries import infer   # checked against the model's definition first
from catlearn.inference.mcmc import MCMC
from catlearn.inference.posterior import Posterior
from catlearn.inference.target import Target, sampler, weighted, log_density

# learning
from catlearn.categories.para import Para, Parametrised, para, parametrised
from catlearn.categories.lens import Lens, lenses, reverse_derivative
from catlearn.categories.learn import Learner
from catlearn.learning import (learn, backprop, mse, cross_entropy, nll, sgd, momentum,
                               adam, from_optax, fit, loss, train_test_split)
from catlearn.primitives.nn import dense, relu, tanh, sigmoid, softmax
from catlearn.primitives.layers import (conv2d, max_pool, reshape, embedding, layer_norm,
                                      attention, dropout, residual)

# surfaces
from catlearn import checkpoint, plot
from catlearn.io import load_table, resolve_data_path

__version__ = "0.1.0"
