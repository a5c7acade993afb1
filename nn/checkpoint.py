"""Checkpoints: a pytree of arrays (dicts, lists, tuples, None) saved to one ``.npz`` file
together with its structure, and loaded back, checked against the model it is loaded into.

The structure is stored as JSON next to the arrays (no pickle), so loading a checkpoint cannot
run code; a checkpoint whose structure, shapes or dtypes differ from ``like`` is refused with
an error naming the first differing entry, e.g. ``[3]['w']``.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nn.errors import CheckpointError, at_user_line

_STRUCTURE = "__structure__"


def _encode(tree: Any, leaves: list) -> Any:
    """The JSON skeleton of ``tree``; its arrays are appended to ``leaves``."""
    if tree is None:
        return None
    if isinstance(tree, dict):
        if not all(isinstance(k, str) for k in tree):
            raise TypeError(at_user_line("save_checkpoint: dict keys must be strings"))
        return {"dict": {k: _encode(v, leaves) for k, v in sorted(tree.items())}}
    if isinstance(tree, (list, tuple)) and not hasattr(tree, "_fields"):
        kind = "list" if isinstance(tree, list) else "tuple"
        return {kind: [_encode(v, leaves) for v in tree]}
    array = np.asarray(tree)
    if array.dtype == object:
        raise TypeError(
            at_user_line(f"save_checkpoint: a leaf of type {type(tree).__name__} is not an array")
        )
    leaves.append(array)
    return {"leaf": len(leaves) - 1, "shape": list(array.shape), "dtype": array.dtype.str}


def _decode(spec: Any, arrays: Any) -> Any:
    if spec is None:
        return None
    if "dict" in spec:
        return {k: _decode(v, arrays) for k, v in spec["dict"].items()}
    if "list" in spec:
        return [_decode(v, arrays) for v in spec["list"]]
    if "tuple" in spec:
        return tuple(_decode(v, arrays) for v in spec["tuple"])
    return arrays[f"leaf_{spec['leaf']}"]


def save_checkpoint(path: str | Path, tree: Any) -> Path:
    """Save a pytree of arrays (e.g. a model's params) to ``path`` (``.npz``).

    Example:
        >>> save_checkpoint("lenet5.npz", params)
    """
    leaves: list = []
    structure = json.dumps(_encode(tree, leaves))
    path = Path(path)
    arrays = {f"leaf_{i}": leaf for i, leaf in enumerate(leaves)}
    np.savez(path, **{_STRUCTURE: np.array(structure)}, **arrays)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def _compare(saved: Any, expected: Any, where: str, path: Path) -> None:
    """Raise at the first entry where the saved skeleton differs from the expected one."""

    def fail(what: str) -> CheckpointError:
        return CheckpointError(
            at_user_line(
                f"load_checkpoint: {path} does not fit the parameters it is loaded into: at "
                f"{where or 'the root'}, {what}"
            )
        )

    kind = lambda s: "None" if s is None else next(iter(s))  # noqa: E731
    if kind(saved) != kind(expected):
        raise fail(f"the checkpoint has a {kind(saved)} where the model has a {kind(expected)}")
    if kind(saved) == "leaf":
        for field in ("shape", "dtype"):
            if saved[field] != expected[field]:
                theirs, ours = tuple(saved[field]), tuple(expected[field])
                if field == "dtype":
                    theirs, ours = np.dtype(saved[field]).name, np.dtype(expected[field]).name
                raise fail(f"the checkpoint has {field} {theirs} but the model expects {ours}")
    elif kind(saved) == "dict":
        a, b = saved["dict"], expected["dict"]
        if a.keys() != b.keys():
            raise fail(f"the checkpoint has keys {sorted(a)} but the model has {sorted(b)}")
        for key in a:
            _compare(a[key], b[key], f"{where}[{key!r}]", path)
    elif kind(saved) != "None":
        a, b = saved[kind(saved)], expected[kind(expected)]
        if len(a) != len(b):
            raise fail(f"the checkpoint has {len(a)} entries but the model has {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare(x, y, f"{where}[{i}]", path)


def load_checkpoint(path: str | Path, like: Any = None) -> Any:
    """Load a pytree saved by ``save_checkpoint``; with ``like`` (e.g. freshly initialized
    params), check that structure, shapes and dtypes match first.

    Example:
        >>> params = load_checkpoint("lenet5.npz", like=model.init(0, (1, 28, 28))[0])
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(at_user_line(f"load_checkpoint: {path} does not exist"))
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        saved = json.loads(str(arrays.pop(_STRUCTURE)))
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as e:
        raise CheckpointError(
            at_user_line(
                f"load_checkpoint: {path} is not a checkpoint written by save_checkpoint: {e!r}"
            )
        ) from None
    if like is not None:
        _compare(saved, _encode(like, []), "", path)
    return _decode(saved, arrays)
