"""Conditioning as a rewrite of diagrams.

A model says how its sites are drawn; a query says which of them are known.
Conditioning does not change how the model is interpreted, it changes the
diagram: each named sample box becomes a box of another kind, with the same
inputs and output, and one functor (:mod:`catlearn.categories.traced`)
gives every kind its meaning.

* :class:`Observe` — the site's value is data: it is read, not drawn, and
  its log density is a score (the likelihood). Data with missing elements
  observe what they hold; the missing elements are drawn, or, in a log
  density, are latent.
* :class:`Latent` — the site's value is an input on unconstrained space,
  pushed through its support's bijection; its log density and the
  log-Jacobian are a score (the prior). This is the log density NUTS runs on.
* :class:`Fixed` — the site's value is given on its support (posterior
  prediction, PMMH's parameters): read and scored as part of the prior.

The values reach the rewritten boxes through the traced category's reader
(``given``), sliced by the loops around them as the site's index says, so a
box deep in a plate reads its own element. Prior sampling, likelihood
weighting, the log density and prediction are then the one functor applied
to ``model``, ``condition(model, observed)``,
``condition(model, observed, latent)`` and ``condition(model, fixed=…)``.

>>> from catlearn.syntax import Ty
>>> from catlearn.syntax.model import Const, Model, Sample
>>> R = Ty("Real")
>>> m = Model("m", [], (Const(0.0) @ Const(1.0)) >> Sample("y", "Normal", R @ R, R))
>>> [type(box).__name__ for box in condition(m, observed=["y"]).sites()]
['Observe']
>>> condition(m, observed=["y"]).diagram == m.diagram
False
"""
from __future__ import annotations

import dataclasses
from typing import Iterable

from catlearn.errors import InferenceError
from catlearn.syntax.diagram import Diagram, Graph
from catlearn.syntax.model import Model, Plate, Sample, Scan


class _Given(Sample):
    """A sample box whose value is read, not drawn. It scores its value, so,
    like ``factor`` (and like the sample box, whose value a trace reports), it
    is not discardable: an observation whose value no box reads still weighs
    the run."""


class Observe(_Given):
    """A sample box whose value is data: read and scored as likelihood."""


class Latent(_Given):
    """A sample box whose value is an unconstrained input, with its log-Jacobian."""


class Fixed(_Given):
    """A sample box whose value is given on its support, scored as prior."""


def condition(model: Model, observed: Iterable[str] = (), latent: Iterable[str] = (),
              fixed: Iterable[str] = ()) -> Model:
    """``model`` with the named sites' sample boxes rewritten (loop bodies included).

    A site may be named once; sites not named stay sample boxes, drawn.
    """
    roles: dict[str, type] = {}
    named: dict[str, str] = {}
    for kind, role, sites in ((Observe, "observed", observed), (Latent, "latent", latent),
                              (Fixed, "fixed", fixed)):
        for site in sites:
            if site in roles:
                raise InferenceError(f"site '{site}' cannot be both {named[site]} and {role}")
            roles[site], named[site] = kind, role
    return Model(model.name, model.args, rewrite(model.diagram, roles), model.returns)


def rewrite(diagram: Diagram, roles: dict[str, type]) -> Diagram:
    """``diagram`` with each sample box of a site in ``roles`` made of that kind."""
    graph = diagram.hypergraph
    boxes = tuple(_rewrite_box(box, roles) for box in graph.boxes)
    if all(new is old for new, old in zip(boxes, graph.boxes)):
        return diagram
    return Graph(dataclasses.replace(graph, boxes=boxes))


def _rewrite_box(box, roles: dict[str, type]):
    if isinstance(box, Sample) and box.site in roles:
        return roles[box.site](box.site, box.dist, box.dom, box.cod, box.index)
    if isinstance(box, Plate):
        body = rewrite(box.body, roles)
        return box if body is box.body else Plate(body, box.var, box.start, box.stop,
                                                  box.data.get("at", ()))
    if isinstance(box, Scan):
        body = rewrite(box.body, roles)
        return box if body is box.body else Scan(body, box.var, box.start, box.stop,
                                                 box.n_state, box.data.get("at", ()))
    return box
