"""Data-parallel training on JAX's sharding and distributed runtime, on CPU: shardings through
``ag.jit``, a step and ``fit`` over 8 forced host devices matching one device, two processes on
127.0.0.1 matching one process, a dying or hanging process ending the other, the errors, and
``trace-ag train --devices``.

Every multi-device case runs ``tests/distributed_worker.py`` in a subprocess whose
``XLA_FLAGS=--xla_force_host_platform_device_count=N`` is set before JAX starts. The file takes
about 60 s on 2 cores.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import trace_ag as ag
from nn import checkpoint, data, models, optim, recipes, train
from trace_ag import cli
from trace_ag.tree_util import tree_leaves

jax = pytest.importorskip("jax")
from jax.sharding import Mesh, NamedSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

WORKER = Path(__file__).with_name("distributed_worker.py")
TIMEOUT = 120  # seconds for any subprocess: a hang fails the test instead of blocking CI
F32 = {"rtol": 2e-5, "atol": 2e-6}


def run_worker(tmp_path: Path, case: str, devices: int) -> dict:
    out = tmp_path / f"{case}.npz"
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    done = subprocess.run(
        [sys.executable, str(WORKER), case, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(out))


def leaves(result: dict, prefix: str) -> list[np.ndarray]:
    keys = sorted((k for k in result if k.startswith(prefix)), key=lambda k: int(k[len(prefix) :]))
    return [result[k] for k in keys]


def assert_same(a: list, b: list) -> None:
    assert len(a) == len(b) > 0
    for x, y in zip(a, b, strict=True):
        np.testing.assert_allclose(x, y, **F32)


# ---------------------------------------------------------------- 8 devices, one process


@pytest.fixture(scope="module")
def step_result(tmp_path_factory) -> dict:
    return run_worker(tmp_path_factory.mktemp("step"), "step", devices=8)


@pytest.mark.slow  # subprocesses with 8 JAX CPU devices: 20-40 s each; CI runs it
def test_step_sharded_over_8_devices_matches_one_device(step_result):
    result = step_result
    assert result["info_devices"] == 8
    assert result["info_x_devices"] == 8 and result["info_x_shard_rows"] == 64 // 8
    assert result["info_params_replicated"]
    assert result["info_all_reduce"], "XLA did not insert the gradient all-reduce"
    one = leaves(result, "one_p")
    assert_same(leaves(result, "sharded_p"), one)
    assert_same(leaves(result, "prefix_p"), one)  # shardings given as a pytree prefix


@pytest.mark.slow  # subprocesses with 8 JAX CPU devices: 20-40 s each; CI runs it
def test_step_results_feed_the_next_step_without_transfers(step_result):
    result = step_result
    assert result["info_guard_works"]  # the control: a host batch is refused under the guard
    assert result["info_trace_count"] == 1
    first, again = leaves(result, "sharded_p"), leaves(result, "again_p")
    assert not np.allclose(first[0], again[0])  # a second step really ran


@pytest.mark.slow  # subprocesses with 8 JAX CPU devices: 20-40 s each; CI runs it
def test_fit_over_8_devices_matches_one_device(tmp_path):
    result = run_worker(tmp_path, "fit", devices=8)
    one = leaves(result, "one_p")
    assert_same(leaves(result, "all_p"), one)
    assert_same(leaves(result, "numpy_p"), one)
    np.testing.assert_allclose(result["all_loss"], result["numpy_loss"], rtol=1e-5)
    assert str(result["error_batch"]) == (
        "fit: batch_size=60 does not divide by the 8 devices of the mesh; use a multiple of 8"
    )


# ---------------------------------------------------------------- two processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(tmp_path: Path, extra: dict[int, list[str]] | None = None, timeout_s: int = 20):
    """Start processes 0 and 1 (2 forced host devices each); returns their return codes, their
    stderr and the seconds until both ended (killed at TIMEOUT)."""
    coordinator = f"127.0.0.1:{free_port()}"
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    procs = []
    for pid in (0, 1):
        args = [sys.executable, str(WORKER), "process", str(tmp_path / f"process{pid}.npz")]
        args += ["--process-id", str(pid), "--num-processes", "2", "--coordinator", coordinator]
        args += ["--timeout", str(timeout_s), *(extra or {}).get(pid, [])]
        procs.append(
            subprocess.Popen(
                args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
        )
    start, errs = time.monotonic(), []
    try:
        for proc in procs:
            errs.append(proc.communicate(timeout=max(1, TIMEOUT - (time.monotonic() - start)))[1])
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return [p.returncode for p in procs], errs, time.monotonic() - start


@pytest.mark.slow  # subprocesses with 8 JAX CPU devices: 20-40 s each; CI runs it
def test_two_processes_match_one_process(tmp_path):
    codes, errs, _ = launch(tmp_path)
    assert codes == [0, 0], errs[0][-3000:] + errs[1][-3000:]
    d = data.load_digits()
    d = data.Dataset(d.x_train[:256], d.y_train[:256], d.x_test, d.y_test)
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    reference, _ = train.fit(
        model, params, d, optim.sgd(0.05, momentum=0.9), batch_size=64, progress=False
    )
    results = [dict(np.load(tmp_path / f"process{pid}.npz")) for pid in (0, 1)]
    for result in results:
        assert result["info_devices"] == 4 and result["info_steps"] == 256 // 64
        assert result["info_local_rows"] == 32  # each process reads half of every batch
        assert_same(leaves(result, "p"), tree_leaves(reference))
    assert (tmp_path / "process0.ckpt.npz").exists()
    assert not (tmp_path / "process1.ckpt.npz").exists()  # only process 0 writes
    assert "epoch 1/1" in errs[0] and "epoch 1/1" not in errs[1]  # only process 0 shows progress


@pytest.mark.slow  # two processes started and one killed: 20-30 s; CI runs it
@pytest.mark.parametrize("dying", [0, 1])
def test_a_process_that_dies_ends_the_other(tmp_path, dying):
    codes, errs, seconds = launch(tmp_path, {dying: ["--die-after", "2"]}, timeout_s=5)
    survivor = 1 - dying
    assert codes[dying] == 3
    assert codes[survivor] != 0 and seconds < TIMEOUT
    err = errs[survivor]  # the heartbeat (5 s) names the dead task; the watchdog (10 s) backs it
    assert "another task died" in err or "did not finish" in err, err[-3000:]


@pytest.mark.slow  # subprocesses with 8 JAX CPU devices: 20-40 s each; CI runs it
def test_a_process_that_hangs_ends_the_other_by_the_watchdog(tmp_path):
    codes, errs, seconds = launch(tmp_path, {1: ["--hang-after", "2"]}, timeout_s=5)
    assert codes[0] == 75 and seconds < TIMEOUT
    assert "fit: step 2 of epoch 1 in process 0 did not finish within 10 s" in errs[0]
    assert codes[1] != 0  # the hanging process ends when its coordinator is gone


# ---------------------------------------------------------------- in this process (1 device)


def test_jit_shardings_on_one_device_and_structure_errors():
    mesh = Mesh(np.array(jax.devices()[:1]), ("batch",))
    rep, bat = NamedSharding(mesh, P()), NamedSharding(mesh, P("batch"))

    def step(params, x):
        return {k: v * 2 for k, v in params.items()}, x.sum()

    params = {"b": np.ones(2, np.float32), "w": np.ones((3, 2), np.float32)}
    x = np.ones((4, 3), np.float32)
    jitted = ag.jit(step, backend="jax", in_shardings=({"b": rep, "w": None}, bat))
    new, total = jitted(params, x)
    assert isinstance(new["w"], jax.Array) and new["b"].sharding.is_equivalent_to(rep, 1)
    assert float(total) == 12.0
    bad = ag.jit(step, backend="jax", in_shardings=(rep,), out_shardings=rep)
    with pytest.raises(ValueError, match=r"jit\(step\): .*in_shardings .*tree prefix"):
        bad(params, x)


def test_shardings_need_the_jax_backend():
    sharding = NamedSharding(Mesh(np.array(jax.devices()[:1]), ("batch",)), P())
    for options in ({"in_shardings": sharding}, {"out_shardings": sharding}):
        with pytest.raises(ValueError, match=r"in_shardings/out_shardings need backend='jax'"):
            ag.jit(lambda x: x, **options)


@pytest.fixture(scope="module")
def tiny():
    d = data.load_digits()
    return data.Dataset(d.x_train[:64], d.y_train[:64], d.x_test[:32], d.y_test[:32])


def fit_tiny(tiny, **options):
    model = models.lenet5_small()
    params, _ = model.init(0, (1, 8, 8))
    return train.fit(model, params, tiny, optim.sgd(0.1), batch_size=32, progress=False, **options)


def test_too_many_devices_names_both_numbers(tiny):
    n = len(jax.devices())
    message = rf"fit: devices={n + 7} but only {n} available \(jax.devices\(\): cpu\)"
    with pytest.raises(ValueError, match=message):
        fit_tiny(tiny, backend="jax", devices=n + 7)
    with pytest.raises(ValueError, match="devices must be a positive int or 'all', got 0"):
        fit_tiny(tiny, backend="jax", devices=0)


def test_fit_argument_errors(tiny):
    with pytest.raises(ValueError, match=r"fit: devices=2 and num_processes=None need backend"):
        fit_tiny(tiny, devices=2)
    with pytest.raises(ValueError, match="fit: num_processes=2 also needs process_id"):
        fit_tiny(tiny, backend="jax", num_processes=2, process_id=0)
    with pytest.raises(ValueError, match="fit: backend must be 'numpy' or 'jax', got 'torch'"):
        fit_tiny(tiny, backend="torch")
    with pytest.raises(ValueError, match="fit: backend='jax' compiles the step, but jit=False"):
        fit_tiny(tiny, backend="jax", jit=False)


def test_fit_on_one_jax_device_matches_numpy(tiny):
    on_jax, history = fit_tiny(tiny, backend="jax", devices=1)
    on_numpy, _ = fit_tiny(tiny)
    assert all(isinstance(leaf, np.ndarray) for leaf in tree_leaves(on_jax))
    assert_same(tree_leaves(on_jax), tree_leaves(on_numpy))
    assert len(history["train_loss"]) == 1


# ---------------------------------------------------------------- trace-ag train


@pytest.mark.slow  # subprocesses with 8 JAX CPU devices: 20-40 s each; CI runs it
def test_cli_trains_over_8_devices_like_numpy(tmp_path):
    tiny = ["--dataset", "digits", "--train-size", "256", "--test-size", "64", "--epochs", "1"]
    tiny += ["--optimizer", "momentum", "--batch-size", "64", "--quiet"]
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=8"}
    command = [sys.executable, "-m", "trace_ag.cli", "train", *tiny, "--backend", "jax"]
    command += ["--devices", "8", "--save", str(tmp_path / "p.npz")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "held-out accuracy" in done.stdout
    d = recipes.subset(recipes.load_dataset("digits"), 256, 64)
    lr = recipes.default_lr("momentum", (1, 8, 8))
    reference, _, _ = recipes.train_lenet5(
        d, dataset_name="digits", epochs=1, batch_size=64, lr=lr, optimizer="momentum",
        progress=False,
    )  # fmt: skip
    saved = checkpoint.load_checkpoint(tmp_path / "p.npz", like=reference)
    assert_same(tree_leaves(saved), tree_leaves(reference))


@pytest.mark.parametrize(
    "options, message",
    [
        (["--devices", "2"], "--devices needs --backend jax"),
        (["--backend", "jax", "--devices", "999"], "--devices: devices=999 but only"),
        (["--backend", "jax", "--num-processes", "2"], "--process-id and --coordinator go"),
        (
            ["--backend", "jax", "--num-processes", "2", "--process-id", "2", "--coordinator=h:1"],
            "--process-id 2 must be in 0..1 for --num-processes 2",
        ),
        (["--backend", "jax", "--devices", "none"], "expected a positive integer, got 'none'"),
    ],
)
def test_cli_scaling_errors_are_one_line(capsys, options, message):
    try:
        status = cli.main(["train", "--dataset", "digits", *options])
    except SystemExit as e:  # argparse's errors exit from inside parse_args
        status = e.code
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1 and message in err, err
