"""More layers: convolution, embedding, layer normalisation, attention, dropout, residuals.

Each layer is a :class:`~catlearn.primitives.nn.Layer` box with an
``init(key, **data)`` and an ``apply(params, x, **data)`` for one example
(registered as :func:`~catlearn.primitives.nn.register_layer` does for
``dense``), so its meaning in Para(Euc) is a
:class:`~catlearn.categories.para.Parametrised` map and its lens is the
reverse derivative of that map (``jax.vjp``), like every other box: nothing
here writes a gradient by hand. A leading batch axis (or several) is mapped
over with ``vmap``. Types describe one example: an image is ``Real[h, w, c]``
(height, width, channels), a sequence of ``n`` vectors ``Real[n, d]``, ``n``
token ids ``Int[n]``.

``residual(f)`` is not a box but a diagram, ``copy ; (f ⊗ id) ; add``, so its
parameters are ``f``'s and its lens the composite of theirs.

>>> import jax, jax.numpy as jnp
>>> from catlearn.functor import Functor
>>> from catlearn.categories.para import para
>>> block = residual(layer_norm((5, 8)) >> attention(5, 8, heads=2))
>>> print(block.dom, "->", block.cod)
Real[5, 8] -> Real[5, 8]
>>> net = Functor(cod=para)(block)
>>> net(net.init(jax.random.key(0)), jnp.ones((3, 5, 8))).shape
(3, 5, 8)
"""
from __future__ import annotations

import math
from functools import partial
from typing import Any, Callable, Optional, Sequence, Union

import jax
import jax.numpy as jnp
import numpy as np

from catlearn.categories.category import box_meaning
from catlearn.categories.function import Function
from catlearn.categories.para import Para, Parametrised, no_parameters
from catlearn.categories.sampler import Sampler, Samplers
from catlearn.errors import CatlearnTypeError, CompositionError, DataError
from catlearn.primitives.nn import REAL, Layer, register_layer
from catlearn.syntax.diagram import Copy, Diagram, Id
from catlearn.syntax.model import Prim
from catlearn.syntax.ty import Ty


def _whole(layer: str, **sizes: Any) -> None:
    for name, size in sizes.items():
        if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
            raise CatlearnTypeError(f"{layer}: {name} must be a whole number >= 1, "
                                    f"got {size!r}")


def _per_example(apply: Callable[..., Any], rank: int, layer: str) -> Callable[..., Any]:
    """``apply`` on one example of ``rank`` axes, mapped over any leading batch axes."""
    def batched(params, x, **data):
        extra = jnp.ndim(x) - rank
        if extra < 0:
            raise DataError(f"{layer} takes examples of {rank} axes, but its input has "
                            f"shape {jnp.shape(x)}")
        fn = lambda x: apply(params, x, **data)
        for _ in range(extra):
            fn = jax.vmap(fn)
        return fn(x)
    return batched


# -- conv2d ----------------------------------------------------------------------------


