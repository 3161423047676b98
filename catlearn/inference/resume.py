"""Finished inference results kept on disk, so that a resumed run does not redo them.

A query run with a checkpoint folder saves its :class:`Posterior` when it ends:
the draws, weights and numeric statistics as a checkpoint
(:mod:`catlearn.checkpoint`: ``.npz`` and JSON, never pickled) under the
fingerprint of the model, its arguments and data and the method's options. A
run that finds it, made by the same fingerprint, reads the posterior back
instead of running the method again; one made by another is refused.

>>> import os, tempfile, numpy as np
>>> post = Posterior({"w": np.arange(6.0).reshape(1, 6)}, log_evidence=-1.5, method="smc",
...                  stats={"ess": 3.0})
>>> path = os.path.join(tempfile.mkdtemp(), "q")
>>> save(path, post, "abc")
>>> back = load(path, "abc", target=None)
>>> back.samples["w"].tolist(), back.log_evidence, back.method, back.stats
([[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]], -1.5, 'smc', {'ess': 3.0})
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from catlearn import checkpoint
from catlearn.errors import DataError
from catlearn.inference.posterior import Posterior
from catlearn.inference.target import Target


def save(path: str, posterior: Posterior, made_by: str) -> None:
    """Keep ``posterior`` as the checkpoint ``path`` (statistics that are not numbers or
    arrays of numbers are left out)."""
    stats = {name: value for name, value in posterior.stats.items()
             if isinstance(value, (int, float, np.ndarray, np.generic))
             and np.asarray(value).dtype.kind in "biuf"}
    tree = {"samples": {site: np.asarray(v) for site, v in posterior.samples.items()},
            "log_weights": None if posterior.log_weights is None
            else np.asarray(posterior.log_weights), "stats": stats}
    checkpoint.save(path, tree, {"method": posterior.method,
                                 "log_evidence": posterior.log_evidence}, made_by)


def load(path: str, made_by: str, target: Optional[Target]) -> Posterior:
    """The posterior kept at ``path`` by a run with the fingerprint ``made_by``."""
    tree, meta = checkpoint.load(path, made_by=made_by)
    if not (isinstance(tree, dict) and isinstance(tree.get("samples"), dict)
            and isinstance(tree.get("stats"), dict)):
        raise DataError(f"{path}: not a saved posterior")
    log_evidence = meta.get("log_evidence")
    return Posterior(dict(tree["samples"]), log_weights=tree.get("log_weights"),
                     log_evidence=None if log_evidence is None else float(log_evidence),
                     stats=dict(tree["stats"]), method=str(meta.get("method", "")),
                     target=target)
