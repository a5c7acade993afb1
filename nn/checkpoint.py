"""Checkpoints: a pytree of arrays (dicts, lists, tuples, NamedTuples such as optimizer states,
None) saved to one ``.npz`` file together with its structure, and loaded back, checked against
the model it is loaded into.

The structure is stored as JSON next to the arrays (no pickle), so loading a checkpoint cannot
run code. Loading checks every array against that structure and, with ``like``, against the
model: a checkpoint whose structure, shapes or dtypes differ is refused with a
``CheckpointError`` naming the first differing entry, e.g. ``[3]['w']``. Saving is atomic: the
file is written next to its destination and renamed over it only once complete, so a crash or
Ctrl-C during a save leaves the previous checkpoint intact.
"""

from __future__ import annotations

import collections
import json
import os
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nn.errors import CheckpointError, at_user_line

_STRUCTURE = "__structure__"
_KINDS = ("dict", "list", "tuple", "namedtuple", "leaf")


def _is_namedtuple(tree: Any) -> bool:
    return isinstance(tree, tuple) and hasattr(tree, "_fields")


def _encode(tree: Any, leaves: list) -> Any:
    """The JSON skeleton of ``tree``; its arrays are appended to ``leaves``."""
    if tree is None:
        return None
    if isinstance(tree, dict):
        if not all(isinstance(k, str) for k in tree):
            raise TypeError(at_user_line("save_checkpoint: dict keys must be strings"))
        return {"dict": {k: _encode(v, leaves) for k, v in sorted(tree.items())}}
    if _is_namedtuple(tree):
        cls = type(tree)
        return {
            "namedtuple": [_encode(v, leaves) for v in tree],
            "type": f"{cls.__module__}:{cls.__qualname__}",
            "fields": list(cls._fields),
        }
    if isinstance(tree, (list, tuple)):
        kind = "list" if isinstance(tree, list) else "tuple"
        return {kind: [_encode(v, leaves) for v in tree]}
    array = np.asarray(tree)
    if array.dtype == object:
        raise TypeError(
            at_user_line(f"save_checkpoint: a leaf of type {type(tree).__name__} is not an array")
        )
    leaves.append(array)
    return {"leaf": len(leaves) - 1, "shape": list(array.shape), "dtype": array.dtype.str}


def checkpoint_path(path: str | Path) -> Path:
    """Where ``save_checkpoint(path, ...)`` writes: ``path`` with ``.npz`` appended if missing.

    Examples:
        >>> checkpoint_path("runs/lenet5")
        PosixPath('runs/lenet5.npz')
    """
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def save_checkpoint(path: str | Path, tree: Any) -> Path:
    """Save a pytree of arrays (e.g. a model's params, an optimizer state) to ``path``
    (``.npz`` is appended if missing); returns the path written.

    The file is written to a temporary file in the same folder, flushed to disk and renamed
    over ``path``, so an existing checkpoint is replaced whole or not at all.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = save_checkpoint(f"{folder.name}/lenet5", {"w": np.ones(2)})
        >>> path.name
        'lenet5.npz'
        >>> folder.cleanup()
    """
    leaves: list = []
    structure = json.dumps(_encode(tree, leaves))
    path = checkpoint_path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(
            at_user_line(f"save_checkpoint: cannot write {path}: no folder {path.parent}")
        )
    arrays = {f"leaf_{i}": leaf for i, leaf in enumerate(leaves)}
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    # os.open applies the umask, so the checkpoint gets the permissions np.savez would give it.
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **{_STRUCTURE: np.array(structure)}, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:  # Ctrl-C included: never leave a half-written temporary file
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---------------------------------------------------------------- loading


