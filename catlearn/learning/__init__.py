"""Learning: the backprop functor, losses and optimisers as lenses, training."""
from catlearn.learning.backprop import ErrorFunction, backprop, quadratic
from catlearn.learning.learner import LOSSES, OPTIMIZERS, learn, named, to_para
from catlearn.learning.losses import Loss, cross_entropy, mse, nll
from catlearn.learning.optimisers import (Optimiser, adam, from_optax, learning_rate,
                                          momentum, sgd)
from catlearn.learning.train import accuracy, fit, loss, predict, train_test_split

__all__ = ["LOSSES", "OPTIMIZERS", "ErrorFunction", "Loss", "Optimiser", "accuracy", "adam",
           "backprop", "cross_entropy", "fit", "from_optax", "learn", "learning_rate", "loss",
           "momentum", "mse", "named", "nll", "predict", "quadratic", "sgd", "to_para",
           "train_test_split"]
