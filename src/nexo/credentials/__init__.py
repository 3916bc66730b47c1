"""Machine credentials: API keys, OAuth 2.0 clients and their grants, on-premise connector tokens.

Each kind is stored hashed, resolves to the one `Principal` shape through a resolver registered with
`nexo.core.auth.dependencies` (see `resolvers`), and is rendered by the surfaces that use it: media
(API keys, client credentials), tasks (client registration, authorization code + PKCE, refresh) and
collections (connector link codes and tokens). Services here never commit; the request does.
"""
