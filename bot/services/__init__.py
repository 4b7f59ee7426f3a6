"""Use cases on a DB session, shared by every channel and the CLI."""
