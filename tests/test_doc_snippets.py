"""Every fenced Python block in README.md and docs/**/*.md runs, and prints what the page says.

The blocks of one page run in order in one namespace (a page is one session), in a temporary
working directory. Conventions a page can use:

* a block that is deliberately partial (a fragment of library source, a sketch needing eight
  devices) is marked ```` ```python skip ```` (mkdocs still highlights it) or has a
  ``<!-- skip -->`` line right before it, and is not run;
* a block's printed output is shown in the fenced block that follows it, either right after or
  after one short paragraph that says it prints (``prints:``), fenced as ```` ```text ```` or
  plain ```` ``` ````. What the block writes to stdout must match it, where ``...`` stands for
  any text (doctest's ELLIPSIS) and trailing spaces do not count.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import linecache
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^(`{3,})\s*([^`\n]*)$")
SKIP_COMMENT = "<!-- skip -->"


@dataclass
class Block:
    info: list[str]  # the info string's words: ["python", "skip"]
    code: str
    line: int  # 1-based line of the opening fence
    before: str  # the non-blank text between the previous block and this one

    @property
    def language(self) -> str:
        return self.info[0] if self.info else ""


def fenced_blocks(text: str) -> list[Block]:
    blocks, lines, i, prose = [], text.splitlines(), 0, []
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            prose.append(lines[i])
            i += 1
            continue
        fence, start, body = opening.group(1), i, []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        before = "\n".join(line for line in prose if line.strip())
        blocks.append(Block(opening.group(2).split(), "\n".join(body) + "\n", start + 1, before))
        prose = []
        i += 1
    return blocks


def is_python(block: Block) -> bool:
    return block.language in ("python", "py", "python3")


def is_skipped(block: Block) -> bool:
    last_line = block.before.splitlines()[-1].strip() if block.before else ""
    return "skip" in block.info[1:] or last_line == SKIP_COMMENT


def shown_output(blocks: list[Block], i: int) -> str | None:
    """The output the page shows for blocks[i], or None."""
    if i + 1 >= len(blocks):
        return None
    after = blocks[i + 1]
    if after.language not in ("", "text", "output"):
        return None
    paragraphs = [p for p in re.split(r"\n\s*\n", after.before) if p.strip()]
    if not after.before or (len(paragraphs) == 1 and re.search(r"\bprints?\b", after.before)):
        return after.code
    return None


def page_cases() -> list[tuple[Path, int]]:
    return [
        (page, sum(is_python(b) and not is_skipped(b) for b in fenced_blocks(page.read_text())))
        for page in PAGES
    ]


def matches(want: str, got: str) -> bool:
    strip = lambda s: "\n".join(line.rstrip() for line in s.strip("\n").splitlines()) + "\n"
    return doctest.OutputChecker().check_output(strip(want), strip(got), doctest.ELLIPSIS)


def setup_cli_md(namespace: dict) -> None:
    """cli.md loads the checkpoint `trace-ag train --save lenet5.npz` wrote: write one."""
    from nn import recipes, save_checkpoint

    params, _ = recipes.model_for((1, 28, 28)).init(0, (1, 28, 28))
    save_checkpoint("lenet5.npz", params)


SETUP = {"cli.md": setup_cli_md}


@pytest.mark.parametrize(
    "page", [p for p, n in page_cases() if n], ids=lambda p: str(p.relative_to(ROOT))
)
def test_page_snippets_run_and_print_what_the_page_shows(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__main__"}
    SETUP.get(page.name, lambda ns: None)(namespace)
    blocks = fenced_blocks(page.read_text())
    state = np.random.get_state()
    try:
        for i, block in enumerate(blocks):
            if not is_python(block) or is_skipped(block):
                continue
            where = f"{page.relative_to(ROOT)}:{block.line}"
            linecache.cache[where] = (len(block.code), None, block.code.splitlines(True), where)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block.code, where, "exec"), namespace)
            want = shown_output(blocks, i)
            if want is not None:
                assert matches(want, out.getvalue()), (
                    f"{where} prints\n{out.getvalue()}\nbut the page shows\n{want}"
                )
    finally:
        np.random.set_state(state)


def test_the_checker_finds_blocks_skips_and_outputs():
    page = "\n".join(
        [
            "```python",
            "print(1)",
            "```",
            "",
            "prints:",
            "",
            "```",
            "1",
            "```",
            "<!-- skip -->",
            "```python",
            "partial(",
            "```",
            "```python skip",
            "also partial(",
            "```",
            "```bash",
            "echo",
            "```",
        ]
    )
    blocks = fenced_blocks(page)
    assert [b.language for b in blocks] == ["python", "", "python", "python", "bash"]
    assert shown_output(blocks, 0) == "1\n"
    assert [is_skipped(b) for b in blocks if is_python(b)] == [False, True, True]
    assert matches("a ...\nz\n", "a b c\nz  \n") and not matches("1\n", "2\n")


def test_the_pages_with_quick_starts_have_python_to_run():
    counts = {page.name: n for page, n in page_cases()}
    assert counts["README.md"] >= 1 and counts["index.md"] >= 1 and counts["tutorial.md"] >= 5
