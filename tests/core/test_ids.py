"""Identifiers look like AWS's and access key ids carry their account."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from rolegate.core import ids


def test_unique_ids_are_a_prefix_and_seventeen_base32_characters() -> None:
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", ids.new_unique_id(ids.ROLE))


@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_access_key_ids_encode_their_account(account: int) -> None:
    account_id = f"{account:012d}"
    key = ids.new_access_key_id(account_id)
    assert re.fullmatch(r"AKIA[A-Z2-7]{16}", key)
    assert ids.account_of_access_key_id(key) == account_id


def test_aws_published_example_key_decodes_to_its_account() -> None:
    # The decoding AWS's GetAccessKeyInfo performs, on a key id from public write-ups of the scheme.
    assert ids.account_of_access_key_id("ASIAY34FZKBOKMUTVV7A") == "609629065308"


def test_a_malformed_key_id_has_no_account() -> None:
    assert ids.account_of_access_key_id("AKIA!!!") is None
