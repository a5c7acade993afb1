"""The comparison notebooks in docs/notebooks/ run from top to bottom (their cells check
trace_ag against JAX with chex, so a run that finishes is a run that agreed), and they are
committed with their outputs cleared."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))


def test_the_three_comparisons_are_there():
    names = {p.stem for p in NOTEBOOKS}
    assert {"gradients_and_ir_vs_jax", "mlp_trace_ag_vs_optax", "lenet5_step_time"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, path.name
    assert "chex.assert_trees_all_close" in path.read_text()


RUN = """
import sys, nbclient, nbformat
notebook = nbformat.read(sys.argv[1], as_version=4)
client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                 resources={"metadata": {"path": sys.argv[2]}})
client.execute()  # raises CellExecutionError, naming the failing cell and its traceback
errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
sys.exit(1 if errors else 0)
"""


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path):
    for module in ("nbformat", "nbclient", "ipykernel", "jax", "optax", "chex", "matplotlib"):
        pytest.importorskip(module)
    # A separate process runs the client (its zmq sockets and threads stay out of pytest's),
    # and its kernel imports this checkout, installed or not.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(path), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
