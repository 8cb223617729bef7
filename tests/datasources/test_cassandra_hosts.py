"""FLIX_CASSANDRA_HOSTS entries: hosts with or without a port, one port for the cluster."""

from __future__ import annotations

import pytest

from datasources.viewing.cassandra import parse_hosts


def test_hosts_may_name_their_port() -> None:
    assert parse_hosts(["127.0.0.1:9043", " 127.0.0.2:9043 "]) == (["127.0.0.1", "127.0.0.2"], 9043)
    assert parse_hosts(["[::1]:9044"]) == (["::1"], 9044)


def test_without_a_port_the_default_is_used() -> None:
    assert parse_hosts(["cassandra-1", "cassandra-2:9042"]) == (
        ["cassandra-1", "cassandra-2"],
        9042,
    )
    assert parse_hosts(["::1"]) == (["::1"], 9042)


def test_different_ports_or_no_hosts_are_refused() -> None:
    with pytest.raises(ValueError, match="different ports"):
        parse_hosts(["a:9042", "b:9043"])
    with pytest.raises(ValueError, match="no Cassandra hosts"):
        parse_hosts(["", " "])
