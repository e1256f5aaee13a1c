"""Request authentication at the edge (SigV4, and X.509-signed requests and bearer tokens as they come).

Authorization is ``rolegate.authz``'s, below sts; this package only says who is calling."""
