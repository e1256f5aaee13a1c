"""Form decoding: strictness and AWS-shaped errors (MalformedQueryString, 400)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rolegate.core.errors import MalformedQueryString
from rolegate.wire.form import decode_form
from rolegate.wire.models import default_catalog
from tests.wire.shape_strategies import bad_request_bodies

_SETTINGS = settings(max_examples=60, derandomize=True, database=None, deadline=None)


def test_decodes_plus_percent_and_utf8() -> None:
    body = b"Action=GetRole&RoleName=a+b%2Bc&Desc=%C3%A9%E4%B8%AD&Empty=&Bare&&"
    assert decode_form(body) == {"Action": "GetRole", "RoleName": "a b+c", "Desc": "é中", "Empty": "", "Bare": ""}


def test_str_input_and_query_string_merge() -> None:
    assert decode_form(b"B=2", "A=1") == {"A": "1", "B": "2"}
    assert decode_form(None, None) == {}


@pytest.mark.parametrize(
    "body",
    [b"A=%", b"A=%4", b"A=%G1", b"A%=1", b"A=%FF", b"A=%C3%28", b"A=\xff", b"=1", b"A=1&A=2", b"A=%ED%A0%80"],
)
def test_rejects_malformed(body: bytes) -> None:
    with pytest.raises(MalformedQueryString) as info:
        decode_form(body)
    assert info.value.status == 400
    assert info.value.code == "MalformedQueryString"


def test_same_name_in_query_string_and_body_is_rejected() -> None:
    with pytest.raises(MalformedQueryString):
        decode_form(b"Action=GetRole", b"Action=GetRole")


@_SETTINGS
@given(st.dictionaries(st.text(min_size=1), st.text()))
def test_round_trips_urlencode(params: dict[str, str]) -> None:
    # What botocore does to a query body: urllib's quote_plus with UTF-8.
    assert decode_form(urlencode(params).encode("ascii")) == params


@_SETTINGS
@given(st.data())
def test_bad_bodies_are_malformed(data: st.DataObject) -> None:
    op = default_catalog().lookup_action(data.draw(st.sampled_from(["GetRole", "AssumeRole", "CreateRole"])))
    assert op is not None
    with pytest.raises(MalformedQueryString):
        decode_form(data.draw(bad_request_bodies(op.operation)))
