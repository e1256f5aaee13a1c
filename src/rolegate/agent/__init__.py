"""``rolegate agent``: the per-host process that serves role credentials to unmodified SDKs — the EC2 instance
metadata service (IMDSv2), the container credentials endpoint and, through them, ``credential-process
--imds-address`` — from a registered instance's profile or an X.509 certificate (IAM Roles Anywhere).
docs/adr/0040-rolegate-agent.md; the rules it serves by live in ``rolegate.metadata``."""
