"""The store's contract, as every backend must honour it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
import threading

import pytest

from rolegate.store.ports import DuplicateKeyError, run_retrying
from rolegate.iam.entities import AccessKeyRecord, AccountRecord, RoleRecord
from rolegate.store.sealing import SealError, Sealer
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _account(tx, account_id: str = "111122223333") -> None:  # type: ignore[no-untyped-def]
    tx.accounts.create(AccountRecord(account_id, f"acct-{account_id}", T0))


def _role(name: str = "Deploy", account_id: str = "111122223333", role_id: str | None = None) -> RoleRecord:
    return RoleRecord(account_id=account_id, role_id=role_id or f"AROA{name.upper():0<17}"[:21], name=name,
                      path="/", arn=f"arn:aws:iam::{account_id}:role/{name}", trust_policy="{}", created_at=T0)


def test_created_role_reads_back_with_its_tags_in_order(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.roles.create(dataclasses.replace(_role(), tags=(("b", "2"), ("a", "1"))))
    with store.read() as tx:
        role = tx.roles.get_by_name("111122223333", "deploy")
    assert role is not None and role.name == "Deploy" and role.tags == (("b", "2"), ("a", "1"))
    assert role.created_at == T0


def test_role_names_are_unique_ignoring_case(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.roles.create(_role("Deploy", role_id="AROA00000000000000001"))
    with pytest.raises(DuplicateKeyError), store.write() as tx:
        tx.roles.create(_role("DEPLOY", role_id="AROA00000000000000002"))


def test_a_failed_write_changes_nothing(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.roles.create(_role("A", role_id="AROA00000000000000001"))
        raise RuntimeError("abort")
    with store.read() as tx:
        assert tx.roles.get_by_name("111122223333", "A") is None


def test_list_pages_by_lower_cased_name_and_path_prefix(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        for i, name in enumerate(["b", "A", "c"]):
            tx.roles.create(dataclasses.replace(_role(name, role_id=f"AROA{i:017d}"),
                                                path="/ops/" if name != "c" else "/"))
    with store.read() as tx:
        assert [r.name for r in tx.roles.list_for_account("111122223333", "/", None, 10)] == ["A", "b", "c"]
        assert [r.name for r in tx.roles.list_for_account("111122223333", "/", "a", 10)] == ["b", "c"]
        assert [r.name for r in tx.roles.list_for_account("111122223333", "/ops/", None, 10)] == ["A", "b"]
        assert [r.name for r in tx.roles.list_for_account("111122223333", "/", None, 1)] == ["A"]


def test_path_prefix_wildcards_are_literal(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.roles.create(dataclasses.replace(_role("x", role_id="AROA00000000000000001"), path="/a_b/"))
        tx.roles.create(dataclasses.replace(_role("y", role_id="AROA00000000000000002"), path="/axb/"))
    with store.read() as tx:
        assert [r.name for r in tx.roles.list_for_account("111122223333", "/a_", None, 10)] == ["x"]


def test_trust_policies_are_searched_for_a_principal_literally_across_accounts(store: SqlStore) -> None:
    named = '{"Principal": {"AWS": "arn:aws:iam::444455556666:user/a_b%c"}}'
    with store.write() as tx:
        _account(tx)
        _account(tx, "444455556666")
        tx.roles.create(dataclasses.replace(_role("Trusting"), trust_policy=named))
        tx.roles.create(dataclasses.replace(_role("Other", "444455556666"), trust_policy=named.replace("a_b%c", "axbyc")))
    with store.read() as tx:
        found = tx.roles.list_trust_policies_containing("arn:aws:iam::444455556666:user/a_b%c")
        wildcard_as_text = tx.roles.list_trust_policies_containing("user/a%")
    assert [r.name for r in found] == ["Trusting"]
    assert wildcard_as_text == []


def test_inline_policies_put_overwrites_and_delete_reports_absence(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.roles.create(_role())
        rid = _role().role_id
        tx.roles.put_inline_policy(rid, "p", "1")
        tx.roles.put_inline_policy(rid, "p", "2")
    with store.write() as tx:
        assert tx.roles.list_inline_policies(rid) == [("p", "2")]
        assert tx.roles.delete_inline_policy(rid, "p") is True
        assert tx.roles.delete_inline_policy(rid, "p") is False


def test_access_key_secrets_are_sealed_at_rest(store: SqlStore, tmp_path) -> None:  # type: ignore[no-untyped-def]
    key = AccessKeyRecord("AKIAEXAMPLEEXAMPLE00", "111122223333", "s3cr3t-value-123", "Active", T0)
    with store.write() as tx:
        _account(tx)
        tx.access_keys.create(key)
    with store.read() as tx:
        assert tx.access_keys.get(key.access_key_id) == key
    db = tmp_path / "store.db"
    if db.exists():
        raw = sqlite3.connect(db).execute("select secret_sealed from access_keys").fetchone()[0]
        assert "s3cr3t" not in raw and raw.startswith("v1:")


def test_a_sealed_secret_does_not_open_under_another_master_key() -> None:
    sealed = Sealer(b"a" * 32).seal("secret", "AKIA1")
    with pytest.raises(SealError):
        Sealer(b"b" * 32).open(sealed, "AKIA1")
    with pytest.raises(SealError):
        Sealer(b"a" * 32).open(sealed, "AKIA2")  # bound to its row


def test_concurrent_creates_of_one_name_let_exactly_one_win(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
    outcomes: list[str] = []

    def attempt(i: int) -> str:
        with store.write() as tx:
            if tx.roles.get_by_name("111122223333", "Race") is not None:
                return "exists"
            tx.roles.create(_role("Race", role_id=f"AROA{i:017d}"))
        return "created"  # only once committed

    def create(i: int) -> None:
        # As the endpoint runs a handler: run again on a StoreConflict (a serialization failure or deadlock on
        # PostgreSQL, which rolegate's own writers avoid by writing one at a time: docs/adr/0035).
        try:
            outcomes.append(run_retrying(lambda: attempt(i), attempts=20))
        except DuplicateKeyError:
            outcomes.append("duplicate")

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("created") == 1 and len(outcomes) == 8


def test_reset_removes_every_row(store: SqlStore) -> None:
    with store.write() as tx:
        _account(tx)
        tx.roles.create(_role())
    store.reset()
    with store.read() as tx:
        assert tx.accounts.list_all() == []
