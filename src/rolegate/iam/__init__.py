"""The IAM control plane: accounts, roles and (later) the entities around them. Rules, not HTTP or SQL."""
