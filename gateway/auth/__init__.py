"""Authentication: the client registry, credentials, scopes and (later) the OAuth2 server."""
