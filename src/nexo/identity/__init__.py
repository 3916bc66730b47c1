"""Identity of people: users, roles and permissions, passwords, sign-in sessions, refresh tokens,
two-factor authentication and invitations. Surfaces render it; no HTTP lives here."""
