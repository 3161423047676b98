"""Deterministic primitives of the model language, and what they mean.

Each :class:`Primitive` has a JAX function (its meaning in every category of
functions) and a shape rule (its static check). A :class:`~catlearn.syntax.model.Prim`
box names its primitive by ``op``; its static options (``index=…``, ``start=…``)
are passed to both as keyword arguments. Users add primitives with
:func:`register_primitive`; the language reaches nothing else.

>>> PRIMITIVES["add"].shape([(3,), ()], {})
(3,)
>>> PRIMITIVES["matmul"].shape([("N", 2), (2, 5)], {})
('N', 5)
>>> float(PRIMITIVES["square"].fn(3.0))
9.0
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import logsumexp

from catlearn.categories import sampler, traced
from catlearn.categories.category import box_meaning
from catlearn.categories.function import Function, JaxFunctions
from catlearn.categories.sampler import Sampler, Samplers
from catlearn.categories.traced import Traced, TracedSamplers
from catlearn.categories.weighted import Weighted, WeightedSamplers
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.syntax.diagram import Box
from catlearn.syntax.model import Const, Prim, resolve_dim, simplify

Shape = tuple


@dataclass(frozen=True)
class Primitive:
    """A named deterministic function with an arity and a shape rule."""

    name: str
    arity: Optional[int]  # None: any number of arguments
    fn: Callable[..., Any]
    shape: Callable[[Sequence[Shape], dict], Shape]
    doc: str = ""
    #: options holding dimensions (``eye(N)``'s ``n``), resolved when a query binds them
    dims: tuple[str, ...] = ()


PRIMITIVES: dict[str, Primitive] = {}
#: primitives that subscripts elaborate to, not callable by name
INDEXING = ("index", "subscript")
#: the primitive of each binary operator of the language
OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "<": "lt",
             "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
COMPARISONS = ("lt", "le", "gt", "ge", "eq", "ne")
#: primitives a program reaches by their syntax only (a subscript, an operator)
NOT_BY_NAME = INDEXING + COMPARISONS


def register_primitive(name: str, fn: Callable[..., Any], arity: Optional[int] = None,
                       shape: Optional[Callable[[Sequence[Shape], dict], Shape]] = None,
                       doc: str = "", dims: tuple[str, ...] = ()) -> Primitive:
    """Make ``name`` callable from the language; the default shape rule broadcasts.
    ``dims`` names the options that are dimensions (a number, an argument's name,
    or ``(op, a, b)``), which reach ``fn`` as integers."""
    prim = Primitive(name, arity, fn, shape or broadcast_rule(name), doc, tuple(dims))
    PRIMITIVES[name] = prim
    return prim


def get_primitive(name: str) -> Primitive:
    """The primitive ``name``, or an error suggesting the closest known name."""
    if name not in PRIMITIVES:
        import difflib
        close = difflib.get_close_matches(name, PRIMITIVES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UnknownNameError(f"unknown function {name!r}{hint}")
    return PRIMITIVES[name]


# -- shape rules -------------------------------------------------------------

def broadcast(shapes: Sequence[Shape], name: str = "") -> Shape:
    """NumPy broadcasting of shapes whose dimensions may be symbols.

    A symbol against an integer other than 1 cannot be decided statically and
    is accepted (the data decide later); two different integers are an error.
    """
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(rank):
        dims = {s[len(s) - rank + axis] for s in shapes if len(s) - rank + axis >= 0}
        dims.discard(1)
        ints = {d for d in dims if isinstance(d, int)}
        if len(ints) > 1:
            shown = " and ".join(_fmt(s) for s in shapes)
            raise CatlearnTypeError(f"{name or 'arithmetic'}: shapes {shown} do not broadcast")
        symbols = [d for d in dims if not isinstance(d, int)]
        out.append(ints.pop() if ints else (symbols[0] if symbols else 1))
    return tuple(out)


def _fmt(shape: Shape) -> str:
    from catlearn.syntax.ty import dim_str
    return "[" + ", ".join(dim_str(d) for d in shape) + "]" if shape else "scalar"


def broadcast_rule(name: str) -> Callable[[Sequence[Shape], dict], Shape]:
    return lambda shapes, options: broadcast(shapes, name)


def _reduce_rule(shapes, options):
    axis = options.get("axis")
    if axis is not None and not -len(shapes[0]) <= axis < len(shapes[0]):
        raise CatlearnTypeError(f"axis = {axis} is out of range for an array of shape "
                                f"{_fmt(shapes[0])} ({len(shapes[0])} axes)")
    axis = axis % len(shapes[0]) if axis is not None else None
    return () if axis is None else tuple(d for i, d in enumerate(shapes[0]) if i != axis)


def _spread_rule(name):
    def rule(shapes, options):
        if not shapes[0]:
            raise CatlearnTypeError(f"{name} of a single number is not defined: {name} "
                                    "takes an array of values")
        return _reduce_rule(shapes, options)
    return rule


def _log_sum_exp(*xs, axis=None):
    if len(xs) == 2:
        return jnp.logaddexp(*xs)
    return logsumexp(xs[0], axis=axis)


def _elementwise_or(name: str, n: int, other: int, forms: str, rule: Callable):
    """The shape rule of a function of ``n`` arguments elementwise, or of ``other``
    arguments by ``rule`` (``log_sum_exp(a, b)`` or ``log_sum_exp(x)``)."""
    def shape(shapes, options):
        if len(shapes) == n:
            return broadcast(shapes, name)
        if len(shapes) != other:
            raise CatlearnTypeError(f"{name} takes {forms}, got {len(shapes)}")
        return rule(shapes, options)
    return shape


def _log_mix(weights, *lps):
    """Stan's log_mix: ``log(p e^a + (1 - p) e^b)``, or ``log Σ_k w_k e^{lp_k}``."""
    if len(lps) == 2:
        a, b = lps
        return jnp.logaddexp(jnp.log(weights) + a, jnp.log1p(-weights) + b)
    return logsumexp(jnp.log(weights) + lps[0], axis=-1)


