"""The documentation's code runs: every ```python block of the tutorial, in order."""

import pathlib
import re

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def python_blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)


def test_tutorial_code_blocks_run_in_order():
    blocks = python_blocks("tutorial.md")
    assert len(blocks) >= 5
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"tutorial.md block {i}", "exec"), namespace)
