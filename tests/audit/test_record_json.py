"""The records' JSON text (rolegate.audit.record_json): one encoder, whatever a record holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from rolegate.audit import record_json
from rolegate.audit.record import HIDDEN, finish_encoded


def test_the_text_is_compact_utf8_json_in_the_records_key_order() -> None:
    record = {"b": 1, "a": [True, None, 1.5], "userAgent": "café/1.0 ✓"}
    text = record_json.dumps(record)
    assert text == '{"b":1,"a":[true,null,1.5],"userAgent":"café/1.0 ✓"}'
    assert record_json.loads(text) == record == json.loads(text)


def test_values_json_cannot_hold_are_written_as_str_writes_them() -> None:
    @dataclasses.dataclass
    class Opaque:
        x: int

    when = dt.datetime(2026, 12, 7, 23, 0, tzinfo=dt.timezone.utc)
    assert record_json.loads(record_json.dumps({"t": when, "o": Opaque(1), "s": {3}})) == \
        {"t": str(when), "o": str(Opaque(1)), "s": str({3})}


def test_what_orjson_refuses_is_still_written() -> None:
    """An integer beyond 64 bits falls back to the standard library; a key that is no string is written as the
    standard library wrote it."""
    assert record_json.loads(record_json.dumps({"n": 2 ** 70})) == {"n": 2 ** 70}
    assert record_json.loads(record_json.dumps({1: "one"})) == {"1": "one"}


def test_a_secret_with_characters_json_escapes_is_hidden_wherever_it_appears() -> None:
    secret = 'pa"ss\\wörd\n'
    record = {"requestParameters": {"note": f"before {secret} after"}, "other": secret}
    finished, text = finish_encoded(record, [secret])
    assert "wörd" not in text and "pa\\\"ss" not in text
    assert finished == {"requestParameters": {"note": f"before {HIDDEN} after"}, "other": HIDDEN}


def test_a_record_orjson_refuses_is_written_by_json_and_its_secrets_still_hidden() -> None:
    """A lone surrogate (a client's malformed text) makes orjson refuse the record: the standard library writes
    it, escaping non-ASCII, and the scan still finds a secret spelled that way."""
    secret = "s3cr\u00e9t-v\u00e4lue"
    record = {"requestParameters": {"roleSessionName": "bad\udc80name"}, "responseElements": {"note": secret}}
    finished, text = finish_encoded(record, [secret])
    assert "\\udc80" in text and "cr\\u00e9t" not in text and secret not in text
    assert finished["responseElements"] == {"note": HIDDEN}
    assert record_json.loads(text)["requestParameters"]["roleSessionName"] == "bad\udc80name"


def test_a_secret_is_spelled_as_the_records_own_encoder_writes_it() -> None:
    """orjson writes DEL as is where the standard library escapes it: the scan spells the secret orjson's way
    when orjson wrote the record."""
    secret = "key\x7fwith-del"
    finished, text = finish_encoded({"responseElements": {"secretAccessKey": secret}}, [secret])
    assert "with-del" not in text and finished == {"responseElements": {"secretAccessKey": HIDDEN}}