class _Corrupt(Exception):
    """Internal: the stored structure is malformed at ``where``."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"at {where or 'the root'}, {what}")


def _kind(spec: Any) -> str:
    if spec is None:
        return "None"
    if isinstance(spec, dict):
        kinds = [k for k in _KINDS if k in spec]
        if len(kinds) == 1:
            return kinds[0]
    return "?"


def _namedtuple_type(spec: dict, where: str) -> type:
    """The NamedTuple class a spec names if it is already imported (nothing is imported: that
    could run code), else a namedtuple with the same name and fields."""
    type_name, fields = spec.get("type"), spec.get("fields")
    if not isinstance(type_name, str) or not isinstance(fields, list):
        raise _Corrupt(where, "a NamedTuple without its type name and fields")
    if not all(isinstance(f, str) for f in fields) or len(fields) != len(spec["namedtuple"]):
        raise _Corrupt(where, f"a NamedTuple whose fields {fields!r} do not fit its entries")
    module, _, qualname = type_name.partition(":")
    obj: Any = sys.modules.get(module)
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    if isinstance(obj, type) and issubclass(obj, tuple):
        if list(getattr(obj, "_fields", ())) == fields:
            return obj
    name = qualname.rpartition(".")[2]
    return collections.namedtuple(name if name.isidentifier() else "Saved", fields, rename=True)


def _decode(spec: Any, arrays: dict, where: str, used: set) -> Any:
    """The tree of ``spec`` with its arrays, each checked against the shape and dtype that
    ``spec`` records for it; ``_Corrupt`` where the structure is malformed."""
    kind = _kind(spec)
    if kind == "None":
        return None
    if kind == "?":
        raise _Corrupt(where, f"an entry that is not a tree node: {str(spec)[:60]}")
    body = spec[kind]
    if kind == "dict":
        if not isinstance(body, dict):
            raise _Corrupt(where, "a dict entry that is not a mapping")
        return {k: _decode(v, arrays, f"{where}[{k!r}]", used) for k, v in body.items()}
    if kind == "leaf":
        return _decode_leaf(spec, arrays, where, used)
    if not isinstance(body, list):
        raise _Corrupt(where, f"a {kind} entry that is not a list")
    items = [_decode(v, arrays, f"{where}[{i}]", used) for i, v in enumerate(body)]
    if kind == "list":
        return items
    if kind == "tuple":
        return tuple(items)
    return _namedtuple_type(spec, where)(*items)


def _decode_leaf(spec: dict, arrays: dict, where: str, used: set) -> np.ndarray:
    index, shape, dtype = spec.get("leaf"), spec.get("shape"), spec.get("dtype")
    if not isinstance(index, int) or f"leaf_{index}" not in arrays or index in used:
        raise _Corrupt(where, f"a leaf naming array {index!r}, which is missing or used twice")
    if not isinstance(shape, list) or not isinstance(dtype, str):
        raise _Corrupt(where, "a leaf without its shape and dtype")
    used.add(index)
    array = arrays[f"leaf_{index}"]
    if list(array.shape) != shape or array.dtype.str != dtype:
        raise _Corrupt(
            where,
            f"the structure records an array of shape {tuple(shape)} and dtype {_dtype(dtype)} "
            f"but the file holds one of shape {array.shape} and dtype {array.dtype.name}",
        )
    return array


def _dtype(text: str) -> str:
    try:
        return np.dtype(text).name
    except TypeError:
        return repr(text)


def _compare(saved: Any, expected: Any, where: str, path: Path) -> None:
    """Raise at the first entry where the saved skeleton differs from the expected one."""

    def fail(what: str) -> CheckpointError:
        return CheckpointError(
            at_user_line(
                f"load_checkpoint: {path} does not fit the parameters it is loaded into: at "
                f"{where or 'the root'}, {what}"
            )
        )

    kind, kind_expected = _kind(saved), _kind(expected)
    if kind != kind_expected:
        raise fail(f"the checkpoint has a {kind} where the model has a {kind_expected}")
    if kind == "leaf":
        for field in ("shape", "dtype"):
            if saved[field] != expected[field]:
                theirs, ours = tuple(saved[field]), tuple(expected[field])
                if field == "dtype":
                    theirs, ours = _dtype(saved[field]), _dtype(expected[field])
                raise fail(f"the checkpoint has {field} {theirs} but the model expects {ours}")
    elif kind == "dict":
        a, b = saved["dict"], expected["dict"]
        if a.keys() != b.keys():
            raise fail(f"the checkpoint has keys {sorted(a)} but the model has {sorted(b)}")
        for key in a:
            _compare(a[key], b[key], f"{where}[{key!r}]", path)
    elif kind != "None":
        if kind == "namedtuple" and saved["fields"] != expected["fields"]:
            raise fail(
                f"the checkpoint has a {saved['type']} with fields {saved['fields']} but the "
                f"model has a {expected['type']} with fields {expected['fields']}"
            )
        a, b = saved[kind], expected[kind]
        if len(a) != len(b):
            raise fail(f"the checkpoint has {len(a)} entries but the model has {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare(x, y, f"{where}[{i}]", path)


def _retype(tree: Any, like: Any) -> Any:
    """``tree`` (already checked against ``like``) with ``like``'s NamedTuple classes."""
    if isinstance(tree, dict):
        return {k: _retype(v, like[k]) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_retype(v, w) for v, w in zip(tree, like, strict=True)]
    if isinstance(tree, tuple):
        items = [_retype(v, w) for v, w in zip(tree, like, strict=True)]
        return type(like)(*items) if _is_namedtuple(like) else tuple(items)
    return tree


