"""Queries made from Python, checked as ``catlearn run`` checks them.

``catlearn run`` refuses, where the model reads it, an argument or datum that
puts an index out of range or a distribution's parameter outside its support
(:func:`catlearn.lang.bound.check`), before anything runs. :func:`infer` (what
``cl.infer`` is) makes the same check for a model with a definition (one loaded
from a program, or written as a Python function, whose errors are located in
its Python file), then runs :func:`catlearn.inference.api.infer`. Without it a
``Normal`` whose scale is an argument given as ``-1`` would sample, silently,
with the draws' signs flipped (``tests/test_python_queries_checked.py``).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from catlearn.errors import CatlearnError
from catlearn.inference import api
from catlearn.inference.posterior import Posterior
from catlearn.lang import ast, bound
from catlearn.lang.python import located_in_python
from catlearn.options import checked_options
from catlearn.syntax.model import Model


@checked_options
def infer(model: Model, args: Optional[Mapping[str, Any]] = None,
          data: Optional[Mapping[str, Any]] = None, method: Optional[api.Method] = None,
          key: Any = None, given: Optional[Mapping[str, Any]] = None) -> Posterior:
    """The posterior of ``model(args)`` given ``data``, by ``method``, as
    :func:`catlearn.inference.api.infer` gives it, after the query is checked
    against the model's definition (see the module's text)."""
    definition = getattr(model, "source", None)
    if (isinstance(model, Model) and isinstance(method, api.Method)
            and isinstance(definition, ast.ModelDef) and (data is None or given is None)):
        try:
            bound.check(model, args or {}, (data if given is None else given) or {})
        except CatlearnError as err:
            raise located_in_python(err, definition) from None
    return api.infer(model, args, data, method, key, given)
