"""IAM Roles Anywhere: trust anchors, profiles, CRLs, subjects and tags (X.509-signed CreateSession to come).
Rules, not HTTP or SQL; storage through ``anywhere.ports``."""
