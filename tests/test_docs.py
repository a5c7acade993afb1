"""The documentation site: its configuration, the API pages (one per public module, headed by
the names users type, up to date with the code) and the built-site checker that CI runs.
(The pages' code blocks run in tests/test_doc_snippets.py; mkdocs --strict builds the site.)"""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_site_uses_material_with_offline_search_and_pygments():
    config = (ROOT / "mkdocs.yml").read_text()
    assert re.search(r"theme:\n  name: material\n  font: false", config)
    assert "- search" in config and "use_pygments: true" in config
    assert "example.invalid" not in config and "strict: true" in config


def test_nav_titles_are_short_and_list_every_page_and_notebook():
    nav = (ROOT / "mkdocs.yml").read_text().split("\nnav:\n")[1].split("\ntheme:")[0]
    titles = re.findall(r"^\s*- ([^:\n]+): \S", nav, flags=re.M)
    assert titles and max(len(t) for t in titles) <= 24, titles
    listed = set(re.findall(r"[\w/]+\.(?:md|ipynb)", nav))
    pages = {
        str(p.relative_to(DOCS)) for p in [*DOCS.rglob("*.md"), *DOCS.glob("notebooks/*.ipynb")]
    }
    assert pages == listed, pages ^ listed


def test_api_pages_are_generated_and_up_to_date():
    gen = load(DOCS / "gen_api.py", "gen_api")
    pages = gen.pages()
    assert len(pages) == len(gen.PAGES) + 1
    for name, text in pages.items():
        path = DOCS / "api" / name
        assert path.exists() and path.read_text() == text, (
            f"docs/api/{name} is out of date: run python docs/gen_api.py"
        )
    assert 'heading: "ag.grad"' in pages["transforms.md"]
    assert 'heading: "tnp.exp"' in pages["numpy.md"]
    assert 'heading: "ag.lax.scan"' in pages["lax.md"]


def test_site_checker_finds_broken_links_anchors_and_cdn_resources(tmp_path):
    check = load(ROOT / ".ci" / "check_site.py", "check_site")
    (tmp_path / "api").mkdir()
    (tmp_path / "api" / "index.html").write_text('<h2 id="ag.grad">ag.grad</h2>')
    (tmp_path / "index.html").write_text(
        '<a href="api/">ok</a><a href="api/#ag.grad">ok</a><a href="#top" id="top">ok</a>'
        '<a href="https://numpy.org">an outside link is fine</a>'
        '<a href="missing/">broken</a><a href="api/#nope">no anchor</a>'
        '<script src="https://cdn.example.org/x.js"></script>'
        '<a href="https://example.invalid/trace_ag">placeholder</a>'
    )
    found = check.problems(tmp_path)
    assert len(found) == 4, found
    assert any("broken link missing/" in f for f in found)
    assert any("no anchor #nope" in f for f in found)
    assert any("from another host" in f for f in found)
    assert any("placeholder" in f for f in found)
