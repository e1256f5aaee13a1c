"""``rolegate.core.telemetry``: nothing is recorded until a sink is installed, and a named cache records each
lookup as a hit or a miss through it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rolegate.core import telemetry
from rolegate.core.stamped_cache import StampedCache


class Tally:
    def __init__(self) -> None:
        self.lookups: list[tuple[str, bool]] = []
        self.issued: list[str] = []

    def cache_lookup(self, cache: str, hit: bool) -> None:
        self.lookups.append((cache, hit))

    def store_seconds(self, phase: str, seconds: float) -> None:
        pass

    def credentials_issued(self, channel: str) -> None:
        self.issued.append(channel)

    def audit_write_seconds(self, seconds: float) -> None:
        pass

    def audit_backlog(self, events: int) -> None:
        pass


@pytest.fixture
def tally() -> Iterator[Tally]:
    sink = Tally()
    telemetry.install(sink)
    yield sink
    telemetry.uninstall()


def test_a_named_cache_records_each_lookup_as_hit_or_miss(tally: Tally) -> None:
    cache: StampedCache[str, int, str] = StampedCache(10, name=telemetry.EFFECTIVE_POLICIES)
    cache.get("k", 1)
    cache.get_or_build("k", 1, lambda: "v")
    cache.get_or_build("k", 1, lambda: "other")
    cache.get("k", 2)  # a newer stamp misses
    assert tally.lookups == [("effective_policies", False), ("effective_policies", False),
                             ("effective_policies", True), ("effective_policies", False)]


def test_an_unnamed_cache_records_nothing(tally: Tally) -> None:
    StampedCache[str, int, str](10).get_or_build("k", 1, lambda: "v")
    assert tally.lookups == []


def test_after_uninstall_records_go_nowhere(tally: Tally) -> None:
    telemetry.uninstall()
    telemetry.credentials_issued(telemetry.ASSUME_ROLE)
    assert tally.issued == []


def test_reserved_channels_are_channels() -> None:
    assert set(telemetry.RESERVED_CHANNELS) < set(telemetry.CHANNELS)
