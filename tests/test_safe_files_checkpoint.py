"""nn.checkpoint never loses or misreads data silently: saves are atomic (a process killed or
interrupted while saving leaves the previous checkpoint intact), every array is checked against
the stored structure and against ``like``, optimizer states (NamedTuples) round-trip, and
malformed files are one-line ``CheckpointError``s."""

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import CheckpointError, optim
from nn.checkpoint import save_checkpoint

ROOT = Path(__file__).resolve().parents[1]

# The child saves a checkpoint whose second array is written slowly: it writes half of it,
# says so on stdout, and sleeps until the parent kills it with SIGKILL.
_SLOW_SAVE = """
import sys, time
import numpy as np
from numpy.lib import format
import nn

original = format.write_array

def slow_write_array(fp, array, *args, **kwargs):
    if array.size < 1000:
        return original(fp, array, *args, **kwargs)
    fp.write(b"x" * (array.nbytes // 2))
    print("writing", flush=True)
    time.sleep(60)

format.write_array = slow_write_array
nn.save_checkpoint(sys.argv[1], {"w": np.ones((1000, 100)), "b": np.ones(3)})
"""


def test_a_save_killed_midway_leaves_the_old_checkpoint_intact(tmp_path):
    path = tmp_path / "ck.npz"
    old = {"w": np.arange(6.0).reshape(2, 3), "b": np.zeros(3)}
    save_checkpoint(path, old)
    child = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SAVE, str(path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert child.stdout.readline().strip() == "writing"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    loaded = nn.load_checkpoint(path, like=old)
    np.testing.assert_array_equal(loaded["w"], old["w"])


def test_an_interrupted_save_leaves_the_old_checkpoint_and_no_temporary_file(tmp_path, monkeypatch):
    from numpy.lib import format

    path = tmp_path / "ck.npz"
    save_checkpoint(path, {"w": np.ones(3)})

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(format, "write_array", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, {"w": np.zeros(3)})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]
    np.testing.assert_array_equal(nn.load_checkpoint(path)["w"], np.ones(3))


def test_saving_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"save_checkpoint: cannot write .*no_dir/m.npz"):
        save_checkpoint(tmp_path / "no_dir" / "m.npz", {"w": np.ones(3)})


def _tamper(path: Path, replace: dict) -> None:
    """Rewrite the .npz at ``path`` with some entries replaced (by name)."""
    with np.load(path) as archive:
        entries = {k: archive[k] for k in archive.files}
    entries.update(replace)
    np.savez(path, **entries)


def test_every_array_is_checked_not_only_the_header(tmp_path):
    like = {"w": np.zeros(3, np.float32)}
    path = save_checkpoint(tmp_path / "ck.npz", like)
    _tamper(path, {"leaf_0": np.arange(1000)})
    with pytest.raises(
        CheckpointError,
        match=r"at \['w'\], the structure records an array of shape \(3,\) and dtype float32 "
        r"but the file holds one of shape \(1000,\) and dtype int64",
    ):
        nn.load_checkpoint(path, like=like)
    with pytest.raises(CheckpointError, match=r"shape \(1000,\)"):
        nn.load_checkpoint(path)


def test_a_dtype_mismatch_with_like_names_the_leaf(tmp_path):
    path = save_checkpoint(tmp_path / "ck.npz", [{"w": np.zeros(3, np.float64)}])
    with pytest.raises(
        CheckpointError,
        match=r"at \[0\]\['w'\], the checkpoint has dtype float64 but the model expects float32",
    ):
        nn.load_checkpoint(path, like=[{"w": np.zeros(3, np.float32)}])


