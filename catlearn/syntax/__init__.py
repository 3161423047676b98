"""The syntax layer: types, string diagrams, their flat form and equality."""
from catlearn.syntax.ty import Ob, Ty
from catlearn.syntax.diagram import Box, Copy, Diagram, Discard, Graph, Id, Swap
from catlearn.syntax.hypergraph import Hypergraph, evaluate
from catlearn.syntax.equation import Equation
