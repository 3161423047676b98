"""The boxes of probabilistic models, and models themselves.

A model is a diagram of a Markov category whose boxes are of five kinds:

* :class:`Prim` — a deterministic primitive (``add``, ``exp``, ``index`` …),
  with its static options as box data; :class:`Const` is a primitive with no
  inputs holding a literal;
* :class:`Sample` — ``site ~ dist(params)``: the inputs are the
  distribution's parameters in order, the output its value. The site name is
  how data binds it: the same box is latent or observed by the query. Not
  discardable: a site nothing reads is still one a query may observe (and
  observing it scores the data), so ``p ~ Beta(1, 1)`` and ``p ~ Beta(2, 1)``
  make different models even where ``p`` is never read;
* :class:`Score` — ``factor(expr)``: adds ``sum(expr)`` to the log weight.
  Not discardable, so equality never prunes it;
* :class:`Deterministic` — ``theta = expr`` of a random ``expr``: reports the
  value under the name ``theta`` (Stan's transformed parameters, NumPyro's
  ``deterministic``). A sink, not discardable, so nothing prunes it;
* :class:`Plate` — ``for i in range(start, stop)`` with independent
  iterations: a tensor power of its body, run under ``vmap``;
* :class:`Scan` — a loop whose iteration reads the previous one
  (``x[t-1]``): a composite power of its body, a Moore machine, run under
  ``lax.scan``.

Loop bodies are diagrams with a fixed wire layout:

* Plate body: ``dom = Int @ shared``, ``cod = outputs``. The first wire is
  the loop index; ``shared`` wires are broadcast to every iteration. The
  plate box has ``dom = shared`` and ``cod = outputs``, each output stacked
  along a new leading axis of length ``stop - start``.
* Scan body: ``dom = Int @ state @ shared``, ``cod = state @ outputs``. The
  scan box has ``dom = state @ shared`` (initial state, then shared) and
  ``cod = state @ outputs`` (final state, then the outputs stacked along a
  leading axis of length ``stop - start``).

Addresses: a :class:`Sample` at top level has ``index = ()`` for a whole
site (``w ~ …``) or static integers for an element (``x[0] ~ …``). Inside a
loop, ``y[j] ~ …`` is a Sample with site ``y`` and ``index = ()``; the loop
box makes it the slice ``y[start:stop]`` of the site. So data ``y`` of
length ``T`` observes ``Sample(site="y", index=(0,))`` with ``y[0]`` and the
scan's inner ``y`` with ``y[1:T]`` when the scan runs over ``range(1, T)``.
A top-level loop may write one row of a family, ``for k in range(K) { y[0, k]
~ … }``: its ``at`` holds ``("y", (0,))`` and the site's part is ``y[0, 0:K]``
(several observations per time step, with ``y[t, k]`` inside a later scan).

Dimensions (``start``, ``stop``, shapes) are ints, names of model arguments
(``"T"``), or ``(op, a, b)`` with op ``"+"``/``"-"``/``"*"``; they are
resolved by :func:`resolve_dim` when a query binds the arguments.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence, Union

from catlearn import display
from catlearn.syntax.diagram import Box, Diagram
from catlearn.syntax.ty import Ob, Ty, dim_str

DimExpr = Union[int, str, tuple]

INT = Ty("Int")


class Prim(Box):
    """A deterministic primitive ``op``; static options (axis, index …) as data."""

    def __init__(self, op: str, dom: Ty, cod: Ty, **options: Any):
        super().__init__(op, dom, cod, deterministic=True, op=op, **options)


class Const(Box):
    """A literal ``value`` of type ``ty``: a box ``I -> ty``."""

    def __init__(self, value: Any, ty: Ty = Ty("Real")):
        super().__init__(repr(value) if not hasattr(value, "shape") else "const",
                         Ty(), ty, deterministic=True, value=value)


class Sample(Box):
    """``site ~ dist(params)``: dom is the parameters' types, cod the value's."""

    def __init__(self, site: str, dist: str, dom: Ty, cod: Ty, index: tuple = ()):
        address = site + ("[" + ", ".join(map(str, index)) + "]" if index else "")
        super().__init__(f"{address} ~ {dist}", dom, cod, discardable=False, site=site,
                         dist=dist, index=tuple(index))

    @property
    def address(self) -> str:
        """The site and, for one element of it, the index: ``y`` or ``x[0]``."""
        return self.site + ("[" + ", ".join(map(str, self.index)) + "]" if self.index else "")


class Score(Box):
    """``factor(expr)``: a box ``ty -> I`` adding ``sum(expr)`` to the log weight."""

    def __init__(self, dom: Ty = Ty("Real")):
        super().__init__("factor", dom, Ty(), discardable=False)


class Deterministic(Box):
    """``name = expr``, reported: a box ``ty -> I`` recording its input as the
    value (or, with ``index``, the element) ``name`` the model computes."""

    def __init__(self, site: str, dom: Ty, index: tuple = ()):
        address = site + ("[" + ", ".join(map(str, index)) + "]" if index else "")
        super().__init__(f"{address} =", dom, Ty(), discardable=False, site=site,
                         index=tuple(index))


class _Loop(Box):
    """A box with a body diagram iterated over ``range(start, stop)``; discardable
    only when every box of its body is (a loop of sites is kept, as they are)."""

    body: Diagram

    def __init__(self, kind: str, body: Diagram, var: str, start: DimExpr,
                 stop: DimExpr, dom: Ty, cod: Ty, at: tuple = (), **extra: Any):
        if at:  # only when written, so that loops without it keep their identity
            extra["at"] = tuple(sorted((site, tuple(index)) for site, index in at))
        super().__init__(f"{kind} {var} in range({dim_str(start)}, {dim_str(stop)})",
                         dom, cod, discardable=all(box.discardable for box in body.boxes),
                         body=_BodyRef(body), var=var, start=start, stop=stop, **extra)
        self.body = body

    def at_of(self, site: str) -> tuple:
        """The static index before the loop's own axis of the family ``site`` it
        writes: ``(0,)`` for ``for k in range(K) { y[0, k] ~ … }``, else ``()``."""
        return dict(self.data.get("at", ())).get(site, ())


class Plate(_Loop):
    """Independent iterations: ``body : Int @ shared -> outputs``."""

    def __init__(self, body: Diagram, var: str, start: DimExpr, stop: DimExpr,
                 at: tuple = ()):
        shared, outputs = body.dom[1:], body.cod
        super().__init__("plate", body, var, start, stop, shared,
                         Ty.of(stacked(o, start, stop) for o in outputs.objects), at)


class Scan(_Loop):
    """Iterations threading a state: ``body : Int @ state @ shared -> state @ outputs``."""

    def __init__(self, body: Diagram, var: str, start: DimExpr, stop: DimExpr,
                 n_state: int, at: tuple = ()):
        state, outputs = body.cod[:n_state], body.cod[n_state:]
        if body.dom[1:1 + n_state] != state:
            from catlearn.errors import CatlearnTypeError
            raise CatlearnTypeError(
                f"the state of the loop over {var} changes type: it enters as "
                f"{body.dom[1:1 + n_state]} and leaves as {state}")
        super().__init__("scan", body, var, start, stop, body.dom[1:],
                         state @ Ty.of(stacked(o, start, stop) for o in outputs.objects),
                         at, n_state=n_state)


@dataclass(frozen=True)
class _BodyRef:
    """Holds a loop body inside box data; equal when the bodies are equal."""

    body: Diagram = field(compare=False)

    def __eq__(self, other) -> bool:
        return isinstance(other, _BodyRef) and self.body == other.body

    def __hash__(self) -> int:
        return hash(self.body)


def stacked(ob, start: DimExpr, stop: DimExpr):
    """An atom with a new leading axis of length ``stop - start``."""
    length = stop if start == 0 else simplify(("-", stop, start))
    return Ob(ob.name, (length,) + tuple(ob.shape))


def simplify(dim: DimExpr) -> DimExpr:
    """Fold integer arithmetic in a dimension expression."""
    if isinstance(dim, tuple):
        op, a, b = dim[0], simplify(dim[1]), simplify(dim[2])
        if isinstance(a, int) and isinstance(b, int):
            return _OPS[op](a, b)
        return (op, a, b)
    return dim


def resolve_dim(dim: DimExpr, env: Mapping[str, Any]) -> int:
    """The integer value of a dimension given the model's arguments.

    >>> resolve_dim(("-", "T", 1), {"T": 100})
    99
    """
    if isinstance(dim, tuple):
        return _OPS[dim[0]](resolve_dim(dim[1], env), resolve_dim(dim[2], env))
    if isinstance(dim, str):
        return int(env[dim])
    return int(dim)


_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}


@dataclass(repr=False)
class Model:
    """A named model: a diagram ``args -> returns`` of :class:`Sample`,
    :class:`Prim`, :class:`Score`, :class:`Plate` and :class:`Scan` boxes.

    ``args`` are the argument names with their types (the diagram's domain,
    in order); ``returns`` the names of the returned wires (its codomain).
    """

    name: str
    args: list[tuple[str, Ty]]
    diagram: Diagram
    returns: list[str] = field(default_factory=list)
    #: what a query's arguments and data must satisfy beyond their types, as
    #: ``check_binding(args, data, site_shapes)`` (``site_shapes`` None: before the
    #: model has run): set by the language for the models it elaborates (indices in
    #: range, parameters in their support); no part of what the model means
    check_binding: Optional[Callable[..., None]] = field(default=None, compare=False,
                                                         repr=False)

    def __repr__(self) -> str:
        return f"<Model {self.signature}; sites {display.names([s.site for s in self.sites()])}>"

    @property
    def structure(self) -> tuple:
        """What a compiled program of this model depends on: its arguments, its
        diagram's hypergraph (the boxes, literals included, in the order a
        program runs them, so the same key gives the same draws) and what it
        returns; not its name, which no program reads."""
        return (tuple(self.args), self.diagram.hypergraph, tuple(self.returns))

    @property
    def signature(self) -> str:
        """``name(arg: Type, …)`` as the program declares it."""
        return f"{self.name}({', '.join(f'{a}: {t}' for a, t in self.args)})"

    def draw(self, path: str | None = None, observed: Sequence[str] = (), unroll: int = 0,
             **options: Any) -> Any:
        """The model's picture (a matplotlib Figure): named sites and wires,
        ``observed`` sites shaded, loops as frames, the first ``unroll`` steps of
        each scan one frame each (see :mod:`~catlearn.syntax.model_picture`);
        written to ``path`` if given. ``self.diagram.draw()`` draws the bare diagram."""
        from catlearn.syntax.drawing import draw
        from catlearn.syntax.model_picture import model_picture
        picture = model_picture(self.diagram, [a for a, _ in self.args], observed,
                                returns=self.returns, unroll=unroll)
        return draw(picture, path, **options)

    def _repr_svg_(self) -> str:
        from catlearn.syntax.drawing import svg_of
        return svg_of(self.draw())

    def _repr_html_(self) -> str:
        rows = [(s.address, s.dist, str(s.cod)) for s in self.sites()]
        return display.block(f"model {self.signature}",
                             [display.table(("site", "distribution", "type"), rows)],
                             picture=self._repr_svg_())

    def deterministic(self) -> list[Deterministic]:
        """Every reported value the model computes, loop bodies included, in program order."""
        return [box for box in self._boxes() if isinstance(box, Deterministic)]

    def sites(self) -> list[Sample]:
        """Every sample box, loop bodies included, in program order."""
        return [box for box in self._boxes() if isinstance(box, Sample)]

    def _boxes(self):
        """Every box, loop bodies entered where the loop stands."""
        todo = list(reversed(self.diagram.boxes))
        while todo:
            box = todo.pop()
            yield box
            if isinstance(box, _Loop):
                todo.extend(reversed(box.body.boxes))
