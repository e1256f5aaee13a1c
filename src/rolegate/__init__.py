"""rolegate: a self-hosted IAM roles service that speaks AWS's own protocols."""

__version__ = "0.1.0"
