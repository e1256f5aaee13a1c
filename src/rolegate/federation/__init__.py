"""Federation: OpenID Connect (discovery, JWKS) and SAML 2.0 (metadata, signed assertions) verification.

Protocol code only, named by the spec it implements; it never sees HTTP frameworks or SQL.
"""
