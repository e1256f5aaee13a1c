"""Hypothesis strategies for policy-evaluation cases in the neutral format.

Everything is drawn from small alphabets — two accounts, a handful of callers,
actions, resources and context values — so that patterns, principals and
conditions actually match often and every decision (including ``Error``) is
reached. Used by test_differential.py to diff the reference evaluator against
the fast one.

Hypothesis draws one 64-bit seed per *batch* and a plain ``random.Random``
builds the batch's cases from it: a case holds dozens of choices, and drawing
each through Hypothesis cost ~10 ms per case, and even one Hypothesis example
per case cost ~0.9 ms of framework overhead — more than deciding the case with
both evaluators. The price is that Hypothesis cannot shrink a failing case; the
failure message prints the whole offending case instead.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import strategies as st

A = "111122223333"
B = "444455556666"
ACCOUNTS = [A, B]

ROLE_TARGET = f"arn:aws:iam::{A}:role/Target"
# Spec R71-R73: a KMS key (its resource policy is the key policy) and an alias, which is not a key.
KMS_KEY = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_ALIAS = f"arn:aws:kms:us-east-1:{A}:alias/app"

# Unique ids (spec R2, R11, R21): alice's, a re-created alice's, the Deploy role's.
UID_ALICE = "AIDAJQABLZS4A3QDU576Q"
UID_ALICE_NEW = "AIDAXKZ7Q2M4N6P8R3TUV"
RID_DEPLOY = "AROAKSCDLFT9R5DQP782U"

# Spec R65, R70: actions decided against the role's trust policy; R69: what a trust policy may name.
TRUST_GOVERNED = {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity", "sts:tagsession",
                  "sts:setsourceidentity", "sts:setcontext"}
TRUST_ACTION_PATTERNS = ["sts:AssumeRole", "sts:AssumeRole*", "sts:*", "*", "sts:TagSession", "STS:assumerole",
                         "sts:SetSourceIdentity", "sts:AssumeRoleWithWebIdentity", "sts:*Session"]
INVALID_TRUST_ACTION_PATTERNS = ["s3:GetObject", "sts:Get*", "iam:*"]

CALLERS = [
    f"arn:aws:iam::{A}:user/alice",
    f"arn:aws:iam::{A}:user/bob",
    f"arn:aws:iam::{B}:user/alice",
    f"arn:aws:sts::{A}:assumed-role/Deploy/alice",
    f"arn:aws:sts::{B}:assumed-role/Deploy/alice",
    f"arn:aws:sts::{A}:assumed-role/AWSServiceRoleForECS/ecs",
    f"arn:aws:iam::{A}:role/Deploy",
    f"arn:aws:sts::{A}:federated-user/bob",
    f"arn:aws:iam::{A}:root",
    f"arn:aws:iam::{B}:root",
    "anonymous",
    "ec2.amazonaws.com",
    "accounts.google.com",
]

ACTIONS = ["s3:GetObject", "s3:PutObject", "S3:getobject", "ec2:RunInstances", "iam:GetUser", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity",
           "sts:TagSession", "sts:GetCallerIdentity", "kms:Decrypt", "kms:CreateAlias"]
ACTION_PATTERNS = [
    "*", "s3:*", "s3:Get*", "s3:GetObject", "S3:GETOBJECT", "s3:?utObject", "ec2:*", "sts:AssumeRole", "sts:AssumeRole*",
    "*:GetObject", "iam:Get?ser", "s3:Get", "iam:*", "kms:*", "kms:Decrypt",
]
INVALID_ACTION_PATTERNS = ["GetObject", ""]

RESOURCES = [
    "arn:aws:s3:::bkt/a.txt",
    "arn:aws:s3:::bkt/home/alice/x",
    "arn:aws:s3:::bkt/home/bob/x",
    "arn:aws:s3:::other/b*",
    ROLE_TARGET,
    f"arn:aws:iam::{A}:user/alice",
    "*",
    KMS_KEY,
    KMS_ALIAS,
]
RESOURCE_PATTERNS = [
    "*", "arn:aws:s3:::bkt/*", "arn:aws:s3:::bkt/home/${aws:username}/*", "arn:aws:s3:::bkt/home/${aws:username, 'alice'}/*",
    "arn:aws:s3:::*", "arn:aws:s3:*", "arn:aws:iam::*:role/Target", "arn:aws:s3:::bkt/?.txt", "arn:aws:s3:::other/b${*}",
    "arn:aws:s3:::other/b*", "arn:aws:s3:::BKT/*", f"arn:aws:iam::{A}:user/${{aws:username}}", "arn:aws:s3:::bkt/home/${aws:PrincipalTag/team}/*",
    "arn:aws:kms:*:*:key/*", f"arn:aws:kms:us-east-1:{A}:alias/*",
]

PRINCIPAL_ELEMENTS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": A},
    {"AWS": B},
    {"AWS": f"arn:aws:iam::{A}:root"},
    {"AWS": f"arn:aws:iam::{B}:root"},
    {"AWS": f"arn:aws:iam::{A}:user/alice"},
    {"AWS": f"arn:aws:iam::{B}:user/alice"},
    {"AWS": f"arn:aws:iam::{A}:role/Deploy"},
    {"AWS": f"arn:aws:iam::{B}:role/Deploy"},
    {"AWS": f"arn:aws:sts::{A}:assumed-role/Deploy/alice"},
    {"AWS": f"arn:aws:sts::{A}:federated-user/bob"},
    {"AWS": [f"arn:aws:iam::{A}:user/bob", f"arn:aws:iam::{A}:root"]},
    {"AWS": [f"arn:aws:sts::{A}:assumed-role/Deploy/alice", f"arn:aws:iam::{A}:role/Deploy", A]},
    {"Service": "ec2.amazonaws.com"},
    {"Federated": "accounts.google.com"},
    {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
    {"AWS": UID_ALICE},
    {"AWS": RID_DEPLOY},
    {"AWS": [RID_DEPLOY, UID_ALICE_NEW, A]},
]
INVALID_PRINCIPAL_ELEMENTS: list[Any] = [{"AWS": f"arn:aws:iam::{A}:user/*"}, {"Group": "x"}, {"AWS": "12345"},
                                         {"AWS": "AGPAJQABLZS4A3QDU576Q"}]

# Context: key -> candidate values (a missing key is drawn separately).
CONTEXT_VALUES: dict[str, list[Any]] = {
    "aws:username": ["alice", "bob", "*", "Alice"],
    "aws:PrincipalTag/team": ["red", "blue", "RED"],
    "aws:ResourceTag/team": ["red", "blue"],
    "aws:TagKeys": [["env"], ["env", "team"], ["secret"], [], ["team", "secret"]],
    "aws:SourceIp": ["10.1.2.3", "203.0.113.7", "2001:db8::1", "vpce-1"],
    "aws:CurrentTime": ["2024-01-01T00:00:00Z", "2024-06-15T12:00:00Z", "2025-01-01", "1704067200", "soon"],
    "s3:max-keys": ["5", "10", "10.0", "100", "many"],
    "aws:SecureTransport": ["true", "false", "TRUE"],
    "aws:SourceArn": [f"arn:aws:sns:us-east-1:{A}:topic-a", f"arn:aws:sns:eu-west-1:{B}:topic-b", "not-an-arn"],
    "aws:PrincipalArn": [f"arn:aws:iam::{A}:role/Deploy", f"arn:aws:iam::{A}:role/ops/Deploy", f"arn:aws:iam::{A}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"],
    "sts:ExternalId": ["abc", "xyz"],
    "k:bin": ["QUJD", "QUJE", "%%"],
    "AWS:UserName": ["alice"],
    "aws:userid": [UID_ALICE, UID_ALICE_NEW, f"{RID_DEPLOY}:alice", RID_DEPLOY, f"{A}:bob", [UID_ALICE]],
}

STRING_VALUES = ["alice", "bob", "a*", "?lice", "red", "RED", "env", "team", "secret", "${aws:username}", "${aws:PrincipalTag/team, 'red'}",
                 "${aws:ResourceTag/team}", "${*}", "e${?}v", 10, True]
ARN_VALUES = [f"arn:aws:sns:*:{A}:*", "arn:aws:sns:us-east-1:*:topic-?", "arn:aws:sns:*", "arn:aws:*:*:*:*", f"arn:aws:sns:us-east-1:{A}:topic-a",
              f"arn:aws:iam::{A}:role/*", "arn:aws:iam::${aws:PrincipalTag/team}:role/Deploy"]

FAMILIES: dict[str, tuple[list[str], list[str], list[Any]]] = {
    # family: (operators, keys, policy values)
    "string": (
        ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"],
        ["aws:username", "aws:PrincipalTag/team", "aws:TagKeys", "AWS:UserName", "aws:ResourceTag/team", "missing:key"],
        STRING_VALUES,
    ),
    "numeric": (
        ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"],
        ["s3:max-keys", "missing:key"],
        ["5", "10", 10, "7.5", -1],
    ),
    "date": (
        ["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"],
        ["aws:CurrentTime", "missing:key"],
        ["2024-01-01", "2024-06-15T12:00:00Z", 1704067200, "2024-06-15T14:00:00+02:00", "2024-12-31T23:59:59.5Z"],
    ),
    "bool": (["Bool"], ["aws:SecureTransport", "missing:key"], ["true", "false", True, "FALSE"]),
    "binary": (["BinaryEquals"], ["k:bin", "missing:key"], ["QUJD", "QUJE"]),
    "ip": (["IpAddress", "NotIpAddress"], ["aws:SourceIp", "missing:key"], ["10.0.0.0/8", "203.0.113.7", "2001:db8::/32", "203.0.113.9/24"]),
    "arn": (["ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"], ["aws:SourceArn", "aws:PrincipalArn", "missing:key"], ARN_VALUES),
    "null": (["Null"], list(CONTEXT_VALUES) + ["missing:key"], ["true", "false", True]),
}
INVALID_OPERATORS = ["StringEqualz", "stringequals", "NullIfExists", "ForAllValues:Null", "ForSomeValues:StringEquals"]
INVALID_VALUES = {"numeric": "ten", "date": "yesterday", "bool": "yes", "binary": "not base64!", "ip": "10.0.0.300/8"}

FULL_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


class CaseBuilder:
    """Builds one case from a seeded random generator; ``focus`` biases what is drawn."""

    def __init__(self, seed: int, focus: str) -> None:
        self.rng = random.Random(seed)
        self.focus = focus
        self.action = ""
        self.resource = ""
        combination = focus == "combination"
        self.p_condition = 0.15 if combination else 0.35  # combination: fewer conditions, more policy types
        self.p_boundary = 0.5 if combination else 0.3
        self.p_session = 0.6 if combination else 0.4
        self.p_levels = 0.7 if combination else 0.5

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def pick(self, options: list[Any]) -> Any:
        return self.rng.choice(options)

    def some(self, options: list[Any], most: int = 2) -> list[Any]:
        return [self.pick(options) for _ in range(self.rng.randint(1, most))]

    def one_or_list(self, values: list[Any]) -> Any:
        return values[0] if len(values) == 1 and self.chance(0.5) else values

    def condition(self) -> dict[str, Any]:
        """A Condition block of one or two operators, each with one or two keys."""
        block: dict[str, Any] = {}
        for _ in range(self.rng.randint(1, 2)):
            family = self.pick(sorted(FAMILIES))
            operators, keys, values = FAMILIES[family]
            op = self.pick(operators)
            if family != "null":
                op = self.pick(["", "", "ForAllValues:", "ForAnyValue:"]) + op
                if self.chance(0.2):
                    op += "IfExists"
            if self.chance(0.004):
                op = self.pick(INVALID_OPERATORS)
            entry = block.setdefault(op, {})
            for _ in range(self.rng.randint(1, 2)):
                chosen = self.some(values, 3)
                if family in INVALID_VALUES and self.chance(0.004):
                    chosen = [INVALID_VALUES[family]]
                entry[self.pick(keys)] = self.one_or_list(chosen)
        return block

    def action_patterns(self, trust_policy: bool = False) -> list[str]:
        """Patterns that often match the request's action; only trust actions in a trust policy (R69)."""
        if trust_policy:
            patterns = self.some(TRUST_ACTION_PATTERNS)
            if self.chance(0.01):
                patterns.append(self.pick(INVALID_TRUST_ACTION_PATTERNS))
            return patterns
        if self.chance(0.5):
            service = self.action.split(":", 1)[0]
            return [self.pick([self.action, "*", f"{service}:*", self.action.upper()])]
        patterns = self.some(ACTION_PATTERNS)
        if self.chance(0.003):
            patterns = [self.pick(INVALID_ACTION_PATTERNS)]
        return patterns

    def statement(self, policy_type: str) -> dict[str, Any]:
        """One statement for a policy of the given type (identity, resource, boundary, session, scp, rcp)."""
        # RCPs decide only by their denies (spec R53), so draw more of them there.
        stmt: dict[str, Any] = {"Effect": "Deny" if self.chance(0.5 if policy_type == "rcp" else 0.2) else "Allow"}
        trust_policy = policy_type == "resource" and self.action.lower() in TRUST_GOVERNED
        stmt["NotAction" if self.chance(0.12) else "Action"] = self.one_or_list(self.action_patterns(trust_policy))
        resources = self.some(RESOURCE_PATTERNS)
        if self.resource in (KMS_KEY, KMS_ALIAS) and self.chance(0.5):
            # Key policies name their key as "*"; statements that match a KMS resource exercise R71-R73.
            resources = [self.pick(["*", self.resource, "arn:aws:kms:*:*:key/*", f"arn:aws:kms:us-east-1:{A}:alias/*"])]
        roll = self.rng.random()
        if trust_policy and roll < 0.6:
            pass  # trust-policy statements may omit Resource (R9)
        elif roll > 0.9:
            stmt["NotResource"] = self.one_or_list(resources)
        elif roll > 0.897:
            pass  # a missing Resource: Error outside resource-based policies (R9)
        else:
            stmt["Resource"] = self.one_or_list(resources)
        if policy_type == "resource":
            element = self.pick(PRINCIPAL_ELEMENTS)
            if self.chance(0.004):
                element = self.pick(INVALID_PRINCIPAL_ELEMENTS)
            stmt["NotPrincipal" if self.chance(0.12) else "Principal"] = element
        elif policy_type == "rcp" and self.chance(0.5):
            stmt["Principal"] = "*"
        if self.chance(self.p_condition):
            stmt["Condition"] = self.condition()
        return stmt

    def document(self, policy_type: str) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        version = self.pick(["2012-10-17", "2012-10-17", "2012-10-17", "2008-10-17", None])
        if version is not None:
            doc["Version"] = version
        low = 1 if policy_type == "resource" else 0
        stmts = [self.statement(policy_type) for _ in range(self.rng.randint(low, 3))]
        doc["Statement"] = stmts[0] if len(stmts) == 1 and self.chance(0.5) else stmts
        return doc

    def levels(self, policy_type: str) -> list[list[dict[str, Any]]]:
        """Zero to three organization levels, usually including a full-access document as AWS's defaults do."""
        if not self.chance(self.p_levels):
            return []
        result = []
        for _ in range(self.rng.randint(1, 3)):
            level = [self.document(policy_type) for _ in range(self.rng.randint(0, 1))]
            if self.chance(0.8):
                level.append(FULL_ACCESS)
            result.append(level)
        return result

    def context(self) -> dict[str, Any]:
        return {key: self.pick(values) for key, values in CONTEXT_VALUES.items() if self.chance(0.4)}

    def case(self) -> dict[str, Any]:
        caller = self.pick(CALLERS)
        iam_caller = caller.startswith("arn:") and "-provider/" not in caller
        session_caller = any(part in caller for part in (":assumed-role/", ":federated-user/", ":role/"))
        root_caller = caller.endswith(":root")
        focus = self.focus
        if focus == "trust":
            self.action = self.pick(["sts:AssumeRole", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "STS:assumerole",
                                     "sts:TagSession", "sts:SetSourceIdentity"])
            resource = ROLE_TARGET
        else:
            self.action = self.pick(ACTIONS)
            resource = self.pick(RESOURCES)
            self.resource = resource
            if resource in (KMS_KEY, KMS_ALIAS) and self.chance(0.7):
                self.action = self.pick(["kms:Decrypt", "kms:Decrypt", "kms:CreateAlias"])
        rule_breaking = self.chance(0.01)  # give a caller a policy type it cannot have (R5)
        has_identity = (iam_caller and not root_caller) or rule_breaking
        identity = [self.document("identity") for _ in range(self.rng.randint(0, 2))] if has_identity else []
        if focus == "trust":
            resource_policy = None if self.chance(0.02) else self.document("resource")
        else:
            resource_policy = self.document("resource") if self.chance(0.6) else None
        boundaries: list[Any] = []
        sessions: list[Any] = []
        scps: list[Any] = []
        rcps: list[Any] = []
        if focus != "conditions":
            if has_identity and self.chance(self.p_boundary):
                boundaries = [self.document("boundary")]
            if (session_caller or rule_breaking) and self.chance(self.p_session):
                sessions = [self.document("session") for _ in range(self.rng.randint(1, 2))]
            if iam_caller or rule_breaking:
                scps = self.levels("scp")
            rcps = self.levels("rcp")
        return {
            "id": "generated",
            "request": {
                "principal": caller,
                "action": self.action,
                "resource": resource,
                # A key's own account mostly, so the same-account key-policy rule (R71) is reached often.
                "resourceAccount": A if resource == KMS_KEY and self.chance(0.6) else self.pick(ACCOUNTS),
                "context": self.context(),
            },
            "identityPolicies": identity,
            "resourcePolicy": resource_policy,
            "permissionBoundaries": boundaries,
            "sessionPolicies": sessions,
            "scps": scps,
            "rcps": rcps,
        }


def case_batch(seed: int, focus: str, size: int) -> list[dict[str, Any]]:
    """``size`` cases built from one seed (each case from its own derived seed, so it can be rebuilt alone)."""
    rng = random.Random(seed)
    return [CaseBuilder(rng.getrandbits(64), focus).case() for _ in range(size)]


def cases(focus: str = "any") -> st.SearchStrategy[dict[str, Any]]:
    """Cases in the neutral format. ``focus``: "conditions", "combination", "trust" or "any"."""
    return st.integers(min_value=0, max_value=2**64 - 1).map(lambda seed: CaseBuilder(seed, focus).case())


def case_batches(focus: str = "any", size: int = 10) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Batches of ``size`` cases: one Hypothesis example diffs many cases (see the module docstring)."""
    return st.integers(min_value=0, max_value=2**64 - 1).map(lambda seed: case_batch(seed, focus, size))
