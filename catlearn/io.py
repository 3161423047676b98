"""Data files: CSV and JSON tables of numbers, never pickles.

A table is a mapping from column (or key) names to NumPy arrays. CSV columns
are named by the header row; integer columns stay integers. JSON objects map
keys to numbers or (nested, rectangular) lists of numbers.

>>> import json, os, tempfile
>>> path = os.path.join(tempfile.mkdtemp(), "d.json")
>>> _ = open(path, "w").write(json.dumps({"n": 3, "y": [1.5, 2.0]}))
>>> table = load_table(path)
>>> int(table["n"]), table["y"].tolist(), table.columns
(3, [1.5, 2.0], ['n', 'y'])
"""
from __future__ import annotations

import csv
import difflib
import json
import os
from typing import Iterable, Iterator, Mapping, Optional

import numpy as np

from catlearn.errors import DataError, UnknownNameError

FORMATS = ("csv", "json")


class DataTable(Mapping):
    """Named numeric columns read from a file."""

    def __init__(self, name: str, path: str, columns: dict[str, np.ndarray]):
        self.name, self.path, self._columns = name, path, columns

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def __getitem__(self, key: str) -> np.ndarray:
        if key not in self._columns:
            close = difflib.get_close_matches(key, self._columns, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise UnknownNameError(f"{self.name} has no column '{key}'{hint} "
                                   f"(columns: {', '.join(self._columns)})")
        return self._columns[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._columns)

    def __len__(self) -> int:
        return len(self._columns)

    def __repr__(self) -> str:
        return f"<DataTable {self.name} from {self.path}: {', '.join(self._columns)}>"


def resolve_data_path(path: str, folder: str, allow_paths: Iterable[str] = ()) -> str:
    """The file a program means by ``path``: relative to the program's ``folder``,
    and inside it or one of ``allow_paths`` once ``..`` and symbolic links are
    resolved; anything else is a :class:`DataError`, so a program cannot read
    files its user did not hand it.

    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> resolve_data_path("d.csv", folder) == os.path.join(os.path.realpath(folder), "d.csv")
    True
    >>> resolve_data_path("../secret.csv", folder)
    Traceback (most recent call last):
    ...
    catlearn.errors.DataError: the data path '../secret.csv' leads outside the program's folder; allow it with --allow-path DIR (allow_paths=[DIR] in Python)
    """
    if "\0" in path:
        raise DataError(f"the data path {path!r} holds a NUL byte, which no file name can")
    roots = [os.path.realpath(root) for root in (folder, *allow_paths)]
    full = os.path.realpath(os.path.join(folder, path))
    if not any(os.path.commonpath([full, root]) == root for root in roots):
        raise DataError(f"the data path '{path}' leads outside the program's folder; allow "
                        "it with --allow-path DIR (allow_paths=[DIR] in Python)")
    return full


def load_table(path: str, format: Optional[str] = None, name: Optional[str] = None) -> DataTable:
    """Read a CSV or JSON file (the format is the extension unless given)."""
    format = format or os.path.splitext(path)[1].lstrip(".").lower()
    name = name or os.path.basename(path)
    if format not in FORMATS:
        raise DataError(f"unknown data format '{format}'; use csv(...) or json(...)")
    if "\0" in path:
        raise DataError(f"the data path {path!r} holds a NUL byte, which no file name can")
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):
        # a FIFO or a device would block or never end
        raise DataError(f"cannot read {path}: it is not a regular file (a pipe or a device?)")
    try:
        with open(path, newline="", encoding="utf-8-sig") as file:  # a BOM is dropped
            columns = _read_csv(file, path) if format == "csv" else _read_json(file, path)
    except OSError as err:
        raise DataError(f"cannot read {path}: {err.strerror or err}") from None
    except UnicodeDecodeError as err:
        raise DataError(f"{path} is not UTF-8 text (byte {err.start}); catlearn reads CSV "
                        "and JSON text files only") from None
    return DataTable(name, path, columns)


def _read_csv(file, path: str) -> dict[str, np.ndarray]:
    rows = list(csv.reader(file))
    if not rows:
        raise DataError(f"{path} is empty: a CSV file needs a header row")
    header, body = [h.strip() for h in rows[0]], [r for r in rows[1:] if r]
    if len(set(header)) != len(header):
        raise DataError(f"{path}: the header names a column twice")
    columns: dict[str, list] = {h: [] for h in header}
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise DataError(f"{path}, line {number}: {len(row)} fields, expected "
                            f"{len(header)}")
        for h, text in zip(header, row):
            columns[h].append(_number(text.strip(), f"{path}, line {number}, column {h}"))
    return {h: np.asarray(values) for h, values in columns.items()}


MISSING = "NA"
"""How a CSV file marks a missing value (JSON: ``null`` in a list). A site
observed by data with missing values is observed in part
(:func:`catlearn.inference.conditioning.bind_data`); an argument must be complete."""


def _number(text: str, where: str):
    if text == MISSING:
        return float("nan")
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {text!r} is not a number") from None
    if value != value:
        raise DataError(f"{where}: a missing value (NaN); catlearn needs complete data")
    if value in (float("inf"), float("-inf")):
        raise DataError(f"{where}: {text!r} is infinite; catlearn needs finite data")
    return value


def _nulls_missing(value):
    """A JSON list with ``null`` elements, the nulls made NaN (missing values)."""
    if isinstance(value, list):
        return [np.nan if v is None else _nulls_missing(v) for v in value]
    return value


def _has_null(value) -> bool:
    return value is None or (isinstance(value, list) and any(map(_has_null, value)))


def _read_json(file, path: str) -> dict[str, np.ndarray]:
    try:
        document = json.load(file)
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err.msg}, line {err.lineno})") from None
    except RecursionError:
        raise DataError(f"{path}: the JSON is nested too deeply to read") from None
    if not isinstance(document, dict):
        raise DataError(f"{path}: the JSON document must be an object of named values")
    out = {}
    for key, value in document.items():
        try:
            array = np.asarray(_nulls_missing(value))
        except ValueError:
            array = None
        if array is None or array.dtype.kind not in "iufb":
            raise DataError(f"{path}: '{key}' must be a number or a rectangular list of "
                            "numbers")
        if array.dtype.kind == "f" and np.isnan(array).any() and not _has_null(value):
            raise DataError(f"{path}: '{key}' has NaN values; mark a missing value "
                            "with null")
        if array.dtype.kind == "f" and np.isinf(array).any():
            raise DataError(f"{path}: '{key}' has infinite values; catlearn needs finite data")
        out[key] = array
    return out
