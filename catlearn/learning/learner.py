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
>>> {name: sorted(layer) for name, layer in params.weights.items()}
{'dense_0': ['b', 'w'], 'dense_1': ['b', 'w']}
>>> clf
Learner(Real[4] -> Real[3])
"""
from __future__ import annotations

import difflib
from collections import Counter
from typing import Any, Callable, Mapping, Optional, Union

from catlearn.categories.learn import OPTIMISER_STATE, Parameters
from catlearn.categories.lens import lenses, parametric_lens
from catlearn.categories.function import Function
from catlearn.categories.para import Para, Parametrised, para
from catlearn.categories.sampler import samplers
from catlearn.errors import CatlearnTypeError, UnknownNameError
from catlearn.functor import Functor
from catlearn.keys import require_key
from catlearn.learning.backprop import batch_size, quadratic
from catlearn.learning.losses import Loss, cross_entropy, mse, nll
from catlearn.learning.optimisers import Optimiser, adam, learning_rate, momentum, sgd
from catlearn.learning.train import Trainable
from catlearn.options import checked_options
from catlearn.primitives.layers import Dropout
from catlearn.primitives.nn import Layer  # (its module gives layer boxes their meaning in Para)
from catlearn.syntax.diagram import Box, Diagram, Graph, Id
from catlearn.syntax.hypergraph import Hypergraph
from catlearn.syntax.ty import Ob, Ty

"""How a learner's names call the optimiser's part of its parameters."""

_in_para = Functor(cod=para)
_in_stochastic_para = Functor(cod=Para(samplers))  # dropout's train mode (primitives/layers)


def to_para(diagram: Diagram) -> Parametrised:
    """A diagram's image in Para(Euc): the same map, its layers' parameters
    gathered on one wire; it draws with those parameters as wires from above."""
    f = _in_para(diagram)
    f.picture = para_picture(diagram)
    return f
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


def layer_names(diagram: Diagram) -> list[Optional[str]]:
    """The name of each box's weights, in the diagram's box order: ``dense_0``,
    ``dense_1`` … for layers (each kind numbered apart), ``None`` for boxes
    without parameters (activations, arithmetic)."""
    seen: Counter = Counter()
    names: list[Optional[str]] = []
    for box in diagram.boxes:
        if isinstance(box, Layer):
            names.append(f"{box.name}_{seen[box.name]}")
            seen[box.name] += 1
        else:
            names.append(None)
    return names


def named_weights(model: Union[Diagram, Parametrised]) -> tuple[Parametrised, list[str]]:
    """``model`` in Para(Euc) re-parametrised by its named weights (a dict from
    layer names to each layer's parameters), and those names."""
    if isinstance(model, Diagram):
        f, names = to_para(model), layer_names(model)
        layers = [n for n in names if n is not None]
        to_params = by_position(names)

        def to_weights(p):
            return {n: part for n, part in zip(names, p) if n is not None}
    elif isinstance(model, Parametrised):
        f = model
        layers = [model.names if isinstance(model.names, str) and model.names else "params"]

        def to_weights(p):
            return {layers[0]: p}

        def to_params(w):
            return w[layers[0]]
    elif getattr(model, "meets_wire", False):
        raise CatlearnTypeError(f"learn({model!r}): an activation alone has no type; give "
                                f"its size, as in learn({model!r}(4)), or compose it with a "
                                f"layer, as in learn(dense(4, 8) >> {model!r})")
    else:
        raise CatlearnTypeError(f"learn takes a diagram (such as dense(4, 3)) or a Para "
                                f"morphism, not the {type(model).__name__} {model!r}"[:200])
    named = para.reparametrise(f, Function(1, 1, lambda w: (to_params(w),)),
                               lambda key: to_weights(f.init(key)))
    labels = [box.label for box in model.boxes if isinstance(box, Layer)] \
        if isinstance(model, Diagram) else [repr(model)]
    named.names = {n: f"{n} ({label})" for n, label in zip(layers, labels)}
    named.picture = f.picture
    return named, layers


def by_position(names: list[Optional[str]]) -> Callable[[dict], tuple]:
    """Named weights to the diagram's parameters, one per box in box order."""
    def to_params(weights: dict) -> tuple:
        return tuple(() if n is None else weights[n] for n in names)
    return to_params


def lenses_of(f: Parametrised, loss: Loss, optimizer: Optimiser, n_y: int = 1):
    """The error lens ``P ⊗ X ⊗ Y -> ℓ`` of ``f`` and its training step, the
    optimiser's lens closing it (see the module's docstring)."""
    n_x = f.n_in
    model_lens = parametric_lens(f).arrow                       # P ⊗ X -> Ŷ
    error = (model_lens @ lenses.id([None] * n_y)) >> loss      # P ⊗ X ⊗ Y -> ℓ
    descent = error >> learning_rate(optimizer.rate)            # ... -> I, backwards -ε∇
    return error, (optimizer.lens @ lenses.id([None] * (n_x + n_y))) >> descent


def stepped(step: Any, params: Parameters, xs: tuple, ys: tuple) -> Parameters:
    """The parameters after one step: the backward pass of ``step`` at the unit."""
    state, weights = step.put(((params.state, params.weights),) + tuple(xs) + tuple(ys),
                              ())[0]
    return Parameters(weights, state)


def train_mode(model: Diagram, f: Parametrised, loss: Loss, optimizer: Optimiser
               ) -> Optional[Callable[[Parameters, tuple, tuple, Any], Parameters]]:
    """The update of a network with dropout in train mode: its image in stochastic
    Para at the step's key (the masks drawn from it) is a map of Para(Euc), whose
    reverse derivative is the gradient with those masks; ``None`` when the network
    draws nothing."""
    if not any(isinstance(box, Dropout) for box in model.boxes):
        return None
    sampled, to_params = _in_stochastic_para(model).arrow, by_position(layer_names(model))

    def train_update(params, xs, ys, key):
        at_key = Parametrised(
            Function(f.arrow.n_in, f.arrow.n_out,
                     lambda w, *xs: tuple(sampled.fn(key, to_params(w), *xs))),
            f.init, f.names, f.dom, f.cod)
        return stepped(lenses_of(at_key, loss, optimizer)[1], params, xs, ys)
    return train_update


def learn(model: Union[Diagram, Parametrised], loss: Union[Loss, str] = mse,
          optimizer: Union[Optimiser, str] = "sgd") -> Trainable:
    """The learner training ``model`` on ``loss`` with ``optimizer``; a name
    stands for the loss or the optimiser with its default settings.

    Its parameters are :class:`~catlearn.categories.learn.Parameters`: the
    weights, by layer name, and apart from them the optimiser's state.
    """
    loss = named(LOSSES, loss, "loss") if isinstance(loss, str) else loss
    if not isinstance(loss, Loss):
        raise CatlearnTypeError(f"learn: the loss must be a loss such as mse or "
                                f"cross_entropy, or its name, not {loss!r}"[:200])
    if isinstance(optimizer, str):
        optimizer = named(OPTIMIZERS, optimizer, "optimizer")()
    if not isinstance(optimizer, Optimiser):
        hint = f"; call it: optimizer={optimizer.__name__}()" if callable(optimizer) and \
            getattr(optimizer, "__name__", None) else ""
        raise CatlearnTypeError(f"learn: the optimizer must be an optimiser such as adam(0.01) "
                                f"or its name, not {optimizer!r}{hint}"[:200])
    f, layers = named_weights(model)
    if loss.n_in - 1 != f.n_out:
        raise CatlearnTypeError(f"the loss {loss.name} compares {loss.n_in - 1} prediction(s) "
                                f"with a label, but the model has {f.n_out} output(s)")
    n_x, n_y = f.n_in, 1
    error, step = lenses_of(f, loss, optimizer, n_y)

    def implement(params, *xs):
        return tuple(f.arrow.fn(params.weights, *xs))

    def update(params, xs, ys):
        return stepped(step, params, xs, ys)

    def request(params, xs, ys):
        xs = tuple(xs)
        grads = error.put((params.weights,) + xs + tuple(ys), (1.0,))[1:1 + n_x]
        n = batch_size(xs)
        return tuple(quadratic.inverse(x, n * g) for x, g in zip(xs, grads))

    @checked_options
    def init(key):
        weights = f.init(require_key("init", key))
        return Parameters(weights, optimizer.init(weights))

    return Trainable(init, implement, update, request, n_x, f.n_out,
                   lambda ys, targets: loss.fn(*ys, *targets),
                   Parameters(f.names, OPTIMISER_STATE),
                   lambda ys, targets: loss.check(ys, *targets), f.dom, f.cod, layers, n_y,
                   picture=picture(model, loss.name, optimizer.name)
                   if isinstance(model, Diagram) else None,
                   train_update=train_mode(model, f, loss, optimizer)
                   if isinstance(model, Diagram) else None)


def picture(model: Diagram, loss: str, optimizer: str) -> Diagram:
    """What a learner trains, drawn: each layer box reads its parameters on a
    last wire ``θ`` from a box above it (``θ1 adam(0.01)``: the parameters the
    optimiser updates), and the loss reads the outputs and the labels."""
    para = para_picture(model, f" {optimizer}")
    labels = Ty("label")
    return (para @ Id(labels)) >> Box(loss, para.cod @ labels, Ty("loss"))


def para_picture(model: Diagram, source: str = "") -> Diagram:
    """A diagram as a Para map, drawn: each layer box reads its parameters on a
    last wire ``θ`` from a box ``θ1``, ``θ2`` … above it (followed by ``source``)."""
    graph = model.hypergraph
    wires, boxes, inputs, outputs = list(graph.wires), [], [], []
    rename = list(range(len(graph.wires)))  # the model's wires, in the picture
    owned = 0
    for box, ins, outs in zip(graph.boxes, graph.inputs, graph.outputs):
        ins = tuple(rename[w] for w in ins)
        if isinstance(box, Layer):
            owned += 1
            wires.append(THETA)
            boxes.append(Box(f"θ{owned}{source}", Ty(), Ty.of((THETA,))))
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
    return Graph(Hypergraph(tuple(wires), tuple(boxes), tuple(inputs), tuple(outputs),
                            graph.dom, tuple(rename[w] for w in graph.cod)))


THETA = Ob("θ")
"""The type of a parameter wire in a learner's picture."""


__all__ = ["LOSSES", "OPTIMIZERS", "by_position", "layer_names", "learn", "lenses_of",
           "named", "named_weights", "para_picture", "stepped", "to_para", "train_mode"]