def _mixture_rule(shapes, options):
    weights, lps = shapes
    if len(weights) != 1 or not lps:
        raise CatlearnTypeError(f"log_mix(weights, lps): the weights must be a vector and "
                                f"lps end in an axis of the same length, got shapes "
                                f"{_fmt(weights)} and {_fmt(lps)}")
    if isinstance(weights[0], int) and isinstance(lps[-1], int) and weights[0] != lps[-1]:
        raise CatlearnTypeError(f"log_mix(weights, lps): {weights[0]} weights for "
                                f"{lps[-1]} components (the last axis of lps)")
    return tuple(lps[:-1])


def _dot_rule(shapes, options):
    a, b = shapes
    if len(a) != 1 or len(b) != 1:
        raise CatlearnTypeError(f"dot: needs two vectors, got {_fmt(a)} and {_fmt(b)}")
    _agree(a[0], b[0], "dot", a, b)
    return ()


def _matmul_rule(shapes, options):
    a, b = shapes
    if len(a) < 1 or len(b) < 1:
        raise CatlearnTypeError(f"matmul: needs arrays, got {_fmt(a)} and {_fmt(b)}")
    _agree(a[-1], b[0] if len(b) == 1 else b[-2], "matmul", a, b)
    return a[:-1] + (b[-1:] if len(b) > 1 else ())


def _agree(d1, d2, name, a, b):
    if isinstance(d1, int) and isinstance(d2, int) and d1 != d2:
        raise CatlearnTypeError(f"{name}: inner dimensions of {_fmt(a)} and {_fmt(b)} differ")


def _index_rule(shapes, options):
    array, *indices = shapes
    n = len(indices) + len(options.get("static", ()))
    if n > len(array):
        raise CatlearnTypeError(f"indexing: {n} indices into an array of shape {_fmt(array)}")
    for axis, (index, size) in enumerate(zip(options.get("static", ()), array)):
        # JAX clamps an index out of range: refuse it while its bound is known
        if isinstance(size, int) and not -size <= index < size:
            raise CatlearnTypeError(f"index {index} is out of range for axis {axis} of "
                                    f"length {size} (valid: 0 to {size - 1})")
    return tuple(array[n:])


