"""Session issuance: the AssumeRole family, the session token codec, the key ring, MFA, revocation."""
