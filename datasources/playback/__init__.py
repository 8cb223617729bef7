"""Media assets in PostgreSQL: the encoded renditions of each title and their content keys."""
