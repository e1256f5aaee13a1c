"""The shared kernel: ARNs, identifiers, clock and errors. Imports nothing outside the standard library."""
