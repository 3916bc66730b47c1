"""OAuth 2.0 (RFC 6749) for machine clients: registered clients, the client-credentials grant, the
authorization-code grant with PKCE (RFC 7636) and rotating refresh tokens, and the token endpoint's
wire format shared by the media and tasks surfaces."""
