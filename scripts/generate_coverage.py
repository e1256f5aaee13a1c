"""Regenerate docs/compat/coverage.md from the botocore models and the handler registry."""

from pathlib import Path

from rolegate.wire.coverage import coverage_markdown

OUT = Path(__file__).resolve().parent.parent / "docs" / "compat" / "coverage.md"

if __name__ == "__main__":
    OUT.write_text(coverage_markdown())
    print(f"wrote {OUT}")
