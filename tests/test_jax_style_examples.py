"""The JAX-style programs in examples/jax_style/ print JAX's numbers on trace_ag.

Each program is run twice in a subprocess: as written (real JAX, the oracle), and through
examples/jax_style/run_with_trace_ag.py, which sends the program's ``jax`` imports to trace_ag
without editing it. Every number printed by the two runs is compared (floats to rtol 1e-6 plus
one unit in the last printed digit, integers exactly when both print as integers), and the text
around the numbers must be the same. A third run, marked slow, sends every ``jax.jit`` in the
program to trace_ag's JAX backend (``jit(..., backend="jax")``).

Programs that stop at a trace_ag gap are strict xfails naming the gap (``GAPS``): they turn
into failures, to be moved out of ``GAPS``, once the gap is filled.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROGRAM_DIR = REPO / "examples" / "jax_style"
SHIM = PROGRAM_DIR / "run_with_trace_ag.py"
PROGRAMS = sorted(p.name for p in PROGRAM_DIR.glob("*.py") if p != SHIM)

# program -> what trace_ag lacks (a strict xfail naming the gap); none today
GAPS: dict[str, str] = {}
JAX_BACKEND_GAPS: dict[str, str] = {}
# cheap enough for every run of the suite; the others are marked slow (JAX's op-by-op dispatch
# compiles each operation once per process: 5-20 s a program on two shared cores)
FAST = {"control_flow.py", "custom_derivatives.py", "vectorization.py"}

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")
RTOL, ATOL = 1e-6, 1e-12


def run_program(program: str, *shim_args: str, cache_dir: Path) -> str:
    """The program's stdout, run by real JAX (no ``shim_args``) or through the shim."""
    command = [sys.executable, str(PROGRAM_DIR / program)]
    if shim_args:
        command = [sys.executable, str(SHIM), *shim_args[1:], str(PROGRAM_DIR / program)]
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
        # JAX compiles every eager operation; reusing those executables across runs saves
        # half its time and cannot change a number
        JAX_COMPILATION_CACHE_DIR=str(cache_dir),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
    )
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=REPO, env=env, check=False
    )
    who = "trace_ag" if shim_args else "JAX"
    assert done.returncode == 0, f"{program} under {who} failed:\n{done.stderr[-3000:]}"
    return done.stdout


def last_digit_unit(token: str) -> float:
    """The value of one unit in the last printed digit of ``token`` (0 for an integer)."""
    mantissa, _, exponent = token.lower().partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    if decimals == 0 and not exponent:
        return 0.0
    return 10.0 ** (int(exponent or 0) - decimals)


def is_integer(token: str) -> bool:
    return re.fullmatch(r"[-+]?\d+", token) is not None


def numbers_differ(expected: str, got: str) -> bool:
    if is_integer(expected) and is_integer(got):
        return int(expected) != int(got)
    e, g = float(expected), float(got)
    if e != e or g != g:  # nan
        return not (e != e and g != g)
    if e in (float("inf"), float("-inf")) or g in (float("inf"), float("-inf")):
        return e != g
    tolerance = RTOL * abs(e) + ATOL + max(last_digit_unit(expected), last_digit_unit(got))
    return abs(e - g) > tolerance


def compare_printouts(expected: str, got: str) -> list[str]:
    """One message per line whose words or numbers differ (empty: the same printout)."""
    problems = []
    expected_lines, got_lines = expected.splitlines(), got.splitlines()
    if len(expected_lines) != len(got_lines):
        problems.append(f"JAX printed {len(expected_lines)} lines, trace_ag {len(got_lines)}")
    for n, (e_line, g_line) in enumerate(zip(expected_lines, got_lines, strict=False), start=1):
        # numbers become '#' words: NumPy pads array elements to a common width
        e_words, g_words = NUMBER.sub(" # ", e_line).split(), NUMBER.sub(" # ", g_line).split()
        e_nums, g_nums = NUMBER.findall(e_line), NUMBER.findall(g_line)
        if e_words != g_words or len(e_nums) != len(g_nums):
            problems.append(f"line {n}: JAX {e_line!r} trace_ag {g_line!r}")
            continue
        bad = [(e, g) for e, g in zip(e_nums, g_nums, strict=True) if numbers_differ(e, g)]
        if bad:
            problems.append(f"line {n}: JAX {e_line!r} trace_ag {g_line!r} (differ: {bad})")
    return problems


