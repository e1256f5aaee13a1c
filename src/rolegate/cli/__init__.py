"""The ``rolegate`` command line: serving, accounts, policies, version."""
