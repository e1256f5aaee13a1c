"""Regenerate docs/compat/coverage.md from the botocore models, the handler registry and the reasons kept in
src/rolegate/wire/coverage_notes.json (edit that file, then run this)."""

from pathlib import Path

from rolegate.wire.coverage import coverage_markdown

OUT = Path(__file__).resolve().parent.parent / "docs" / "compat" / "coverage.md"

if __name__ == "__main__":
    OUT.write_text(coverage_markdown())
    print(f"wrote {OUT}")
