"""Plain domain types and pure rules: no database, no HTTP, no wall clock."""
