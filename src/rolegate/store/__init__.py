"""Durable storage: the ports domain code sees (``ports``, ``records``) and their SQL implementation."""