def params(gaps: dict[str, str], slow_everywhere: bool):
    for program in PROGRAMS:
        marks = []
        if slow_everywhere or program not in FAST:
            marks.append(pytest.mark.slow)
        if program in gaps:
            marks.append(pytest.mark.xfail(strict=True, reason=gaps[program]))
        yield pytest.param(program, id=program.removesuffix(".py"), marks=marks)


_jax_outputs: dict[str, str] = {}


def jax_output(program: str, cache_dir: Path) -> str:
    if program not in _jax_outputs:
        _jax_outputs[program] = run_program(program, cache_dir=cache_dir)
    return _jax_outputs[program]


@pytest.fixture(scope="module")
def cache_dir(request, tmp_path_factory) -> Path:
    cache = getattr(request.config, "cache", None)  # None under -p no:cacheprovider
    if cache is None:
        return tmp_path_factory.mktemp("jax_style_compilation_cache")
    return Path(cache.mkdir("jax_style_compilation_cache"))


@pytest.mark.parametrize("program", params(GAPS, slow_everywhere=False))
def test_program_prints_jax_numbers_on_trace_ag(program, cache_dir):
    expected = jax_output(program, cache_dir)
    got = run_program(program, "shim", cache_dir=cache_dir)
    assert NUMBER.findall(expected), f"{program} printed no numbers"
    problems = compare_printouts(expected, got)
    assert not problems, f"{program}: trace_ag differs from JAX:\n" + "\n".join(problems)


@pytest.mark.parametrize("program", params(JAX_BACKEND_GAPS, slow_everywhere=True))
def test_program_prints_jax_numbers_on_trace_ags_jax_backend(program, cache_dir):
    expected = jax_output(program, cache_dir)
    got = run_program(program, "shim", "--backend", "jax", cache_dir=cache_dir)
    problems = compare_printouts(expected, got)
    assert not problems, f"{program} (jit backend='jax'): differs from JAX:\n" + "\n".join(problems)


def test_every_program_imports_jax_and_enables_x64():
    for program in PROGRAMS:
        source = (PROGRAM_DIR / program).read_text()
        assert re.search(r"^import jax$", source, re.M), program
        assert re.search(r"^import jax\.numpy as jnp$", source, re.M), program
        assert 'jax.config.update("jax_enable_x64", True)' in source, program
        assert "trace_ag" not in source, f"{program} must not mention trace_ag"


def test_the_shim_redirects_only_the_programs_own_imports(tmp_path):
    program = tmp_path / "which.py"
    program.write_text(
        "import jax\nimport jax.numpy as jnp\nfrom jax import random\n"
        "from jax.example_libraries import stax\nimport jax.scipy.linalg\n"
        "import trace_ag.backends.jax as backend\n"
        "print(jax.__name__, jnp.__name__, random.__name__, stax.__name__)\n"
        "print(jax.scipy.linalg.__name__)\n"
        "print('real jax for trace_ag:', backend.import_jax().__name__, "
        "hasattr(backend.import_jax(), 'lax'))\n"
    )
    done = subprocess.run(
        [sys.executable, str(SHIM), str(program)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "trace_ag trace_ag.numpy trace_ag.random trace_ag.example_libraries.stax",
        "trace_ag.scipy.linalg",
        "real jax for trace_ag: jax True",
    ]


def test_the_comparison_catches_a_wrong_number_and_a_wrong_word():
    jax_text = "step 1 loss 0.123456789\nok True [1 2 3]\n"
    assert compare_printouts(jax_text, "step 1 loss 0.123456790\nok True [1 2 3]\n") == []
    assert compare_printouts(jax_text, "step 1 loss 0.123466789\nok True [1 2 3]\n")
    assert compare_printouts(jax_text, "step 1 loss 0.123456789\nok False [1 2 3]\n")
    assert compare_printouts(jax_text, "step 1 loss 0.123456789\nok True [1 2 4]\n")
    assert compare_printouts(jax_text, "step 1 loss 0.123456789\n")
    assert compare_printouts("v [0.42015329 1.5]", "v [0.4201533  1.5 ]") == []
    assert compare_printouts("x 0.5", "x nan") and compare_printouts("x nan", "x nan") == []
