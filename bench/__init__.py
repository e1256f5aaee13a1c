"""Benchmarks: a harness run by hand (``make bench``), never a timed assertion in the test suite."""
