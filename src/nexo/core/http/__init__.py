"""HTTP mechanisms shared by every surface: routing, dependencies, middleware, wire-schema bases."""
