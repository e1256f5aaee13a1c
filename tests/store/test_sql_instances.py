"""The registered-instance repository's contract, as every backend must honour it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading

import pytest

from rolegate.iam.entities import AccountRecord
from rolegate.metadata.entities import AssociationRecord, InstanceRecord
from rolegate.metadata.join_tokens import JoinTokenState
from rolegate.store.ports import DuplicateKeyError
from rolegate.store.sql import SqlStore

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
A = "111122223333"
I1, I2 = "i-0123456789abcdef0", "i-0123456789abcdef1"
P_ARN, P_ID = f"arn:aws:iam::{A}:instance-profile/web", "AIPA00000000000000001"


def _instance(instance_id: str, token_hash: str) -> InstanceRecord:
    return InstanceRecord(account_id=A, instance_id=instance_id, partition="aws", region="eu-west-1", created_at=T0,
                          join_token=JoinTokenState(token_hash, T0 + dt.timedelta(minutes=15)),
                          tags=(("team", "web"), ("env", "prod")))


def _association(association_id: str, instance_id: str = I1) -> AssociationRecord:
    return AssociationRecord(association_id, A, instance_id, P_ARN, P_ID, T0)


@pytest.fixture
def seeded(store: SqlStore) -> SqlStore:
    with store.write() as tx:
        tx.accounts.create(AccountRecord(A, "a", T0))
        tx.instances.create(_instance(I1, "a" * 64))
        tx.instances.create(_instance(I2, "b" * 64))
    return store


def test_an_instance_reads_back_by_id_and_by_its_join_token_hash(seeded: SqlStore) -> None:
    with seeded.read() as tx:
        got = tx.instances.get(A, I1)
        assert got == _instance(I1, "a" * 64)
        assert got is not None and got.arn == f"arn:aws:ec2:eu-west-1:{A}:instance/{I1}" and not got.joined
        assert tx.instances.by_join_token("b" * 64) == _instance(I2, "b" * 64)
        assert tx.instances.by_join_token("c" * 64) is None
        assert tx.instances.get("999999999999", I1) is None


def test_instances_page_by_id(seeded: SqlStore) -> None:
    with seeded.read() as tx:
        assert [i.instance_id for i in tx.instances.page(A, None, 1)] == [I1]
        assert [i.instance_id for i in tx.instances.page(A, I1, 10)] == [I2]


def test_a_join_token_is_redeemed_once(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        assert tx.instances.redeem_join_token(A, I1, T0)
    with seeded.write() as tx:
        assert not tx.instances.redeem_join_token(A, I1, T0)
    with seeded.read() as tx:
        got = tx.instances.get(A, I1)
    assert got is not None and got.join_token.redeemed and got.credential_generation == 1 and got.joined_at == T0


def test_two_racing_redemptions_let_exactly_one_win(seeded: SqlStore) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(2)

    def redeem() -> None:
        barrier.wait()
        with seeded.write() as tx:
            results.append(tx.instances.redeem_join_token(A, I2, T0))

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == [False, True]


def test_rotation_moves_the_generation_only_from_the_expected_one(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.instances.redeem_join_token(A, I1, T0)
        assert tx.instances.rotate_credential(A, I1, 1, 1)
        assert not tx.instances.rotate_credential(A, I1, 1, 1)  # generation 2 is the newest now
        assert tx.instances.rotate_credential(A, I1, 2, 2)
    with seeded.read() as tx:
        got = tx.instances.get(A, I1)
    assert got is not None and (got.oldest_valid_generation, got.credential_generation) == (2, 3)


def test_an_instance_has_at_most_one_association(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.instances.associate(_association("iip-assoc-0000000000000000a"))
    with pytest.raises(DuplicateKeyError), seeded.write() as tx:
        tx.instances.associate(_association("iip-assoc-0000000000000000b"))
    with seeded.read() as tx:
        assert tx.instances.association_for(A, I1) == _association("iip-assoc-0000000000000000a")
        assert tx.instances.association(A, "iip-assoc-0000000000000000a") is not None
        assert tx.instances.association_for(A, I2) is None


def test_associations_filter_by_ids_and_page(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.instances.associate(_association("iip-assoc-0000000000000000a", I1))
        tx.instances.associate(_association("iip-assoc-0000000000000000b", I2))
    with seeded.read() as tx:
        every = tx.instances.associations(A, association_ids=(), instance_ids=(), after=None, limit=10)
        assert [a.instance_id for a in every] == [I1, I2]
        assert [a.instance_id for a in tx.instances.associations(A, association_ids=(), instance_ids=[I2],
                                                                   after=None, limit=10)] == [I2]
        assert [a.association_id for a in tx.instances.associations(
            A, association_ids=["iip-assoc-0000000000000000b"], instance_ids=(), after=None, limit=10)] == [
            "iip-assoc-0000000000000000b"]
        assert [a.instance_id for a in tx.instances.associations(
            A, association_ids=(), instance_ids=(), after="iip-assoc-0000000000000000a", limit=10)] == [I2]


def test_replacing_swaps_the_association_and_a_gone_one_is_not_replaced(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.instances.associate(_association("iip-assoc-0000000000000000a"))
        new = dataclasses.replace(_association("iip-assoc-0000000000000000c"), profile_id="AIPA00000000000000002")
        assert tx.instances.replace_association(A, "iip-assoc-0000000000000000a", new)
        assert not tx.instances.replace_association(A, "iip-assoc-0000000000000000a", new)
    with seeded.read() as tx:
        assert tx.instances.association_for(A, I1) == new


def test_disassociating_and_deleting(seeded: SqlStore) -> None:
    with seeded.write() as tx:
        tx.instances.associate(_association("iip-assoc-0000000000000000a", I1))
        tx.instances.associate(_association("iip-assoc-0000000000000000b", I2))
        assert tx.instances.disassociate(A, "iip-assoc-0000000000000000a")
        assert not tx.instances.disassociate(A, "iip-assoc-0000000000000000a")
        tx.instances.delete(A, I2)
    with seeded.read() as tx:
        assert tx.instances.association_for(A, I1) is None
        assert tx.instances.get(A, I2) is None and tx.instances.association(A, "iip-assoc-0000000000000000b") is None
