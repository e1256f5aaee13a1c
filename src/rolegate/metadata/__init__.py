"""Instance-metadata and container credential rules, for the node agent (``rolegate.agent``) that serves them.
Rules, not HTTP or SQL: instance ids and join tokens (``join_tokens``), IMDSv2 tokens, paths and documents
(``imds``), the container credentials endpoint (``container``)."""
