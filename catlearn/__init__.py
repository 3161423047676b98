"""catlearn: a category-theoretic probabilistic programming language on JAX."""
from catlearn.errors import (CatlearnError, CatlearnSyntaxError, CatlearnTypeError,
                             CompositionError, UnknownNameError, DataError,
                             DistributionError, InferenceError, TrainingError,
                             NotSupportedError)
from catlearn.syntax import (Ob, Ty, Box, Diagram, Id, Swap, Copy, Discard, Graph,
                             Hypergraph)
from catlearn.functor import Functor, box_meaning
from catlearn.categories.function import Function, jax_functions

__version__ = "0.1.0"
from catlearn.primitives.ops import PRIMITIVES, register_primitive
from catlearn.lang import (parse, load, Program, register_diagram_primitive,
                           register_function, register_distribution)
from catlearn.inference.api import (infer, prior, importance, smc, rmsmc, pmmh, rmh, mala,
                                     hmc, nuts)
from catlearn.inference.posterior import Posterior
from catlearn.inference.mcmc import MCMC
from catlearn.inference.target import Target, sampler, weighted, log_density
from catlearn import distributions
from catlearn.distributions import Distribution
from catlearn import checkpoint
from catlearn.io import load_table, resolve_data_path
from catlearn.categories.para import Para, Parametrised, para, parametrised
from catlearn.categories.lens import Lens, lenses, reverse_derivative
from catlearn.categories.learn import Learner
from catlearn.learning import (learn, backprop, mse, cross_entropy, nll, sgd, momentum, loss,
                               train_test_split,
                               adam, from_optax, fit)
from catlearn.primitives.nn import dense, relu, tanh, sigmoid, softmax
from catlearn import plot