def test_an_adam_state_round_trips_as_namedtuples(tmp_path):
    params = [{"w": np.ones((2, 3), np.float32), "b": np.zeros(3, np.float32)}, {}]
    opt = optim.adam(1e-3)
    state = opt.init(params)
    grads = [{"w": np.full((2, 3), 0.5, np.float32), "b": np.ones(3, np.float32)}, {}]
    _, state = opt.update(grads, state, params)
    path = save_checkpoint(tmp_path / "opt", {"params": params, "opt_state": state})
    for like in ({"params": params, "opt_state": opt.init(params)}, None):
        loaded = nn.load_checkpoint(path, like=like)["opt_state"]
        assert type(loaded) is type(state)
        assert [type(s) for s in loaded] == [type(s) for s in state]
        assert loaded[0].count == state[0].count and loaded[0].count.dtype == np.int32
        np.testing.assert_array_equal(loaded[0].mu[0]["w"], state[0].mu[0]["w"])
        np.testing.assert_array_equal(loaded[0].nu[0]["b"], state[0].nu[0]["b"])
    with pytest.raises(CheckpointError, match=r"at \['opt_state'\]\[0\], the checkpoint has a "):
        nn.load_checkpoint(path, like={"params": params, "opt_state": optim.sgd(0.1).init(params)})


def test_a_namedtuple_of_a_module_not_imported_loads_as_a_namedtuple(tmp_path):
    path = save_checkpoint(tmp_path / "ck.npz", optim.ScaleByAdamState(np.int32(1), [], []))
    structure = json.loads(str(np.load(path)["__structure__"]))
    structure["type"] = "no_such_module:State"
    _tamper(path, {"__structure__": np.array(json.dumps(structure))})
    loaded = nn.load_checkpoint(path)
    assert type(loaded).__name__ == "State" and loaded._fields == ("count", "mu", "nu")
    assert "no_such_module" not in sys.modules


def test_a_npy_file_is_not_a_checkpoint(tmp_path):
    np.save(tmp_path / "w.npy", np.ones(3))
    with pytest.raises(CheckpointError, match=r"w.npy is not a checkpoint .*single .npy array"):
        nn.load_checkpoint(tmp_path / "w.npy")
    np.savez(tmp_path / "plain.npz", w=np.ones(3))
    with pytest.raises(CheckpointError, match=r"plain.npz is not a checkpoint .*no __structure__"):
        nn.load_checkpoint(tmp_path / "plain.npz")


@pytest.mark.parametrize(
    "structure, expected",
    [
        ('{"dict": {"w": {"leaf": 7, "shape": [3], "dtype": "<f8"}}}', r"at \['w'\], a leaf nam"),
        ('{"dict": {"w": {"leaf": 0}}}', r"at \['w'\], a leaf without its shape"),
        ('{"list": [{"leaf": 0, "shape": [3], "dtype": "<f8"}, 5]}', r"at \[1\], an entry that"),
        (
            '{"list": [{"leaf": 0, "shape": [3], "dtype": "<f8"}, {"leaf": 0, "shape": [3], '
            '"dtype": "<f8"}]}',
            r"at \[1\], a leaf naming array 0, which is missing or used twice",
        ),
        ('{"dict": [1, 2]}', r"at the root, a dict entry that is not a mapping"),
        ('{"namedtuple": [], "type": "m:T", "fields": ["a"]}', r"fields \['a'\] do not fit"),
        ('{"list": ' * 5000 + "null" + "}" * 5000, r"(nested too deeply|not valid JSON)"),
        ("[1, 2", r"not valid JSON"),
    ],
    ids=[
        "missing-leaf",
        "leaf-fields",
        "not-a-node",
        "leaf-twice",
        "dict",
        "fields",
        "deep",
        "json",
    ],
)
def test_a_corrupt_structure_is_a_one_line_checkpoint_error(tmp_path, structure, expected):
    path = tmp_path / "ck.npz"
    np.savez(path, __structure__=np.array(structure), leaf_0=np.ones(3))
    with pytest.raises(CheckpointError, match=expected) as info:
        nn.load_checkpoint(path)
    assert len(str(info.value).splitlines()) <= 2  # the message and the user's line
    assert "(at " in str(info.value).splitlines()[-1]


def test_a_truncated_checkpoint_is_a_checkpoint_error(tmp_path):
    path = save_checkpoint(tmp_path / "ck.npz", {"w": np.ones(1000)})
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(CheckpointError, match="is not a checkpoint written by save_checkpoint"):
        nn.load_checkpoint(path)
    assert not zipfile.is_zipfile(path)
