"""catlearn: a category-theoretic probabilistic programming language on JAX."""
from catlearn.errors import (CatlearnError, CatlearnSyntaxError, CatlearnTypeError,
                             CompositionError, UnknownNameError, DataError,
                             DistributionError, InferenceError, TrainingError,
                             NotSupportedError)

__version__ = "0.1.0"
