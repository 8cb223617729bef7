"""Viewing progress: one ViewingStore contract, a PostgreSQL and a Cassandra adapter."""
