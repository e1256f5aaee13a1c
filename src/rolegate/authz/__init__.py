"""The one authorization decision service: principal + action + resources + context (+ resource or trust
policy) → decision. Used by the endpoint, every AssumeRole variant and iam:PassRole; below sts and iam, it
knows no HTTP, no SQL and no domain service — what it reads comes through ``facts.PolicySource``."""

from .authorizer import Authorizer, TrustedResource, denial_message, session_limits
from .caller import Caller, root_caller, session_caller
from .claims import SessionClaims
from .context import NO_META, RequestContext, RequestMeta
from .facts import EntityFacts, PolicySource, PrincipalPolicies

__all__ = ["NO_META", "Authorizer", "Caller", "EntityFacts", "PolicySource", "PrincipalPolicies",
           "RequestContext", "RequestMeta", "SessionClaims", "TrustedResource", "denial_message",
           "root_caller", "session_caller", "session_limits"]
