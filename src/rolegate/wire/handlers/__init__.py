"""Operation handlers: one thin function per AWS operation, registered under its service and AWS name.

A handler receives the typed input the parser produced and returns the output as a dict keyed by the
output shape's member names; it holds no business rules (those are in the domain services).
"""

from .registry import (HANDLERS, INLINE_WHEN, Handler, HandlerContext, InlineWhen, OperationKey, Services, inline_when,
                       operation)

# Importing a handler module registers its operations.
from . import iam_roles as _iam_roles  # noqa: E402,F401
from . import iam_instance_profiles as _iam_instance_profiles  # noqa: E402,F401
from . import iam_providers as _iam_providers  # noqa: E402,F401
from . import iam_service_linked_roles as _iam_service_linked_roles  # noqa: E402,F401
from . import sts as _sts  # noqa: E402,F401
from . import iam_policies as _iam_policies  # noqa: E402,F401
from . import iam_users as _iam_users, iam_groups as _iam_groups, iam_access_keys as _iam_keys  # noqa: E402,F401
from . import iam_account as _iam_account  # noqa: E402,F401
from . import iam_mfa as _iam_mfa  # noqa: E402,F401
from . import iam_simulation as _iam_simulation  # noqa: E402,F401
from . import iam_login_profiles as _iam_login_profiles  # noqa: E402,F401
from . import iam_account_settings as _iam_account_settings  # noqa: E402,F401
from . import iam_user_credentials as _iam_user_credentials  # noqa: E402,F401
from . import iam_server_certificates as _iam_server_certificates  # noqa: E402,F401
from . import iam_last_accessed as _iam_last_accessed  # noqa: E402,F401
from . import iam_unhosted as _iam_unhosted  # noqa: E402,F401
from . import rolesanywhere_trust_anchors as _rolesanywhere_trust_anchors  # noqa: E402,F401
from . import rolesanywhere_profiles as _rolesanywhere_profiles  # noqa: E402,F401
from . import rolesanywhere_sessions as _rolesanywhere_sessions  # noqa: E402,F401
from . import rolegate_instances as _rolegate_instances  # noqa: E402,F401
from . import ec2_associations as _ec2_associations  # noqa: E402,F401
from . import cloudtrail as _cloudtrail  # noqa: E402,F401

__all__ = ["HANDLERS", "INLINE_WHEN", "Handler", "HandlerContext", "InlineWhen", "OperationKey", "Services",
           "inline_when", "operation"]
