"""Java model patterns translated to Python ``re``."""

from __future__ import annotations

import warnings

import pytest

from rolegate.wire.models import default_catalog
from rolegate.wire.patterns import UnsupportedPattern, compile_java_pattern


def _all_patterns() -> set[str]:
    found: set[str] = set()
    for model in default_catalog().services.values():
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                found.add(pattern)
    return found


def test_every_model_pattern_compiles_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for pattern in _all_patterns():
            compile_java_pattern(pattern)


@pytest.mark.parametrize(
    ("pattern", "good", "bad"),
    [
        (r"[\w+=,.@-]+", ["Role_1+=,.@-"], ["é", "a b", "", "٣"]),  # \w is ASCII in Java
        (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", ["é 中 ٣ \u00a0 \u3000 Ⅱ", "a:b/c"], ["a<b", "a*b", "😀"]),
        (r"[\u0009\u000A\u000D\u0020-\u00FF]+", ["\t\n\r ÿ"], ["\x00", "Ā"]),
        (r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+", ["a😀\U0010fffd"], ["\x01", "\ufffe"]),
        (r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", ["/", "/a/b/"], ["/a", "a/", "/ /"]),
        (r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", ["ab-c"], ["ab--c", "-ab"]),
        (r"\d{12}", ["123456789012"], ["12345678901", "١٢٣٤٥٦٧٨٩٠١٢"]),
        (r"[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+( [\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+)*", ["a b"], ["a  b", "a,b", 'a"'],),
        (r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*", ["o-abcdefghij/r-abcd-/x"], ["o-abc/r-abcd"]),
    ],
)
def test_semantics(pattern: str, good: list[str], bad: list[str]) -> None:
    matcher = compile_java_pattern(pattern)
    for value in good:
        assert matcher.fullmatch(value), value
    for value in bad:
        assert not matcher.fullmatch(value), value


@pytest.mark.parametrize("pattern", [r"[a-z&&[^b]]", r"[a[b]]", r"\Qx\E", r"a++", r"\p{IsAlphabetic}", r"[abc"])
def test_untranslatable_constructs_are_refused(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        compile_java_pattern(pattern)
