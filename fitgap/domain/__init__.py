"""Pure domain code: no Flask, no database. Everything here is plain Python and testable alone."""
