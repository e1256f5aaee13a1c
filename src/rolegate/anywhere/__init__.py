"""IAM Roles Anywhere: trust anchors (more to come: profiles, CRLs, X.509-signed CreateSession). Rules, not
HTTP or SQL; storage through ``anywhere.ports``."""