def _slice_length(size, start, stop):
    """The length of ``a[start:stop]`` along an axis of ``size`` (symbols allowed)."""
    if isinstance(start, int) and isinstance(stop, int):
        if isinstance(size, int) and not (0 <= start <= stop <= size):
            raise CatlearnTypeError(f"slicing: {start}:{stop} is not inside an axis of "
                                    f"length {size}")
        return stop - start
    if stop is not None:
        return stop if not start else simplify(("-", stop, start))
    return simplify(("-", size, start)) if start else size


def _subscript_rule(shapes, options):
    """NumPy's indexing: a slice keeps its axis (shortened), an index drops it;
    integer arrays index together, their broadcast shape where they stand when
    they are adjacent, and first otherwise."""
    array, *index_shapes = shapes
    axes = options["axes"]
    if len(axes) > len(array):
        raise CatlearnTypeError(f"indexing: {len(axes)} indices into an array of shape "
                                f"{_fmt(array)}")
    given = iter(index_shapes)
    parts, advanced, at = [], [], []
    for k, (axis, size) in enumerate(zip(axes, array)):
        if isinstance(axis, tuple):
            parts.append(_slice_length(size, *axis))
            continue
        advanced.append(next(given) if axis is None else ())
        at.append(k)
        parts.append(None)
    block = list(broadcast(advanced, "indexing")) if advanced else []
    kept = [d for d in parts if d is not None]
    if at and at == list(range(at[0], at[-1] + 1)):
        where = sum(1 for d in parts[:at[0]] if d is not None)
        out = kept[:where] + block + kept[where:]
    else:
        out = block + kept
    return tuple(out) + tuple(array[len(axes):])


def _vector_rule(name):
    def rule(shapes, options):
        (a,) = shapes
        if not a:
            raise CatlearnTypeError(f"{name}: needs a vector, got a scalar")
        return a
    return rule


def _square_rule(name):
    def rule(shapes, options):
        (a,) = shapes
        if len(a) != 2:
            raise CatlearnTypeError(f"{name}: needs a matrix, got {_fmt(a)}")
        return a
    return rule


def _transpose_rule(shapes, options):
    return tuple(reversed(shapes[0]))


def _diag_rule(shapes, options):
    (a,) = shapes
    return (a[0], a[0]) if len(a) == 1 else (a[0],)


def _eye_rule(shapes, options):
    n = options.get("n")
    return (n, n)


def _broadcast_to_rule(shapes, options):
    (a,), shape = shapes, tuple(options["shape"])
    if broadcast([a, shape], "broadcast_to") != shape:
        raise CatlearnTypeError(f"a value of shape {_fmt(a)} does not fit the shape "
                                f"{_fmt(shape)}")
    return shape


def _concat_rule(shapes, options):
    """Parts joined along the first axis, ``length`` in all (where the last stops)."""
    singles = options["single"]
    events = {tuple(shape) if single else tuple(shape[1:])
              for shape, single in zip(shapes, singles)}
    if len(events) != 1 or any(not shape for shape, single in zip(shapes, singles)
                               if not single):
        shown = ", ".join(_fmt(s) for s in shapes)
        raise CatlearnTypeError(f"the pieces of an array must have one shape, got {shown}")
    return (options["length"],) + events.pop()


def _concat(*parts, single, length):
    return jnp.concatenate([jnp.asarray(p)[None] if one else jnp.asarray(p)
                            for p, one in zip(parts, single)])


def _stack_rule(shapes, options):
    if not shapes:
        raise CatlearnTypeError("an empty list [] has no shape")
    return (len(shapes),) + broadcast(shapes, "a list")


def _gp_rule(shapes, options):
    x = shapes[0]
    return (x[0], x[0])


def _real(fn: Callable) -> Callable:
    """``fn`` of real numbers: integers are promoted first (the language types the result
    Real, and JAX refuses ``2 ** -1`` or ``sigmoid`` of an int32)."""
    def of_reals(*args, **options):
        return fn(*(jnp.asarray(a, jnp.result_type(float)) for a in args), **options)
    return of_reals


