"""Authentication across partitions: an account's credentials work only for requests signed for a region of
its own partition; any other is refused as a key that partition's IAM does not know (``InvalidClientTokenId``),
in strict mode and in ``--dev`` alike (docs/adr/0022-partitions.md)."""

from __future__ import annotations

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from rolegate.auth.authenticate import Authenticator
from rolegate.auth.partitions import partition_ids
from rolegate.auth.sigv4 import HttpRequest, SigV4Verifier
from rolegate.authz import Caller
from rolegate.core.clock import FixedClock, SystemClock
from rolegate.core.errors import InvalidClientTokenId
from rolegate.iam.access_keys import AccessKeyService
from rolegate.iam.accounts import AccountService, NewAccount
from rolegate.iam.effective_policies import EffectivePolicies
from rolegate.store.sql import SqlStore
from tests.iam.conftest import clock, internal, store  # noqa: F401  (the domain fixtures)

CN = "210987654321"
BODY = "Action=GetCallerIdentity&Version=2011-06-15"


@pytest.fixture
def cn_account(store: SqlStore, clock: FixedClock) -> NewAccount:  # noqa: F811
    return AccountService(store, partition_ids()).create_account(internal(store, clock), "china", CN,
                                                                 partition="aws-cn")


def _authenticator(store: SqlStore, clock: FixedClock, *, dev: bool = False,  # noqa: F811
                   default_partition: str = "aws") -> Authenticator:
    return Authenticator(AccessKeyService(store, clock), SigV4Verifier(SystemClock()),
                         cache=EffectivePolicies(store), invalidation=store.invalidation, dev=dev,
                         default_partition=default_partition)


def _call(a: Authenticator, key_id: str, secret: str, region: str) -> Caller:
    req = AWSRequest("POST", "http://localhost/", data=BODY.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(key_id, secret), "sts", region).add_auth(req)
    p = req.prepare()
    caller = a.authenticate(HttpRequest("POST", "/", "", [("Host", "localhost"), *p.headers.items()], p.body),
                            {"Action": "GetCallerIdentity"}, signature_required=True)
    assert caller is not None
    return caller


@pytest.mark.parametrize("region", ["cn-north-1", "cn-northwest-1"])
def test_an_aws_cn_root_key_signed_for_a_china_region_is_the_aws_cn_root_user(
        store: SqlStore, clock: FixedClock, cn_account: NewAccount, region: str) -> None:  # noqa: F811
    key = cn_account.root_key
    caller = _call(_authenticator(store, clock), key.access_key_id, key.secret_access_key, region)
    assert (caller.partition, caller.arn, caller.region) == ("aws-cn", f"arn:aws-cn:iam::{CN}:root", region)


@pytest.mark.parametrize("region", ["us-east-1", "us-gov-west-1", "us-isob-east-1", "eu-west-1"])
def test_an_aws_cn_key_signed_for_another_partition_s_region_is_refused(
        store: SqlStore, clock: FixedClock, cn_account: NewAccount, region: str) -> None:  # noqa: F811
    key = cn_account.root_key
    with pytest.raises(InvalidClientTokenId) as exc:
        _call(_authenticator(store, clock), key.access_key_id, key.secret_access_key, region)
    assert str(exc.value) == "The security token included in the request is invalid."


def test_dev_mode_s_unknown_keys_work_only_in_the_default_account_s_partition(
        store: SqlStore, clock: FixedClock) -> None:  # noqa: F811
    dev = _authenticator(store, clock, dev=True)
    assert _call(dev, "AKIAUNKNOWNKEY000000", "secret", "us-west-2").arn == "arn:aws:iam::123456789012:root"
    with pytest.raises(InvalidClientTokenId):
        _call(dev, "AKIAUNKNOWNKEY000000", "secret", "cn-north-1")


def test_dev_mode_with_an_aws_cn_default_account_serves_china(store: SqlStore, clock: FixedClock) -> None:  # noqa: F811
    dev = _authenticator(store, clock, dev=True, default_partition="aws-cn")
    caller = _call(dev, "AKIAUNKNOWNKEY000000", "secret", "cn-northwest-1")
    assert (caller.partition, caller.arn) == ("aws-cn", "arn:aws-cn:iam::123456789012:root")
    with pytest.raises(InvalidClientTokenId):
        _call(dev, "AKIAUNKNOWNKEY000000", "secret", "us-east-1")