def _read(path: Path) -> tuple[Any, dict]:
    """The structure and the arrays of the checkpoint at ``path``; ``CheckpointError`` if it
    is not one."""

    def refuse(why: str) -> CheckpointError:
        return CheckpointError(
            at_user_line(
                f"load_checkpoint: {path} is not a checkpoint written by save_checkpoint: {why}"
            )
        )

    with path.open("rb") as f:
        magic = f.read(6)
    if magic == b"\x93NUMPY":
        raise refuse("it is a single .npy array, not an .npz archive with a structure")
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not isinstance(archive, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            arrays = {k: archive[k] for k in archive.files}
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as e:
        raise refuse(repr(e)) from None
    if _STRUCTURE not in arrays:
        raise refuse(f"it has no {_STRUCTURE} entry")
    try:
        return json.loads(str(arrays.pop(_STRUCTURE))), arrays
    except (ValueError, RecursionError) as e:
        raise refuse(f"its {_STRUCTURE} entry is not valid JSON: {type(e).__name__}") from None


def load_checkpoint(path: str | Path, like: Any = None) -> Any:
    """Load a pytree saved by ``save_checkpoint``; with ``like`` (e.g. freshly initialized
    params, or ``optimizer.init(params)``), check that its structure and every array's shape
    and dtype match first, and return ``like``'s NamedTuple classes.

    Examples:
        >>> import tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = save_checkpoint(f"{folder.name}/lenet5", {"w": np.ones(2)})
        >>> load_checkpoint(path, like={"w": np.zeros(2)})
        {'w': array([1., 1.])}
        >>> load_checkpoint(path, like={"w": np.zeros(3)})
        ... # doctest: +ELLIPSIS, +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        nn.errors.CheckpointError: load_checkpoint: ...lenet5.npz does not fit the parameters
        it is loaded into: at ['w'], the checkpoint has shape (2,) but the model expects (3,)...
        >>> folder.cleanup()

        With a model: ``load_checkpoint(path, like=model.init(0, (1, 28, 28))[0])``.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(at_user_line(f"load_checkpoint: {path} does not exist"))
    saved, arrays = _read(path)
    try:
        tree = _decode(saved, arrays, "", set())
    except (_Corrupt, RecursionError) as e:
        what = str(e) if isinstance(e, _Corrupt) else "a structure nested too deeply"
        raise CheckpointError(
            at_user_line(f"load_checkpoint: {path} has a corrupt {_STRUCTURE} entry: {what}")
        ) from None
    if like is not None:
        _compare(saved, _encode(like, []), "", path)
        tree = _retype(tree, like)
    return tree
