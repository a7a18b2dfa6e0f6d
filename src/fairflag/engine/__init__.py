"""Pure decision logic: no database, no HTTP, no clock. Services feed it facts and persist its answers."""
