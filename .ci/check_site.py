"""Check a built mkdocs site: every local link and resource resolves (anchors included), nothing
is loaded from another host (scripts, stylesheets, fonts, images), and no placeholder link is left.

    python .ci/check_site.py /tmp/trace_ag_site
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

PLACEHOLDERS = ("example.invalid", "example.com")


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id", "name"):
            if values.get(key) and (key == "id" or tag == "a"):
                self.ids.add(values[key])
        for key in ("href", "src"):
            if values.get(key) is not None:
                self.links.append((tag, key, values[key] or ""))


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def target_file(site: Path, page: Path, path: str) -> Path:
    target = (site / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    return target / "index.html" if target.is_dir() else target


def problems(site: Path) -> list[str]:
    pages = {p: parse(p) for p in sorted(site.rglob("*.html"))}
    found = []
    for path, page in pages.items():
        where = path.relative_to(site)
        for tag, key, url in page.links:
            parts = urlsplit(url)
            if any(p in url for p in PLACEHOLDERS):
                found.append(f"{where}: placeholder link {url}")
            elif parts.scheme in ("http", "https") or url.startswith("//"):
                if tag != "a":  # a link may leave the site; a resource may not
                    found.append(f"{where}: <{tag} {key}> loads {url} from another host")
            elif parts.scheme in ("mailto", "data", "javascript") or not url:
                continue
            else:
                target = target_file(site, path, unquote(parts.path)) if parts.path else path
                if not target.exists():
                    found.append(f"{where}: broken link {url}")
                elif parts.fragment and target.suffix == ".html":
                    ids = (pages.get(target) or parse(target)).ids
                    if unquote(parts.fragment) not in ids:
                        found.append(f"{where}: no anchor #{parts.fragment} in {url}")
    return found


def main(argv: list[str]) -> int:
    site = Path(argv[1] if len(argv) > 1 else "site")
    if not (site / "index.html").exists():
        print(f"check_site: no {site}/index.html (build the site first)")
        return 2
    found = problems(site)
    for line in found:
        print(line)
    n = len(list(site.rglob("*.html")))
    print(f"check_site: {n} pages, {len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