def _read(array, index: tuple):
    """``array[index]``, where an index out of range known only when the model runs
    (``x[j + 1]`` at a loop's last ``j``, an integer array of data) reads NaN — or,
    in an integer array, the least integer, itself out of range of any index —
    where JAX would clamp it silently to a neighbour's value."""
    array = jnp.asarray(array)
    missing = (jnp.nan if jnp.issubdtype(array.dtype, jnp.inexact)
               else jnp.iinfo(array.dtype).min if jnp.issubdtype(array.dtype, jnp.integer)
               else None)
    if missing is None or all(isinstance(i, (int, slice)) for i in index):
        return array[index]  # static indices were checked against the shape
    return array.at[index].get(mode="fill", fill_value=missing)


def _index(array, *indices, static=()):
    return _read(array, tuple(static) + tuple(indices))


def _subscript(array, *indices, axes):
    given = iter(indices)
    return _read(array, tuple(next(given) if axis is None else slice(*axis)
                              if isinstance(axis, tuple) else axis for axis in axes))


def _exp_quad_cov(x, alpha, rho):
    """Stan's ``gp_exp_quad_cov``: alpha² exp(-|xi - xj|² / (2 rho²))."""
    x = x[:, None] if x.ndim == 1 else x
    sq = jnp.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1)
    return alpha ** 2 * jnp.exp(-0.5 * sq / rho ** 2)


for _name, _fn in {"add": jnp.add, "sub": jnp.subtract, "mul": jnp.multiply}.items():
    register_primitive(_name, _fn, 2)
for _name, _fn in {"div": jnp.divide, "pow": jnp.power}.items():
    register_primitive(_name, _real(_fn), 2)
for _name, _fn in {"lt": jnp.less, "le": jnp.less_equal, "gt": jnp.greater,
                   "ge": jnp.greater_equal, "eq": jnp.equal, "ne": jnp.not_equal}.items():
    # 0 or 1, as Stan's comparisons: a number that arithmetic takes as it is
    register_primitive(_name, lambda a, b, _fn=_fn: _fn(a, b).astype(jnp.int32), 2)
register_primitive("where", lambda c, a, b: jnp.where(c, a, b), 3,
                   doc="where(c, a, b): a where c is nonzero, else b (elementwise)")
for _name, _fn in {"neg": jnp.negative, "exp": jnp.exp, "log": jnp.log,
                   "log1p": jnp.log1p, "expm1": jnp.expm1, "sqrt": jnp.sqrt,
                   "abs": jnp.abs, "square": jnp.square, "sigmoid": jax.nn.sigmoid,
                   "softplus": jax.nn.softplus, "tanh": jnp.tanh, "relu": jax.nn.relu,
                   "log10": jnp.log10}.items():
    register_primitive(_name, _fn if _name in ("neg", "abs", "square") else _real(_fn), 1)
register_primitive("softmax", _real(jax.nn.softmax), 1, _vector_rule("softmax"))
register_primitive("sum", lambda a, axis=None: jnp.sum(a, axis=axis), 1, _reduce_rule)
register_primitive("mean", lambda a, axis=None: jnp.mean(a, axis=axis), 1, _reduce_rule)
# Stan's sd and variance: the sample statistics, dividing by n - 1
register_primitive("sd", _real(lambda a, axis=None: jnp.std(a, axis=axis, ddof=1)), 1,
                   _spread_rule("sd"), doc="the sample standard deviation (dividing by n - 1)")
register_primitive("var", _real(lambda a, axis=None: jnp.var(a, axis=axis, ddof=1)), 1,
                   _spread_rule("var"), doc="the sample variance (dividing by n - 1)")
register_primitive("log_sum_exp", _real(_log_sum_exp), None,
                   _elementwise_or("log_sum_exp", 2, 1, "1 argument (an array) or 2 (two "
                                   "arrays, elementwise)", _reduce_rule),
                   doc="log_sum_exp(x): log(sum(exp(x))) stably; log_sum_exp(a, b) "
                       "elementwise")
register_primitive("log_mix", _real(_log_mix), None,
                   _elementwise_or("log_mix", 3, 2, "3 arguments (p, a, b) or 2 (weights, "
                                   "log densities)", _mixture_rule),
                   doc="log_mix(p, a, b) = log(p e^a + (1 - p) e^b); log_mix(w, lps) "
                       "mixes over the last axis with weights w")
