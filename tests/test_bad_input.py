"""The catalogue of bad input: every case is refused with its exact error class and a
message naming the user's own word (and, for programs, its line and column).

Cases that the library does not refuse cleanly yet are marked ``xfail(strict=True)``
with the module that should refuse them, so that fixing one turns it green.
"""
import inspect
import os
from dataclasses import dataclass
from typing import Callable, Optional

import jax.numpy as jnp

import numpy as np
import pytest

import catlearn as cl
from catlearn import checkpoint
from catlearn.distributions import get
from catlearn.errors import (CatlearnError, CatlearnSyntaxError, CatlearnTypeError,
                             CompositionError, DataError, DistributionError, InferenceError,
                             TrainingError, UnknownNameError)
from catlearn.inference import api
from catlearn.io import load_table
from catlearn.learning.learner import adam, cross_entropy, learn, momentum, sgd
from catlearn.learning.losses import nll
from catlearn.primitives.nn import dense
from catlearn.syntax import Box, Ty

FILES = {
    "good.csv": "x,y\n1,2\n3,4\n",
    "good.json": '{"n": 3, "y": [1, 0, 1], "z": [0.5, -1.0, 2.0], "k": [1, 2, 2.5]}',
    "ragged.csv": "x,y\n1,2\n3\n",
    "word.csv": "x,y\n1,abc\n",
    "nan.csv": "x,y\n1,nan\n",
    "inf.csv": "x,y\n1,-inf\n",
    "blank.csv": "x,y\n1,\n",
    "empty.csv": "",
    "twice.csv": "x,x\n1,2\n",
    "broken.json": '{"a": [1, 2',
    "list.json": "[1, 2]",
    "ragged.json": '{"a": [[1, 2], [3]]}',
    "text.json": '{"a": "hello"}',
    "nan.json": '{"a": [1, NaN]}',
    "inf.json": '{"a": Infinity}',
    "null.json": '{"a": null}',
    "big.csv": "k\n4294967297\n",
    "huge.csv": "x\n1e39\n",
    "deep.json": '{"a": ' + "[" * 100000 + "]" * 100000 + "}",
}


@dataclass
class Program:
    """A program refused with ``error`` at ``line``:``column``, naming ``words``."""

    id: str
    source: str
    error: type
    words: tuple
    line: int
    column: int
    fix: Optional[str] = None  # where the library should refuse it, while it does not


@dataclass
class Call:
    """A Python call refused with ``error``, naming ``words``."""

    id: str
    call: Callable
    error: type
    words: tuple
    fix: Optional[str] = None


MODEL = "model m(n: Nat) {\n    p ~ Beta(1, 1)\n    for i in range(n) {\n        y[i] ~ Bernoulli(p)\n    }\n}\n"  # noqa: E501
NORMAL = "model m(x: Real) {\n    s ~ Normal(x, 1)\n}\n"
NET = 'data d = csv("good.csv")\ndiagram net = dense(1, 1)\n'

