"""Durable storage: the generic seam domain code sees (``ports``: Store, unit of work, outbox), the SQL
adapters of every domain's ports (``sql``), and the database they run on (``schema``, ``engine``,
``migrations``, ``sealing``, ``sql_generation``). Each domain's own ports and entities live in the domain."""
