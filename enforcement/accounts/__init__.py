"""Users, organisations, passwords, sign-in throttling and server-side sessions."""