PROGRAMS = [
    # -- syntax
    Program("missing arrow", "box f : Real Real", CatlearnSyntaxError, ("'Real'", "'->'"), 1, 14),
    Program("doubled arrow", "box f : Real -> -> Real", CatlearnSyntaxError, ("'->'",), 1, 17),
    Program("unclosed parenthesis", "box f : Real -> Real\ndiagram d = (f >> f", CatlearnSyntaxError,
            ("end of input", "')'"), 2, 20),
    Program("stray character", "box f : Real -> Real $", CatlearnSyntaxError, ("'$'",), 1, 22),
    Program("non-ASCII name", "box é : Real -> Real", CatlearnSyntaxError, ("'é'",), 1, 5),
    Program("positional query argument", NORMAL + "sample m(1) with prior", CatlearnSyntaxError,
            ("m(x = ...)",), 4, 10),
    Program("statement in a model", "model m(x: Real) {\n    box f : Real -> Real\n}",
            CatlearnSyntaxError, ("'f'", "'~'"), 2, 9),
    Program("missing brace", "model m(x: Real) {\n    s ~ Normal(0, 1)\n", CatlearnSyntaxError,
            ("end of input", "'}'"), 2, 21),
    Program("dunder name", 'model m(x: Real) {\n    s = __import__("os")\n}',
            CatlearnSyntaxError, ("'__import__'", "reserved"), 2, 9),
    Program("tab and junk", "box f\t: Real -> Real\n\x00", CatlearnSyntaxError, ("'\\x00'",), 2, 1),
    # -- types and shapes
    Program("composition mismatch", "box f : Real -> Pos\nbox g : Real -> Real\ndiagram d = f >> g",
            CompositionError, ("Pos", "Real"), 3, 15),
    Program("check of different types", "box f : Real -> Real\nbox g : Pos -> Pos\ncheck f == g",
            CatlearnTypeError, ("Real -> Real", "Pos -> Pos"), 3, 9),
    Program("vector shapes differ", "model m(a: Real[3], b: Real[4]) {\n    s = a + b\n}",
            CatlearnTypeError, ("[3]", "[4]"), 2, 11),
    Program("matmul inner dimensions", "model m(a: Real[2, 3]) {\n    s = matmul(a, a)\n}",
            CatlearnTypeError, ("matmul", "[2, 3]"), 2, 9),
    Program("dot of matrices", "model m(a: Real[2, 3]) {\n    s = dot(a, a)\n}",
            CatlearnTypeError, ("dot", "[2, 3]"), 2, 9),
    Program("indexing a scalar", "model m(a: Real) {\n    s = a[0]\n}", CatlearnTypeError,
            ("indexing", "scalar"), 2, 9),
    Program("real index", "model m(a: Real[3]) {\n    s = a[0.5]\n}", CatlearnTypeError,
            ("index", "Real"), 2, 11),
    Program("attribute of a value", "model m(a: Real[3]) {\n    s = a.T\n}", CatlearnTypeError,
            ("'.T'",), 2, 11),
    Program("string in a model", 'model m(a: Real) {\n    s = "a"\n}', CatlearnTypeError,
            ("a string",), 2, 9),
    Program("dense of a fraction", "diagram d = dense(2.5, 3)", CatlearnTypeError,
            ("dense", "n_in"), 1, 19),
    Program("id of a number", "diagram d = id(3)", CatlearnTypeError, ("id(T)", "type"), 1, 16),
    Program("too few distribution arguments", "model m(a: Real) {\n    s ~ Normal(0)\n}",
            CatlearnTypeError, ("Normal(loc, scale)", "scale"), 2, 9),
    Program("too many distribution arguments", "model m(a: Real) {\n    s ~ Normal(0, 1, 2)\n}",
            CatlearnTypeError, ("Normal(loc, scale)", "3"), 2, 9),
    Program("unknown distribution keyword", "model m(a: Real) {\n    s ~ Normal(0, scal = 1)\n}",
            CatlearnTypeError, ("'scal'",), 2, 9),
    Program("range of a real", "model m(a: Real) {\n    for i in range(a) {\n        s[i] ~ Normal(0, 1)\n    }\n}",  # noqa: E501
            CatlearnTypeError, ("range",), 2, 20),
    # -- names
    Program("unknown distribution", "model m(a: Real) {\n    s ~ Normall(0, 1)\n}",
            UnknownNameError, ("'Normall'", "'Normal'"), 2, 9),
    Program("unknown function", "model m(a: Real) {\n    s = expp(a)\n}", UnknownNameError,
            ("'expp'", "'exp'"), 2, 9),
    Program("unknown name in a model", "model m(a: Real) {\n    s ~ Normal(b, 1)\n}",
            UnknownNameError, ("'b'",), 2, 16),
    Program("unknown diagram", "box f : Real -> Real\ndiagram d = f >> gg", UnknownNameError,
            ("'gg'",), 2, 18),
    Program("defined twice", "box f : Real -> Real\nbox f : Real -> Real", UnknownNameError,
            ("f", "line 1"), 2, 5),
    Program("random variable twice", "model m(a: Real) {\n    s ~ Normal(0, 1)\n    s ~ Normal(0, 1)\n}",  # noqa: E501
            UnknownNameError, ("s", "twice"), 3, 5),
    Program("unknown model", NORMAL + "sample mm(x = 1) with prior", UnknownNameError,
            ("'mm'", "'m'"), 4, 8),
    Program("not a model", "box f : Real -> Real\nsample f(x = 1) with prior", CatlearnTypeError,
            ("f", "model"), 2, 8),
    Program("unknown method", NORMAL + "infer m(x = 1) given (s = 1) with nutz", UnknownNameError,
            ("'nutz'", "'nuts'"), 4, 35),
    Program("unknown method option", NORMAL + "sample m(x = 1) with prior(drawz = 5)",
            UnknownNameError, ("'drawz'", "'draws'"), 4, 28),
    Program("unknown argument", NORMAL + "sample m(xx = 1) with prior", UnknownNameError,
            ("'xx'", "'x'"), 4, 10),
    Program("unknown random variable", NORMAL + "infer m(x = 1) given (ss = 1) with importance",
            UnknownNameError, ("'ss'", "'s'"), 4, 23),
    Program("unknown data format", 'data d = xml("good.csv")', UnknownNameError, ("'xml'",), 1, 10),
    Program("unknown column", 'data d = csv("good.csv")\n' + NORMAL + "sample m(x = d.w) with prior",
            UnknownNameError, ("'w'", "x, y"), 5, 16),
    Program("unknown loss", NET + "learner l = learn net with loss = msee", UnknownNameError,
            ("'msee'", "'mse'"), 3, 35),
    Program("unknown optimizer", NET + "learner l = learn net with loss = mse, optimizer = adamm(0.1)",
            UnknownNameError, ("'adamm'", "'adam'"), 3, 52),
    Program("unknown training option", NET + "learner l = learn net with loss = mse\n"
            "train l on d(x = [x], y = [y]) with epoch = 3", UnknownNameError,
            ("'epoch'", "'epochs'"), 4, 37),
    # -- data files
    Program("missing data file", 'data d = csv("nope.csv")', DataError, ("nope.csv",), 1, 1),
    Program("path outside the folder", 'data d = csv("../good.csv")', DataError,
            ("'../good.csv'", "--allow-path"), 1, 14),
    Program("ragged CSV row", 'data d = csv("ragged.csv")', DataError,
            ("ragged.csv", "line 3", "1 fields"), 1, 1),
    Program("CSV word", 'data d = csv("word.csv")', DataError, ("line 2", "column y", "'abc'"), 1, 1),
    Program("CSV missing value", 'data d = csv("nan.csv")', DataError, ("line 2", "NaN"), 1, 1),
    Program("CSV infinite value", 'data d = csv("inf.csv")', DataError,
            ("line 2", "'-inf'", "infinite"), 1, 1),
    Program("CSV blank cell", 'data d = csv("blank.csv")', DataError, ("line 2", "column y"), 1, 1),
    Program("empty CSV", 'data d = csv("empty.csv")', DataError, ("empty.csv", "header"), 1, 1),
    Program("CSV header twice", 'data d = csv("twice.csv")', DataError, ("twice.csv", "twice"), 1, 1),
    Program("broken JSON", 'data d = json("broken.json")', DataError, ("broken.json", "JSON"), 1, 1),
    Program("JSON list", 'data d = json("list.json")', DataError, ("list.json", "object"), 1, 1),
    Program("ragged JSON", 'data d = json("ragged.json")', DataError, ("'a'", "rectangular"), 1, 1),
    Program("JSON text", 'data d = json("text.json")', DataError, ("'a'", "number"), 1, 1),
    Program("JSON NaN", 'data d = json("nan.json")', DataError, ("'a'", "NaN"), 1, 1),
    Program("JSON infinity", 'data d = json("inf.json")', DataError, ("'a'", "infinite"), 1, 1),
    Program("JSON null", 'data d = json("null.json")', DataError, ("'a'",), 1, 1),
    # -- arguments and observations
    Program("Nat given a negative", MODEL + "sample m(n = -3) with prior", DataError,
            ("n : Nat", "-3"), 7, 10),
    Program("Nat given a fraction", MODEL + "sample m(n = 2.5) with prior", DataError,
            ("n : Nat", "2.5"), 7, 10),
    Program("vector argument of a scalar", NORMAL + "sample m(x = [1, 2]) with prior", DataError,
            ("x : Real", "(2,)"), 4, 10),
    Program("symbolic lengths disagree", "model m(a: Real[N], b: Real[N]) {\n    s ~ Normal(0, 1)\n}\n"
            "sample m(a = [1, 2], b = [1, 2, 3]) with prior", DataError, ("b : Real[N]", "3", "2"), 4, 22),
    Program("missing argument", NORMAL + "sample m() with prior", CatlearnTypeError, ("x",), 4, 8),
    Program("ragged list", NORMAL + "sample m(x = [1, [2]]) with prior", DataError, ("list",), 4, 15),
    Program("observations of the wrong length", MODEL + "infer m(n = 3) given (y = [0, 1]) with "
            "importance(particles = 100)", DataError, ("'y'", "(3,)", "(2,)"), 7, 1),
    Program("observations outside Bernoulli", MODEL + "infer m(n = 3) given (y = [0, 1, 2]) with "
            "importance(particles = 100)", DataError, ("'y'", "Bernoulli", "2"), 7, 1),
    Program("fractional counts", "model m(r: Pos) {\n    k ~ Poisson(r)\n}\ninfer m(r = 2.0) given "
            "(k = 2.5) with importance(particles = 100)", DataError, ("'k'", "integers"), 4, 1),
    Program("negative scale observation", "model m(r: Pos) {\n    s ~ HalfNormal(r)\n}\ninfer m(r = 1.0) "
            "given (s = -1.0) with importance(particles = 100)", DataError, ("'s'", "HalfNormal"), 4, 1),
    Program("infinite observation", NORMAL + "infer m(x = 0) given (s = 1e999) with "
            "importance(particles = 100)", DataError, ("'s'", "infinite"), 4, 1),
    Program("infinite argument", NORMAL + "sample m(x = 1e999) with prior(draws = 10)", DataError,
            ("'x'", "infinite"), 4, 1),
    # -- numbers JAX cannot hold (they would wrap silently)
    Program("integer literal beyond int32", "model m(a: Real) {\n    s ~ Normal(4294967297, 0.001)\n}",
            CatlearnSyntaxError, ("4294967297", "2147483647"), 2, 16),
    Program("scale literal beyond int32", "model m(a: Real) {\n    s ~ Normal(0, 10000000000)\n}",
            CatlearnSyntaxError, ("10000000000", "2147483647"), 2, 19),
    Program("Nat argument beyond int32", MODEL + "sample m(n = 4294967299) with prior",
            CatlearnSyntaxError, ("4294967299", "2147483647"), 7, 14),
    Program("integer literal beyond int64", NORMAL + "sample m(x = 1234567890123456789012345678901234567890)"
            " with prior", CatlearnSyntaxError, ("40 digits", "2147483647"), 4, 14),
    Program("count in data beyond int32", 'data d = csv("big.csv")\nmodel m(r: Pos) {\n'
            "    for i in range(1) {\n        k[i] ~ Poisson(r)\n    }\n}\n"
            "infer m(r = 2.0) given (k = d.k) with importance(particles = 10)", DataError,
            ("'k'", "4294967297", "2147483647"), 7, 1),
    Program("real in data beyond float32", 'data d = csv("huge.csv")\nmodel m(r: Real[1]) {\n'
            "    s ~ Normal(r[0], 1)\n}\nsample m(r = d.x) with prior(draws = 10)", DataError,
            ("'r'", "1e+39", "float32"), 5, 1),
    # -- indices and axes out of range (JAX would clamp them)
    Program("index beyond the length", "model m(x: Real[3]) {\n    s ~ Normal(x[5], 1)\n}",
            CatlearnTypeError, ("index 5", "length 3"), 2, 16),
    Program("negative index beyond the length", "model m(x: Real[3]) {\n    s ~ Normal(x[-4], 1)\n}",
            CatlearnTypeError, ("index -4", "length 3"), 2, 16),
    Program("loop index beyond the end", "model m(x: Real[3]) {\n    for j in range(3) {\n"
            "        s[j] ~ Normal(x[j + 1], 1)\n    }\n}", CatlearnTypeError,
            ("index j + 1", "is 3", "last j", "axis 0 of x", "length 3"), 3, 27),
    Program("loop index beyond a symbolic end", "model m(N: Nat, x: Real[N]) {\n"
            "    for j in range(N) {\n        s[j] ~ Normal(x[1 + j], 1)\n    }\n}",
            CatlearnTypeError, ("index 1 + j", "is N", "last j", "length N"), 3, 27),
    Program("loop index before the start", "model m(N: Nat, x: Real[N]) {\n"
            "    for t in range(N) {\n        s[t] ~ Normal(x[t - 1], 1)\n    }\n}",
            CatlearnTypeError, ("index t - 1", "is -1", "first t"), 3, 27),
    Program("sum over an axis of a scalar", "model m(x: Real) {\n    s ~ Normal(sum(x, axis = 0), 1)\n}",
            CatlearnTypeError, ("axis = 0", "scalar"), 2, 16),
    Program("softmax of a scalar", "model m(x: Real) {\n    s ~ Normal(softmax(x), 1)\n}",
            CatlearnTypeError, ("softmax", "scalar"), 2, 16),
    # -- data files that are not text
    Program("deeply nested JSON", 'data d = json("deep.json")', DataError, ("deep.json", "nested"),
            1, 1),
    # -- distributions and impossible models
    Program("negative scale", "model m(a: Real) {\n    s ~ Normal(0, -1)\n}\nsample m(a = 0) with "
            "prior(draws = 10)", DistributionError, ("Normal", "scale", "-1"), 2, 19),
    Program("infinite location", "model m(a: Real) {\n    s ~ Normal(1/0, 1)\n}", DistributionError,
            ("Normal", "loc", "finite", "inf"), 2, 17),
    Program("zero scale computed from literals", "model m(a: Real) {\n    s ~ Normal(a, 2 - 2)\n}",
            DistributionError, ("Normal", "scale", "positive", "0.0"), 2, 21),
    Program("scalar probabilities", "model m(a: Real) {\n    c ~ Categorical(0.5)\n}\nsample m(a = 0) "
            "with prior(draws = 10)", DistributionError, ("Categorical", "probs"), 2, 9),
    Program("vector covariance", "model m(a: Real[2]) {\n    c ~ MultivariateNormal(a, a)\n}\n"
            "sample m(a = [1, 2]) with prior(draws = 10)", DistributionError,
            ("MultivariateNormal", "cov"), 2, 9),
    Program("zero evidence", "model m(a: Real) {\n    s ~ Uniform(0, 1)\n    t ~ Uniform(s, 1)\n}\n"
            "infer m(a = 0) given (t = 5.0) with importance(particles = 100)", InferenceError,
            ("weight zero", "t"), 5, 1),
    Program("factor of minus infinity", "model m(a: Real) {\n    s ~ Normal(0, 1)\n    factor(log(0.0))\n}\n"  # noqa: E501
            "infer m(a = 0) given () with importance(particles = 100)", InferenceError,
            ("weight zero",), 5, 1),
    Program("discrete latent under NUTS", "model m(a: Real) {\n    c ~ Poisson(3.0)\n    s ~ Normal(c, 1)\n}\n"  # noqa: E501
            "infer m(a = 0) given (s = 1.0) with nuts(warmup = 5, samples = 5)", InferenceError,
            ("discrete", "c"), 5, 1),
    # -- method options
    Program("negative draws", NORMAL + "sample m(x = 0) with prior(draws = -1)", InferenceError,
            ("draws", "-1"), 4, 1),
    Program("negative particles", NORMAL + "infer m(x = 0) given (s = 1) with importance(particles = -5)",
            InferenceError, ("particles", "-5"), 4, 1),
    Program("zero step size", NORMAL + "infer m(x = 0) given (s = 1) with nuts(step_size = 0)",
            InferenceError, ("step_size", "0"), 4, 1),
    Program("zero chains", NORMAL + "infer m(x = 0) given (s = 1) with hmc(chains = 0)",
            InferenceError, ("chains", "0"), 4, 1),
    Program("fractional seed", NORMAL + "sample m(x = 0) with prior(seed = 0.5)", CatlearnTypeError,
            ("seed", "0.5"), 4, 28),
    Program("positional method option", NORMAL + "sample m(x = 0) with prior(10)", CatlearnTypeError,
            ("prior(seed = 0)",), 4, 28),
    Program("negative learning rate", NET + "learner l = learn net with loss = mse, optimizer = sgd(-0.1)",
            CatlearnTypeError, ("sgd", "lr", "-0.1"), 3, 52),
    Program("zero batch", NET + "learner l = learn net with loss = mse\n"
            "train l on d(x = [x], y = [y]) with batch = 0", CatlearnTypeError, ("batch", "0"), 4, 45),
    Program("training data of the wrong width", 'data d = csv("good.csv")\ndiagram net = dense(3, 1)\n'
            "learner l = learn net with loss = mse\ntrain l on d(x = [x], y = [y]) with epochs = 1",
            DataError, ("x", "Real[3]"), 4, 14),
    Program("nll without a family", NET + "learner l = learn net with loss = nll",
            CatlearnTypeError, ("nll", "nll(Normal, scale = 1)"), 3, 35),
    Program("nll with more parameters than outputs", NET + "learner l = learn net with loss = "
            "nll(Normal)", CatlearnTypeError, ("nll(Normal)", "2", "1 output"), 3, 35),
    Program("held-out fraction of one", NET + "learner l = learn net with loss = mse\n"
            "train l on d(x = [x], y = [y]) with test = 1", CatlearnTypeError, ("test", "1"), 4, 44),
    Program("reversed column range", NET + "learner l = learn net with loss = mse\n"
            "train l on d(x = d[y:x], y = y) with epochs = 1", DataError, ("y:x", "empty"), 4, 21),
    Program("column range of a number", NET + "learner l = learn net with loss = mse\n"
            "train l on d(x = d[1:y], y = y) with epochs = 1", CatlearnTypeError, ("d[x:y]",), 4, 20),
    Program("no columns left for x", NET + "learner l = learn net with loss = mse\n"
            "train l on d(y = [x, y]) with epochs = 1", DataError, ("y", "none for x"), 4, 12),
    Program("class label out of range", 'data d = csv("good.csv")\ndiagram net = dense(1, 3)\n'
            "learner l = learn net with loss = cross_entropy\n"
            "train l on d(x = [x], y = y) with epochs = 1",
            DataError, ("label", "3 classes", "4"), 4, 1),
    Program("composite of mismatched learners", NET + "diagram wide = dense(2, 1)\n"
            "learner a = learn net with loss = mse\nlearner b = learn wide with loss = mse\n"
            "learner c = a >> b", CompositionError, ("Real[1]", "Real[2]"), 6, 15),
    Program("a diagram where a learner belongs", NET + "learner c = net",
            CatlearnTypeError, ("net", "not a learner", "learn"), 3, 13),
    # -- sizes beyond the machine, estimated before anything is compiled
    Program("draws beyond memory", NORMAL + "sample m(x = 0) with prior(draws = 2000000000)",
            InferenceError, ("draws = 2000000000", "GiB", "memory"), 4, 1),
    Program("particles beyond memory", NORMAL + "infer m(x = 0) given (s = 1) with "
            "importance(particles = 2000000000)", InferenceError,
            ("particles = 2000000000", "memory"), 4, 1),
    Program("MCMC draws beyond memory", NORMAL + "infer m(x = 0) given () with "
            "nuts(chains = 1000, samples = 2000000)", InferenceError,
            ("chains × (warmup + samples)", "memory"), 4, 1),
    Program("plate of 10^12", "model m(a: Real) {\n    for i in range(1000000 * 1000000) {\n"
            "        y[i] ~ Normal(0, 1)\n    }\n}\nsample m(a = 0) with prior(draws = 2)",
            InferenceError, ("1000000000000 numbers", "TiB"), 6, 1),
    Program("nll of a string", NET + 'learner l = learn net with loss = nll(Normal, scale = "abc")',
            DistributionError, ("nll(Normal)", "scale", "'abc'"), 3, 35),
    Program("nll of a negative scale", NET + "learner l = learn net with loss = nll(Normal, "
            "scale = -1)", DistributionError, ("Normal", "scale", "positive"), 3, 35),
    # -- what only the query's arguments and data decide (lang.bound), refused where
    #    the model writes it, before anything runs
    Program("loop index past an argument's length", "model m(x: Real[N], K: Nat) {\n"
            "    for j in range(K) {\n        s[j] ~ Normal(x[j + 1], 1)\n    }\n}\n"
            "sample m(x = [1, 2, 3], K = 3) with prior(draws = 4)", DataError,
            ("j + 1", "of x", "reaches 3", "length 3"), 3, 25),
    Program("integer data index of 7 for a site of 3", "model m(n: Nat, idx: Int[n]) {\n"
            "    for k in range(3) {\n        x[k] ~ Normal(0, 1)\n    }\n"
            "    for i in range(n) {\n        y[i] ~ Normal(x[idx[i]], 1)\n    }\n}\n"
            "infer m(n = 4, idx = [0, 1, 7, 2]) given (y = [1, 2, 3, 4]) with "
            "importance(particles = 10)", DataError, ("idx[i]", "of x", "reaches 7", "length 3"),
            6, 25),
    Program("integer index of -4 for an argument of 3", "model m(x: Real[3], k: Int) {\n"
            "    s ~ Normal(x[k], 1)\n}\nsample m(x = [1, 2, 3], k = -4) with prior(draws = 4)",
            DataError, ("index k", "reaches -4", "length 3"), 2, 18),
    Program("one-based group index read in an assignment", "model m(x: Real[3], n: Nat, "
            "g: Int[n]) {\n    for i in range(n) {\n        mu = x[g[i] - 1]\n"
            "        y[i] ~ Normal(mu, 1)\n    }\n}\ninfer m(x = [1, 2, 3], n = 2, g = [1, 4]) "
            "given (y = [0, 1]) with importance(particles = 10)", DataError,
            ("g[i] - 1", "of x", "reaches 3", "length 3"), 3, 16),
    Program("scale from an argument", "model m(a: Real) {\n    s ~ Normal(a, 1)\n"
            "    y ~ Normal(s, a)\n}\ninfer m(a = -1) given (y = 0.5) with importance(particles = 10)",
            DistributionError, ("Normal", "scale", "positive", "-1", "from a"), 3, 19),
    Program("scale from an argument's element in a loop", "model m(n: Nat, sd: Real[n]) {\n"
            "    for i in range(n) {\n        y[i] ~ Normal(0, sd[i])\n    }\n}\n"
            "sample m(n = 3, sd = [1, -1, 2]) with prior(draws = 4)", DistributionError,
            ("scale", "positive", "sd[i]", "reaches -1"), 3, 26),
    Program("uniform bounds written reversed", "model m(a: Real) {\n    s ~ Uniform(2, 1)\n}\n"
            "sample m(a = 0) with prior(draws = 4)", DistributionError,
            ("Uniform", "high", "greater than low"), 2, 9),
    Program("uniform bounds reversed by the arguments", "model m(lo: Real, hi: Real) {\n"
            "    s ~ Uniform(lo, hi)\n}\nsample m(lo = 1, hi = 0) with prior(draws = 4)",
            DistributionError, ("Uniform", "high", "greater than low"), 2, 9),
    Program("diverging training", NET + "learner l = learn net with loss = mse, optimizer = sgd(1e30)\n"
            "train l on d(x = [x], y = [y]) with epochs = 5", TrainingError, ("loss became", "learning rate"), 4, 1),
]

