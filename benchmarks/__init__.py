"""Scale data and timings for the premises register on SQLite."""
