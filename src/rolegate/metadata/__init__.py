"""Instance-metadata and container credential endpoints, and the node agent that serves them. Rules, not
HTTP or SQL. So far: instance ids and join tokens (``join_tokens``); the rest of issue 13 is not written yet."""
