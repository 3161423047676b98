"""``learn``: a model, a loss and an optimiser closed into one learner.

A training step is the composite of parametric lenses of Cruttwell et al.::

    model ; loss ; learning rate          a lens  P ⊗ X ⊗ Y -> I
    optimiser ; (model ; loss ; rate)     closed: re-parametrised by S × P

and its backward pass at the unit is the new optimiser state and parameters.
The model lens is the image of the model under Para(R), R the reverse
derivative (``jax.vjp``); a diagram is first sent into Para(Euc) by its functor.

The learner's request (what it asks of the learner before it) inverts the
quadratic error of :mod:`catlearn.learning.backprop`, so
``learn(f, loss=mse, optimizer=sgd(ε))`` is the learner ``L(ε, quadratic)(f)``
and learners chain by ``>>`` exactly as in *Backprop as Functor*.

>>> import jax, jax.numpy as jnp
>>> from catlearn.primitives.nn import dense, relu
>>> clf = learn(dense(4, 8) >> relu(8) >> dense(8, 3), loss=cross_entropy, optimizer=adam(0.01))
>>> params = clf.init(jax.random.key(0))
>>> clf.predict(params, jnp.ones((2, 4))).shape
(2, 3)
"""
from __future__ import annotations

import difflib
from typing import Any, Callable, Mapping, Union

from catlearn.categories.learn import Learner
from catlearn.categories.lens import lenses, parametric_lens
from catlearn.categories.para import Parametrised, para
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.functor import Functor
from catlearn.learning.backprop import batch_size, quadratic
from catlearn.learning.losses import Loss, cross_entropy, mse, nll
from catlearn.learning.optimisers import Optimiser, adam, learning_rate, momentum, sgd
from catlearn.primitives import nn  # noqa: F401 (gives layer boxes their meaning in Para)
from catlearn.primitives.nn import Layer
from catlearn.syntax.diagram import Box, Diagram, Graph, Id
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.ty import Ob, Ty

OPTIMISER_STATE = "optimiser state"
"""How a learner's names call the optimiser's part of its parameters."""

to_para = Functor(cod=para)
"""The functor sending diagrams of parametrised boxes into Para(Euc)."""


LOSSES: dict[str, Union[Loss, Callable[..., Loss]]] = {
    "mse": mse, "cross_entropy": cross_entropy, "nll": nll}
"""The losses the language names (``nll`` takes the observation's family)."""

OPTIMIZERS: dict[str, Callable[..., Optimiser]] = {"sgd": sgd, "momentum": momentum, "adam": adam}
"""The optimisers the language names, as functions of their hyper-parameters."""


def named(table: Mapping[str, Any], name: str, what: str) -> Any:
    """``table[name]``, or an error naming the user's word and the closest known one."""
    if name not in table:
        close = difflib.get_close_matches(name, table, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(table)}"
        raise UnknownNameError(f"unknown {what} {name!r}{hint}")
    return table[name]


def learn(model: Union[Diagram, Parametrised], loss: Union[Loss, str] = mse,
          optimizer: Union[Optimiser, str] = "sgd") -> Learner:
    """The learner training ``model`` on ``loss`` with ``optimizer``; a name
    stands for the loss or the optimiser with its default settings.

    Its parameters are the pair (optimiser state, model parameters).
    """
    loss = named(LOSSES, loss, "loss") if isinstance(loss, str) else loss
    if isinstance(optimizer, str):
        optimizer = named(OPTIMIZERS, optimizer, "optimizer")()
    f = to_para(model) if isinstance(model, Diagram) else model
    if loss.n_in - 1 != f.n_out:
        raise CatlearnTypeError(f"the loss {loss.name} compares {loss.n_in - 1} prediction(s) "
                                f"with a label, but the model has {f.n_out} output(s)")
    n_x, n_y = f.n_in, 1
    model_lens = parametric_lens(f).arrow                       # P ⊗ X -> Ŷ
    error = (model_lens @ lenses.id([None] * n_y)) >> loss      # P ⊗ X ⊗ Y -> ℓ
    descent = error >> learning_rate(optimizer.rate)            # ... -> I, backwards -ε∇
    step = (optimizer.lens @ lenses.id([None] * (n_x + n_y))) >> descent

    def implement(sp, *xs):
        return tuple(f.arrow.fn(sp[1], *xs))

    def update(sp, xs, ys):
        return step.put((sp,) + tuple(xs) + tuple(ys), ())[0]

    def request(sp, xs, ys):
        xs = tuple(xs)
        grads = error.put((sp[1],) + xs + tuple(ys), (1.0,))[1:1 + n_x]
        n = batch_size(xs)
        return tuple(quadratic.inverse(x, n * g) for x, g in zip(xs, grads))

    def init(key):
        p = f.init(key)
        return optimizer.init(p), p

    return Learner(init, implement, update, request, n_x, f.n_out,
                   lambda ys, targets: loss.fn(*ys, *targets),
                   (OPTIMISER_STATE, f.names), lambda ys, targets: loss.check(ys, *targets),
                   picture=picture(model, loss.name, optimizer.name)
                   if isinstance(model, Diagram) else None)


def picture(model: Diagram, loss: str, optimizer: str) -> Diagram:
    """What a learner trains, drawn: each layer box reads its parameters on a
    last wire ``θ`` from a box above it (``θ1 adam(0.01)``: the parameters the
    optimiser updates), and the loss reads the outputs and the labels."""
    graph = model.hypergraph
    wires, boxes, inputs, outputs = list(graph.wires), [], [], []
    rename = list(range(len(graph.wires)))  # the model's wires, in the picture
    owned = 0
    for box, ins, outs in zip(graph.boxes, graph.inputs, graph.outputs):
        ins = tuple(rename[w] for w in ins)
        if isinstance(box, Layer):
            owned += 1
            wires.append(THETA)
            boxes.append(Box(f"θ{owned} {optimizer}", Ty(), Ty.of((THETA,))))
            inputs.append(())
            outputs.append((len(wires) - 1,))
            ins = ins + (len(wires) - 1,)
            box = Box(box.label, box.dom @ Ty.of((THETA,)), box.cod)
        fresh = tuple(range(len(wires), len(wires) + len(outs)))
        wires.extend(graph.wires[w] for w in outs)
        for w, v in zip(outs, fresh):
            rename[w] = v
        boxes.append(box)
        inputs.append(ins)
        outputs.append(fresh)
    para = Graph(Hypergraph(tuple(wires), tuple(boxes), tuple(inputs), tuple(outputs),
                            graph.dom, tuple(rename[w] for w in graph.cod)))
    labels = Ty("label")
    return (para @ Id(labels)) >> Box(loss, para.cod @ labels, Ty("loss"))


THETA = Ob("θ")
"""The type of a parameter wire in a learner's picture."""


__all__ = ["LOSSES", "OPTIMIZERS", "learn", "named", "to_para"]
