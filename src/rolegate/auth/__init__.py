"""Request authentication (SigV4) and, as it grows, authorization of every API call."""
