"""IAM Roles Anywhere: trust anchors, profiles, CRLs and X.509-signed CreateSession. Rules, not HTTP or SQL.
(Not written yet: the package exists so the import contracts already hold it.)"""
