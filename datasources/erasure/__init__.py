"""Where a person's data sits in PostgreSQL and Redis, deleting it, and finding what is left.

``lifecycle.erasure`` orchestrates an erasure across every store; this package holds the
statements and scans of the two stores it reaches directly (the viewing store has its own
``erase``; the event log and the archives are erased by deleting keys, in
``datasources.subject_keys``).
"""