register_primitive("dot", jnp.dot, 2, _dot_rule)
register_primitive("matmul", jnp.matmul, 2, _matmul_rule)
register_primitive("transpose", jnp.transpose, 1, _transpose_rule)
register_primitive("cholesky", jnp.linalg.cholesky, 1, _square_rule("cholesky"))
register_primitive("diag", jnp.diag, 1, _diag_rule)
register_primitive("eye", lambda n: jnp.eye(n), 0, _eye_rule, dims=("n",))
register_primitive("broadcast_to", lambda a, shape: jnp.broadcast_to(a, shape), 1,
                   _broadcast_to_rule, doc="a broadcast to the static `shape`",
                   dims=("shape",))
register_primitive("exp_quad_cov", _exp_quad_cov, 3, _gp_rule)
register_primitive("stack", lambda *xs: jnp.stack(jnp.broadcast_arrays(*_real(
    lambda *ys: ys)(*xs))), None, _stack_rule,
                   doc="[a, b, ...]: the items, broadcast, along a new first axis")
register_primitive("concat", _concat, None, _concat_rule,
                   doc="parts joined along the first axis, `length` in all; `single` marks "
                       "those that are one element (given a leading axis of length 1)")
register_primitive("index", _index, None, _index_rule,
                   doc="a[i, …]: dynamic indices are wires, static ones the option `static`")
register_primitive("subscript", _subscript, None, _subscript_rule, dims=("axes",),
                   doc="a[i, j:k, :]: `axes` has per axis None (an index wire, an integer or "
                       "an integer array), a static integer, or (start, stop) bounds")


def prim_function(box: Box, dims: Optional[Mapping[str, Any]] = None
                  ) -> Callable[..., tuple]:
    """The meaning of a :class:`Prim` or :class:`Const` box as a function
    returning the tuple of its outputs; every function-like category uses it.
    ``dims`` binds the model's symbolic dimensions (``eye(N)``)."""
    if isinstance(box, Const):
        # A NumPy array, not a JAX one: made while a program is being traced,
        # a JAX array would belong to that trace and leak into every later
        # program using this image; and constant parameters stay concrete, so
        # distributions check them when the query is bound.
        value = np.asarray(box.value)
        value = value.astype(jax.dtypes.canonicalize_dtype(value.dtype))
        return lambda: (value,)
    prim = get_primitive(box.op)
    options = {k: v for k, v in box.data.items() if k != "op"}
    for name in prim.dims:
        options[name] = _resolve(options[name], dims or {}, box.op)
    fn = prim.fn
    return lambda *xs: (fn(*xs, **options),)


def _resolve(dim: Any, dims: Mapping[str, Any], op: str) -> Any:
    """A dimension option (or a tuple of them, a shape) as integers; None stays."""
    if dim is None:
        return None
    if isinstance(dim, tuple) and not (dim and dim[0] in ("+", "-", "*")):
        return tuple(_resolve(d, dims, op) for d in dim)
    try:
        return resolve_dim(dim, dims)
    except KeyError as err:
        raise CatlearnTypeError(f"{op}: the dimension {err.args[0]} is not bound here "
                                "(bind it as an argument of the model's query)") from None


@box_meaning.register((Prim, Const), JaxFunctions, object)
def _prim_as_function(box, cat, functor) -> Function:
    return Function(len(box.dom), len(box.cod), prim_function(box))


@box_meaning.register((Prim, Const), Samplers, object)
def _prim_as_sampler(box, cat, functor) -> Sampler:
    return sampler.deterministic(len(box.dom), len(box.cod), prim_function(box))


@box_meaning.register((Prim, Const), WeightedSamplers, object)
def _prim_as_weighted(box, cat, functor) -> Weighted:
    fn = prim_function(box)
    return Weighted(len(box.dom), len(box.cod), lambda key, *xs: (tuple(fn(*xs)), 0.0))


@box_meaning.register((Prim, Const), TracedSamplers, object)
def _prim_as_traced(box, cat, functor) -> Traced:
    return traced.deterministic(len(box.dom), len(box.cod), prim_function(box, cat.dims))