def conv_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """The length of an axis after a convolution (XLA's ``SAME``/``VALID`` rules)."""
    return -(-size // stride) if padding == "same" else (size - kernel) // stride + 1


def conv2d(height: int, width: int, c_in: int, c_out: int, kernel: int = 3,
           stride: int = 1, padding: str = "same") -> Layer:
    """A 2-D convolution with ``c_out`` filters of ``kernel × kernel × c_in`` and a
    bias, from ``Real[height, width, c_in]``; ``padding`` is ``"same"`` (zeros
    around, the output ``ceil(size / stride)`` long) or ``"valid"`` (none)."""
    _whole("conv2d", height=height, width=width, c_in=c_in, c_out=c_out, kernel=kernel,
           stride=stride)
    if padding not in ("same", "valid"):
        raise CatlearnTypeError(f"conv2d: padding must be 'same' or 'valid', got {padding!r}")
    out = [conv_size(n, kernel, stride, padding) for n in (height, width)]
    if min(out) < 1:
        raise CatlearnTypeError(f"conv2d: a {kernel}x{kernel} kernel does not fit in a "
                                f"{height}x{width} image without padding")
    return Layer("conv2d", Ty(REAL, shape=(height, width, c_in)),
                 Ty(REAL, shape=(*out, c_out)), c_in=c_in, c_out=c_out, kernel=kernel,
                 stride=stride, padding=padding)


def _conv_init(key, c_in, c_out, kernel, **_):
    # LeCun-normal over the fan-in kernel * kernel * c_in, as dense does over n_in
    init = jax.nn.initializers.lecun_normal(in_axis=(0, 1, 2), out_axis=3)
    return {"w": init(key, (kernel, kernel, c_in, c_out)), "b": jnp.zeros((c_out,))}


def _conv_apply(p, x, stride, padding, **_):
    x = jnp.asarray(x, p["w"].dtype)   # pixels often come as integers
    y = jax.lax.conv_general_dilated(x[None], p["w"], (stride, stride), padding.upper(),
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
    return y[0] + p["b"]


register_layer("conv2d", _conv_init, _per_example(_conv_apply, 3, "conv2d"))


def max_pool(height: int, width: int, channels: int, window: int = 2) -> Layer:
    """The maximum over each ``window × window`` block (no parameters), from
    ``Real[height, width, channels]`` to ``Real[height // window, width // window, channels]``."""
    _whole("max_pool", height=height, width=width, channels=channels, window=window)
    if height < window or width < window:
        raise CatlearnTypeError(f"max_pool: a {window}x{window} window does not fit in a "
                                f"{height}x{width} image")
    return Layer("max_pool", Ty(REAL, shape=(height, width, channels)),
                 Ty(REAL, shape=(height // window, width // window, channels)), window=window)


def _pool_apply(p, x, window):
    x = jnp.asarray(x, jnp.result_type(float))
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (window, window, 1),
                                 (window, window, 1), "VALID")


register_layer("max_pool", lambda key, **_: (), _per_example(_pool_apply, 3, "max_pool"))


def reshape(shape_in: Sequence[int], shape_out: Sequence[int]) -> Layer:
    """The same numbers in another shape (no parameters): ``reshape((64,), (8, 8, 1))``
    makes an image of a row of pixels, ``reshape((4, 4, 8), (128,))`` flattens one."""
    shape_in, shape_out = tuple(shape_in), tuple(shape_out)
    _whole("reshape", **{f"axis {i}": n for i, n in enumerate(shape_in + shape_out)})
    if math.prod(shape_in) != math.prod(shape_out):
        raise CatlearnTypeError(f"reshape: {shape_in} holds {math.prod(shape_in)} numbers "
                                f"and {shape_out} holds {math.prod(shape_out)}")
    return Layer("reshape", Ty(REAL, shape=shape_in), Ty(REAL, shape=shape_out),
                 shape_in=shape_in, shape_out=shape_out)


def _reshape_apply(p, x, shape_in, shape_out):
    if tuple(jnp.shape(x)[jnp.ndim(x) - len(shape_in):]) != shape_in:
        raise DataError(f"reshape{shape_in} -> {shape_out}: its input has shape {jnp.shape(x)}")
    return jnp.reshape(x, jnp.shape(x)[:jnp.ndim(x) - len(shape_in)] + shape_out)


register_layer("reshape", lambda key, **_: (), _reshape_apply)


# -- embedding ---------------------------------------------------------------------------


def embedding(vocab: int, dim: int, length: int) -> Layer:
    """A table of ``vocab`` learnt vectors of ``dim`` numbers: ``length`` token ids
    (``Int[length]``, each in ``0 … vocab - 1``) become ``Real[length, dim]``."""
    _whole("embedding", vocab=vocab, dim=dim, length=length)
    return Layer("embedding", Ty("Int", shape=(length,)), Ty(REAL, shape=(length, dim)),
                 vocab=vocab, dim=dim)


def _embedding_init(key, vocab, dim):
    # unit variance along each vector's fan-in, as Flax's default embedding
    return {"table": jax.random.normal(key, (vocab, dim)) / math.sqrt(dim)}


def _embedding_apply(p, x, vocab, dim):
    if not jnp.issubdtype(jnp.result_type(x), jnp.integer):
        raise DataError(f"embedding({vocab}, {dim}) takes token ids (integers), got "
                        f"{jnp.result_type(x)} values")
    # ids outside 0 … vocab - 1 give NaN vectors rather than a clamped or wrapped row
    x = jnp.where(x >= 0, x, vocab)
    return jnp.take(p["table"], x, axis=0, mode="fill", fill_value=jnp.nan)


register_layer("embedding", _embedding_init, _embedding_apply)


# -- layer normalisation ------------------------------------------------------------------


def layer_norm(shape: Union[int, Sequence[int]], eps: float = 1e-5) -> Layer:
    """Each vector along the last axis of ``Real[shape]`` centred, scaled to unit
    variance (``eps`` added to it), then multiplied by a learnt gain and shifted
    by a learnt bias (Ba, Kiros & Hinton 2016)."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    _whole("layer_norm", **{f"axis {i}": n for i, n in enumerate(shape)})
    if not (isinstance(eps, (int, float)) and eps > 0):
        raise CatlearnTypeError(f"layer_norm: eps must be a number > 0, got {eps!r}")
    ty = Ty(REAL, shape=shape)
    return Layer("layer_norm", ty, ty, size=shape[-1], eps=float(eps))


def _layer_norm_apply(p, x, size, eps):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    variance = jnp.var(x, axis=-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(variance + eps) * p["gain"] + p["bias"]


register_layer("layer_norm", lambda key, size, eps: {"gain": jnp.ones((size,)),
                                                     "bias": jnp.zeros((size,))},
               _layer_norm_apply)


# -- attention ----------------------------------------------------------------------------


def attention(length: int, dim: int, heads: int = 1, causal: bool = False) -> Layer:
    """Multi-head self-attention on a sequence ``Real[length, dim]`` (Vaswani et
    al. 2017): per head ``softmax(Q Kᵀ / √(dim/heads)) V`` with learnt ``Q, K, V``
    projections, the heads joined and projected back to ``dim``; ``causal`` lets
    position ``i`` see positions ``≤ i`` only."""
    _whole("attention", length=length, dim=dim, heads=heads)
    if dim % heads:
        raise CatlearnTypeError(f"attention: dim ({dim}) must split evenly over the "
                                f"{heads} heads")
    ty = Ty(REAL, shape=(length, dim))
    return Layer("attention", ty, ty, dim=dim, heads=heads, causal=bool(causal))


def _attention_init(key, dim, heads, causal):
    init = jax.nn.initializers.lecun_normal()
    return {name: init(k, (dim, dim)) for name, k in zip(("q", "k", "v", "o"),
                                                         jax.random.split(key, 4))}


def _attention_apply(p, x, dim, heads, causal):
    n = x.shape[0]

    def split(w):   # (length, dim) -> (heads, length, dim / heads)
        return jnp.transpose(jnp.reshape(x @ w, (n, heads, dim // heads)), (1, 0, 2))
    q, k, v = split(p["q"]), split(p["k"]), split(p["v"])
    scores = q @ jnp.swapaxes(k, 1, 2) / math.sqrt(dim // heads)
    if causal:
        scores = jnp.where(jnp.tril(jnp.ones((n, n), bool)), scores, -jnp.inf)
    joined = jnp.reshape(jnp.transpose(jax.nn.softmax(scores) @ v, (1, 0, 2)), (n, dim))
    return joined @ p["o"]


register_layer("attention", _attention_init, _per_example(_attention_apply, 2, "attention"))


# -- dropout ----------------------------------------------------------------------------------


class Dropout(Layer):
    """Dropout's box: its two modes are its two meanings (see :func:`dropout`)."""


def dropout(rate: float, shape: Union[int, Sequence[int]]) -> Dropout:
    """Inverted dropout on ``Real[shape]`` (Srivastava et al. 2014), a stochastic
    map with no parameters. Its two modes are two functors out of the same
    diagram: in stochastic Para (``Functor(cod=Para(samplers))``, **train**
    mode) each number is zeroed with probability ``rate`` and the others
    divided by ``1 - rate``, drawn from the key the network is run with; in
    Para(Euc) (``Functor(cod=para)``, what ``learn`` uses, **eval** mode) it is
    that map's mean, the identity."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    _whole("dropout", **{f"axis {i}": n for i, n in enumerate(shape)})
    if not (isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate < 1):
        raise CatlearnTypeError(f"dropout: rate must be a number in [0, 1), got {rate!r}")
    ty = Ty(REAL, shape=shape)
    return Dropout("dropout", ty, ty, rate=float(rate))


def _drop(key, params, x, rate):
    keep = 1.0 - rate
    return (jnp.where(jax.random.bernoulli(key, keep, jnp.shape(x)), x / keep, 0.0),)


@box_meaning.register(Dropout, Para, object)
def _dropout_in_para(box: Dropout, cat: Para, functor: Any) -> Parametrised:
    if isinstance(cat.base, Samplers):   # train mode: a draw of the mask
        arrow = Sampler(2, 1, partial(_drop, rate=box.rate))
    else:                                # eval mode: the mean of the draws
        arrow = Function(2, 1, lambda params, x: (x,))
    return Parametrised(arrow, no_parameters, box.label, box.dom, box.cod)


# -- residual connections -------------------------------------------------------------------


def residual(f: Diagram) -> Diagram:
    """``x ↦ x + f(x)``: the diagram ``copy ; (f ⊗ id) ; add`` for ``f : A -> A``."""
    if not isinstance(f, Diagram):
        raise CompositionError(f"residual(f): f must be a diagram, got the "
                               f"{type(f).__name__} {f!r}"[:120])
    if f.dom != f.cod or len(f.dom) != 1:
        raise CompositionError(f"residual(f): f must map one wire to one of the same type, "
                               f"but {f.label} maps {f.dom} to {f.cod}")
    return Copy(f.dom) >> (f @ Id(f.dom)) >> Prim("add", f.dom @ f.dom, f.dom)


LAYERS: dict[str, Any] = {"conv2d": conv2d, "max_pool": max_pool, "reshape": reshape,
                          "embedding": embedding, "layer_norm": layer_norm,
                          "attention": attention, "dropout": dropout, "residual": residual}
"""The constructors of this module by name."""