LINEAR = learn(dense(2, 1), optimizer=sgd(0.1))
X, Y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)


def model():
    return cl.parse(MODEL)["m"]


def infer(args=None, data=None, method=None):
    return api.infer(model(), args={"n": 3} if args is None else args,
                     data={"y": np.ones(3)} if data is None else data,
                     method=method or api.importance(particles=100))


CALLS = [
    Call("infer without an argument", lambda: infer(args={}), DataError, ("'n'", "Nat")),
    Call("infer with an unknown argument", lambda: infer(args={"n": 3, "k": 1}), DataError, ("'k'",)),
    Call("infer with unknown data", lambda: infer(data={"z": np.ones(3)}), DataError, ("'z'",)),
    Call("infer with text data", lambda: infer(data={"y": ["a", "b", "c"]}), DataError, ("'y'",)),
    # NaN in data marks a missing value (tests/test_conditioning.py); infinity is refused
    Call("infer with infinite data", lambda: infer(data={"y": np.array([1, np.inf, 0])}),
         DataError, ("'y'",)),
    Call("infer with a fractional count", lambda: infer(args={"n": 2.5}), DataError, ("'n'",)),
    Call("method by name", lambda: infer(method="nuts"), InferenceError, ("'nuts'",)),
    Call("zero particles", lambda: api.importance(particles=0), InferenceError, ("particles",)),
    Call("fractional particles", lambda: api.importance(particles=10.5), InferenceError,
         ("particles", "10.5")),
    Call("target acceptance above one", lambda: api.nuts(target_accept=1.5), InferenceError,
         ("target_accept", "1.5")),
    Call("negative warmup", lambda: api.nuts(warmup=-1), InferenceError, ("warmup", "-1")),
    Call("fractional seed", lambda: api.prior(seed=0.5), InferenceError, ("seed", "0.5")),
    Call("unknown distribution", lambda: get("Normall"), DistributionError, ("'Normall'", "'Normal'")),
    Call("negative scale", lambda: get("Normal")(0.0, -1.0), DistributionError, ("scale", "-1")),
    Call("NaN location", lambda: get("Normal")(float("nan"), 1.0), DistributionError, ("loc", "nan")),
    Call("inverted uniform", lambda: get("Uniform")(1.0, 0.0), DistributionError, ("high",)),
    Call("negative probabilities", lambda: get("Categorical")(jnp.array([0.5, -0.5, 1.0])),
         DistributionError, ("probs",)),
    Call("indefinite covariance", lambda: get("MultivariateNormal")(
        jnp.zeros(2), jnp.array([[1.0, 2.0], [2.0, 1.0]])), DistributionError, ("cov",)),
    Call("missing table file", lambda: load_table("missing.csv"), DataError, ("missing.csv",)),
    Call("unknown table format", lambda: load_table("data.txt"), DataError, ("'txt'",)),
    Call("NUL byte in a data path", lambda: load_table("a\0b.csv"), DataError, ("NUL",)),
    Call("program not UTF-8", lambda: cl.load("latin1.cat"), DataError, ("UTF-8", "0xe9")),
    Call("missing column", lambda: load_table("good.csv")["z"], UnknownNameError, ("'z'", "x, y")),
    Call("missing checkpoint", lambda: checkpoint.load("none"), DataError, ("none.json",)),
    Call("composition mismatch", lambda: Box("f", Ty("Real"), Ty("Pos")) >> Box(
        "g", Ty("Real"), Ty("Real")), CompositionError, ("f", "Pos", "g", "Real")),
    Call("parse a number", lambda: cl.parse(123), CatlearnTypeError, ("str", "int")),
    Call("load a folder", lambda: cl.load("."), DataError, ("Is a directory",)),
    Call("unknown definition", lambda: cl.parse(NORMAL)["mm"], UnknownNameError, ("'mm'", "'m'")),
    Call("fit on unequal lengths", lambda: LINEAR.fit(None, X, Y[:5], progress=False), DataError,
         ("5", "8")),
    Call("fit with zero batch", lambda: LINEAR.fit(None, X, Y, batch_size=0, progress=False),
         TrainingError, ("batch_size", "0")),
    Call("fit on the wrong width", lambda: LINEAR.fit(None, np.ones((8, 3)), Y, progress=False),
         DataError, ("x", "3", "2")),
    Call("fit on the wrong target width", lambda: LINEAR.fit(None, X, np.ones((8, 4)),
                                                             progress=False),
         DataError, ("y", "4", "1")),
    Call("fit on NaN data", lambda: LINEAR.fit(None, X * np.nan, Y, progress=False), DataError,
         ("x", "NaN")),
    Call("fit on an infinite target", lambda: LINEAR.fit(None, X, np.where(
        np.arange(8)[:, None] == 5, -np.inf, Y), progress=False), DataError, ("y", "-inf", "5")),
    Call("fit on no examples", lambda: LINEAR.fit(None, X[:0], Y[:0], progress=False),
         DataError, ("no examples",)),
    Call("negative epochs", lambda: LINEAR.fit(None, X, Y, epochs=-1, progress=False),
         TrainingError, ("epochs", "-1")),
    Call("class label out of range", lambda: learn(dense(2, 3), cross_entropy).fit(
        None, X, np.arange(8) % 4, progress=False), DataError, ("label", "3 classes", "3")),
    Call("fractional class label", lambda: learn(dense(2, 3), cross_entropy).fit(
        None, X, np.full(8, 1.5), progress=False), DataError, ("label", "1.5")),
    Call("draws beyond int32", lambda: api.prior(draws=2 ** 40), InferenceError,
         ("draws = 1099511627776", "2147483647", "int32")),
    Call("particles beyond int32", lambda: api.smc(particles=2 ** 31), InferenceError,
         ("particles = 2147483648", "int32")),
    Call("samples beyond int32", lambda: api.nuts(samples=2 ** 31), InferenceError,
         ("samples = 2147483648", "int32")),
    Call("seed beyond uint32", lambda: api.nuts(seed=2 ** 32), InferenceError,
         ("seed = 4294967296", "4294967295", "uint32")),
    Call("prior seed beyond uint32", lambda: api.prior(seed=2 ** 33), InferenceError,
         ("seed = 8589934592", "uint32")),
    Call("nll of a string", lambda: nll("Normal", scale="abc"), DistributionError,
         ("scale", "'abc'")),
    Call("nll of a zero scale", lambda: nll("Normal", scale=0.0), DistributionError,
         ("scale", "positive", "0.0")),
    Call("negative learning rate", lambda: sgd(-0.1), CatlearnTypeError, ("lr", "-0.1")),
    Call("NaN learning rate", lambda: adam(float("nan")), CatlearnTypeError, ("lr", "nan")),
    Call("momentum of one", lambda: momentum(0.1, 1.0), CatlearnTypeError, ("beta", "1.0")),
    Call("dense of no inputs", lambda: dense(0, 3), CatlearnTypeError, ("n_in", "0")),
    Call("dense of a fractional width", lambda: dense(2.5, 3), CatlearnTypeError,
         ("n_in", "2.5")),
    Call("shaped product type", lambda: Ty("Real", "Pos", shape=(3,)), CatlearnTypeError,
         ("shape",)),
]


