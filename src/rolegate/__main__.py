"""``python -m rolegate``: the same as the ``rolegate`` command."""

from rolegate.cli.main import app

app()
