"""Everything the repository cites is in the repository: no code comment, document or test points at the
workspace's shared notes outside the checkout (their copies live in docs/reference/)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE = re.compile(r"\.\./shared/|shared/(reference|docs)/|/work/shared")
# The design brief and style guide are cited by their in-repo path (docs/design/), never by bare name.
BARE_DESIGN = re.compile(r"(?<![/\w])(DESIGN|STYLE)\.md")
CHECKED = ("README.md", "docs", "src", "tests", "scripts", "bench")


def test_no_file_cites_the_shared_notes_outside_the_repository() -> None:
    files = [p for top in CHECKED for p in ([ROOT / top] if (ROOT / top).is_file() else (ROOT / top).rglob("*"))
             if p.is_file() and p.suffix in {".md", ".py", ".toml", ".txt"} and p != Path(__file__).resolve()]
    citing = [str(p.relative_to(ROOT)) for p in files if OUTSIDE.search(p.read_text(errors="replace"))]
    assert citing == [], "cite the in-repo copy under docs/reference/ instead"


def test_the_design_notes_are_cited_by_their_in_repo_path() -> None:
    files = [p for top in CHECKED for p in ([ROOT / top] if (ROOT / top).is_file() else (ROOT / top).rglob("*"))
             if p.is_file() and p.suffix in {".md", ".py"} and p != Path(__file__).resolve()
             and (ROOT / "docs" / "design") not in p.parents]
    bare = [str(p.relative_to(ROOT)) for p in files if BARE_DESIGN.search(p.read_text(errors="replace"))]
    assert bare == [], "cite docs/design/DESIGN.md or docs/design/STYLE.md"