def xfail_unless_fixed(cases):
    return [pytest.param(c, id=c.id, marks=pytest.mark.xfail(strict=True, reason=c.fix))
            if c.fix else pytest.param(c, id=c.id) for c in cases]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input")
    (root / "program").mkdir()
    (root / "good.csv").write_text(FILES["good.csv"])  # outside the program's folder
    for name, text in FILES.items():
        (root / "program" / name).write_text(text)
    (root / "program" / "latin1.cat").write_bytes("box f : Real -> Real # é\n".encode("latin-1"))
    return root / "program"


def test_the_catalogue_is_large():
    assert len(PROGRAMS) + len(CALLS) >= 60
    for cases in (PROGRAMS, CALLS):
        assert len({c.id for c in cases}) == len(cases)


@pytest.mark.parametrize("case", xfail_unless_fixed(PROGRAMS))
def test_bad_programs_are_refused(case, folder):
    path = folder / "bad.cat"
    with pytest.raises(CatlearnError) as info:
        cl.parse(case.source, str(path)).run()
    err = info.value
    assert type(err) is case.error, err
    assert all(word in err.message for word in case.words), err.message
    assert (err.file, err.line, err.column) == (str(path), case.line, case.column), str(err)
    shown = str(err).splitlines()
    assert shown[0].startswith(f"{path}:{case.line}:{case.column}: ")
    assert shown[1].strip() == case.source.splitlines()[case.line - 1].strip()


