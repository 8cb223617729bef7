"""Data lifecycle: retention, archives, backfill, erasure and backups, as jobs over the stores."""