@pytest.mark.parametrize("case", xfail_unless_fixed(CALLS))
def test_bad_calls_are_refused(case, folder, monkeypatch):
    monkeypatch.chdir(folder)
    with pytest.raises(CatlearnError) as info:
        case.call()
    err = info.value
    assert type(err) is case.error, err
    assert all(word in err.message for word in case.words), err.message


def test_refusals_print_without_a_traceback(folder, capsys):
    from catlearn.cli import main
    (folder / "bad.cat").write_text(PROGRAMS[0].source)
    assert main(["run", str(folder / "bad.cat")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"bad.cat:1:14" in err


def test_a_fifo_is_not_read(folder):
    fifo = folder / "pipe.csv"
    os.mkfifo(fifo)  # opening it would block until a writer came
    with pytest.raises(DataError, match="not a regular file"):
        load_table(str(fifo))


def test_files_with_a_byte_order_mark_read_as_without(folder):
    (folder / "bom.csv").write_bytes(b"\xef\xbb\xbfx,y\n1,2\n")
    assert load_table(str(folder / "bom.csv"))["x"].tolist() == [1]
    (folder / "bom.cat").write_bytes(b"\xef\xbb\xbf" + NORMAL.encode())
    assert "m" in cl.load(str(folder / "bom.cat"))


@pytest.mark.parametrize("source, mean", [
    # negative controls of the checks above: the largest int32, an index in range,
    # indices computed in range (the last one read by j + 1), an integer array in range
    ("model m(x: Real[3]) {\n    for j in range(2) {\n        t[j] ~ Normal(x[j + 1], 0.001)\n"
     "    }\n    s ~ Normal(t[1], 0.001)\n}", 3.0),
    ("model m(a: Real) {\n    s ~ Normal(2147483647, 1)\n}", 2147483647.0),
    ("model m(x: Real[3]) {\n    s ~ Normal(x[2] + x[-3], 0.001)\n}", 4.0),
    # integers promoted where the result is real: sigmoid of an Int, n ** -1 of a Nat
    ("model m(n: Int) {\n    s ~ Normal(sigmoid(n) + n ** -1 + n / 4, 0.001)\n}",
     1 / (1 + np.exp(-2)) + 0.5 + 0.5),
])
def test_numbers_in_range_keep_their_value(source, mean):
    args = {"x": np.array([1.0, 2.0, 3.0])} if "x:" in source else \
        {"n": 2} if "n:" in source else {"a": 0.0}
    post = api.infer(cl.parse(source)["m"], args=args, method=api.prior(draws=20))
    assert np.isclose(float(np.mean(post.samples["s"])), mean, rtol=1e-3)


def test_too_few_draws_leave_the_ess_undefined():
    # 4 draws in one chain split into halves of 2: no autocorrelation pair to sum
    few = api.infer(cl.parse(NORMAL)["m"], args={"x": 0.0}, method=api.prior(draws=4))
    assert few.summary_dict()["s"]["ess"] is None
    enough = api.infer(cl.parse(NORMAL)["m"], args={"x": 0.0}, method=api.prior(draws=8))
    assert enough.summary_dict()["s"]["ess"] is not None  # the negative control


@pytest.mark.parametrize("source, args, words", [
    # x[j + 1] at the last j of a loop as long as an argument says, and an integer array
    # holding 7: out of range once the query binds the arguments, refused from Python
    # as from a query of the language (JAX would clamp them to x[2])
    ("model m(x: Real[3], K: Nat) {\n    for j in range(K) {\n        s[j] ~ Normal(x[j + 1], 1)\n"
     "    }\n}", {"x": np.array([1.0, 2.0, 3.0]), "K": 3}, "<input>:3:25: the index j + 1 of x reaches 3"),
    ("model m(x: Real[3], k: Int[2]) {\n    s ~ Normal(sum(x[k]), 1)\n}",
     {"x": np.array([1.0, 2.0, 3.0]), "k": np.array([0, 7])}, "<input>:2:22: the index k of x reaches 7"),
])
def test_indices_the_arguments_put_out_of_range_are_refused_from_python(source, args, words):
    with pytest.raises(DataError) as info:
        api.infer(cl.parse(source)["m"], args=args, method=api.prior(draws=20))
    assert str(info.value).startswith(words)
    inside = {**args, "k": np.array([0, -1])} if "k" in args else {**args, "K": 2}
    # the control: indices in range, negative ones from the end
    ok = api.infer(cl.parse(source)["m"], args=inside, method=api.prior(draws=20))
    assert np.all(np.isfinite(ok.samples["s"])) and not any(
        "non-finite" in w for w in ok.warnings())


def test_indices_out_of_range_at_run_time_read_nan():
    # a random index is known only as the model runs: out of range it reads NaN, so
    # the draws are non-finite and say so, instead of a wrong number
    source = "model m(x: Real[3]) {\n    k ~ Poisson(3)\n    s ~ Normal(x[k], 1)\n}"
    post = api.infer(cl.parse(source)["m"], args={"x": np.array([1.0, 2.0, 3.0])},
                     method=api.prior(draws=50))
    assert post.warnings()[0].startswith("non-finite draws (NaN or infinite) of s")
    inside = np.asarray(post.samples["k"]) < 3
    assert np.all(np.isfinite(np.asarray(post.samples["s"])[inside]))


def test_a_python_model_refuses_an_index_out_of_range_at_its_own_line():
    @cl.model
    def m(x: cl.Real[3], K: cl.Nat):
        with cl.plate("j", K) as j:
            cl.sample("s", cl.Normal(x[j + 1], 1))
    line = inspect.getsourcelines(test_a_python_model_refuses_an_index_out_of_range_at_its_own_line)[1] + 4
    with pytest.raises(DataError, match="the index j \\+ 1 of x reaches 3") as info:
        api.infer(m, args={"x": np.array([1.0, 2.0, 3.0]), "K": 3}, method=api.prior(draws=4))
    assert (info.value.file, info.value.line) == (__file__, line)
    api.infer(m, args={"x": np.array([1.0, 2.0, 3.0]), "K": 2}, method=api.prior(draws=4))


@pytest.mark.parametrize("loop, index", [("range(1, N)", "t - 1"), ("range(N - 1)", "t + 1"),
                                         ("range(N)", "t"), ("range(K)", "t + 1")])
def test_loop_indices_that_stay_in_range_or_may_are_accepted(loop, index):
    # the negative controls of the loop-index checks: in range for every N, or
    # (range(K) against length N) decided only by the arguments, at run time
    source = (f"model m(N: Nat, K: Nat, x: Real[N]) {{\n    for t in {loop} {{\n"
              f"        s[t] ~ Normal(x[{index}], 1)\n    }}\n}}")
    assert "m" in cl.parse(source)


@pytest.mark.parametrize("source", [
    # the negative controls of lang.bound: indices the arguments and data keep in range
    # (a loop one shorter, one-based groups read as g[i] - 1, negative ones from the
    # end), parameters they keep in the support, a value of random values (unknown
    # before the run, so never refused here)
    "model m(x: Real[N], K: Nat) {\n    for j in range(K - 1) {\n        s[j] ~ Normal(x[j + 1], 1)"
    "\n    }\n}\nsample m(x = [1, 2, 3], K = 3) with prior(draws = 4)",
    "model m(x: Real[3], n: Nat, g: Int[n]) {\n    b ~ Normal(0, 1)\n    for i in range(n) {\n"
    "        mu = x[g[i] - 1]\n        y[i] ~ Normal(mu + b, 1)\n    }\n}\n"
    "infer m(x = [1, 2, 3], n = 2, g = [1, 3]) given "
    "(y = [0, 1]) with importance(particles = 10)",
    "model m(x: Real[3], k: Int) {\n    s ~ Normal(x[k], 1)\n}\nsample m(x = [1, 2, 3], k = -3) "
    "with prior(draws = 4)",
    "model m(n: Nat, sd: Real[n]) {\n    for i in range(n) {\n        y[i] ~ Normal(0, sd[i])\n"
    "    }\n}\nsample m(n = 3, sd = [1, 0.5, 2]) with prior(draws = 4)",
    "model m(lo: Real, hi: Real) {\n    s ~ Uniform(lo, hi)\n}\nsample m(lo = 0, hi = 1) with "
    "prior(draws = 4)",
    "model m(x: Real[3]) {\n    k ~ Uniform(0, 1)\n    s ~ Normal(x[0] * k, 1)\n}\n"
    "sample m(x = [1, 2, 3]) with prior(draws = 4)",
])
def test_what_the_query_keeps_in_range_runs(source):
    (result,) = cl.parse(source).run()
    assert result["kind"] in ("sample", "infer") and result["params"]


@pytest.mark.parametrize("index, K", [
    # where nothing runs, or the ends of an index's interval are not values it takes:
    # not refused; the last case is the control, refused
    ("j + 5", 0),       # a loop that never runs
    ("2 * j", 2),       # 0 and 2, inside the interval [0, 2]
    ("j - j + 2", 3),   # the interval [0, 4], of which it takes 2 alone
    ("j", 4),           # reaches 3: refused
])
def test_indices_the_query_may_keep_in_range_are_not_refused(index, K):
    model = cl.parse(f"model m(x: Real[3], K: Nat) {{\n    for j in range(K) {{\n"
                     f"        factor(x[{index}])\n    }}\n}}")["m"]
    args = {"x": np.array([1.0, 2.0, 3.0]), "K": K}
    if index == "j":
        with pytest.raises(DataError, match="the index j of x reaches 3"):
            model.check_binding(args, {}, None)
    else:
        model.check_binding(args, {}, None)


@pytest.mark.parametrize("method", ["nuts(chains = 2, warmup = 50, samples = 50, seed = 0)",
                                    "prior(draws = 50, seed = 0)"])
def test_a_loop_of_length_zero_defines_an_empty_family(method):
    # x has no elements when K = 0: the summary lists mu alone (it crashed in the
    # diagnostics before); the control K = 2 lists x[0] and x[1] too
    source = ("model m(K: Nat) {\n    mu ~ Normal(0, 1)\n    for k in range(K) {\n"
              "        x[k] ~ Normal(mu, 1)\n    }\n}\n"
              f"infer m(K = 0) with {method}\ninfer m(K = 2) with {method}\n")
    empty, control = cl.parse(source).run()
    assert list(empty["params"]) == ["mu"]
    assert sorted(control["params"]) == ["mu", "x[0]", "x[1]"]
