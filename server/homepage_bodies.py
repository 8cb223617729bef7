"""The homepage, rendered once: its finished response body, kept for a few seconds.

A homepage is the heaviest document a client sends, and it is sent again and again with the
same inputs (every app start, every return to the front page). Its page is already cached
(``personalization.homepage.cache``), but resolving the ~200 fields of that page again costs
far more than reading it. So a document that asks for the homepage and nothing else is
answered, while its inputs stand, with the ``data`` bytes the first rendering produced:

* the key is everything the body is made of: the profile, its maturity, its country, its
  page version (bumped by every signal that changes the page), the catalogue version, the
  experiment variants the profile is in (``resolvers.personalization.homepage.page_inputs``),
  and the document itself (its text, variables and operation name);
* a hit still counts against the rate limits and the cost budget, as the document would,
  and logs the profile's experiment exposures again;
* only a fully personalized page is kept: a degraded one (the last good page, the generic
  page) must not outlive the trouble behind it; nor is an answer with errors;
* trending and the ranking model are not versioned, so a body lives ``BODY_SECONDS`` at most:
  a minute, which adds little to the five minutes the page it renders is itself cached for
  (``datasources.personalization.homepage_cache.PAGE_TTL_SECONDS``), and outlasts a busy
  worker's round of first renderings (200 profiles at ~70 ms each is 14 s).

The cache is per process (a worker's own memory, no round trip); the page version, read from
Redis on each request, is what makes a change anywhere take effect everywhere at once.

A body's whole answer is the same bytes every time (its data and its cost), so it is gzipped
once (``gzipped``), as it is kept, rather than by the middleware on every hit.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLSyntaxError
from prometheus_client import Counter
from strawberry.http import GraphQLRequestData

from server import compression

BODY_SECONDS = 60.0
MAX_BODIES = 2000  # a page of 10 rows of 20 is ~40 KB: 80 MB at most per process

OUTCOMES = Counter(
    "flix_homepage_bodies",
    "Homepage-only documents by what answered them: hit (a finished body), miss (rendered "
    "and kept), skip (rendered, not kept: degraded or failed) or bypass (no key: no profile "
    "or no page version).",
    ["outcome"],
)


class EncodedData(dict[str, Any]):
    """A result's ``data`` already encoded as JSON: the view writes these bytes as they are
    (``FlixGraphQL.encode_json``) instead of encoding the tree."""

    def __init__(self, encoded: bytes) -> None:
        super().__init__()
        self.encoded = encoded


@dataclass(frozen=True)
class Body:
    data: bytes  # the answer's "data" member, encoded
    cost: int  # what the document was charged when it was rendered
    fields: tuple[str, ...]  # its root fields' response keys: each counts on a hit
    experiments: tuple[str, ...]  # whose treatments the page applied: exposures on a hit
    stored_at: float


@functools.lru_cache(maxsize=256)
def homepage_fields(query: str, operation_name: str | None) -> tuple[str, ...]:
    """The response keys of the document's root fields when they are all ``homepage``
    (aliases allowed, ``__typename`` ignored); () for any other document."""
    try:
        document = parse(query, no_location=True)
    except GraphQLSyntaxError:
        return ()
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1 or len(document.definitions) != 1:
        return ()  # fragments, or several operations: not worth the care
    operation = operations[0]
    if operation.operation != OperationType.QUERY:
        return ()
    fields = [f for f in operation.selection_set.selections if isinstance(f, FieldNode)]
    if len(fields) != len(operation.selection_set.selections) or any(f.directives for f in fields):
        return ()
    if not all(f.name.value in ("homepage", "__typename") for f in fields):
        return ()
    return tuple((f.alias or f.name).value for f in fields if f.name.value == "homepage")


def body_key(inputs: tuple[object, ...], request: GraphQLRequestData) -> str:
    document = json.dumps(
        [request.query, request.variables, request.operation_name], sort_keys=True, default=str
    )
    return hashlib.sha256(f"{inputs!r}|{document}".encode()).hexdigest()


class HomepageBodies:
    def __init__(self, seconds: float = BODY_SECONDS, size: int = MAX_BODIES) -> None:
        self._seconds = seconds
        self._size = size
        self._bodies: OrderedDict[str, Body] = OrderedDict()
        # Per body key: the digest of the answer last compressed, and its gzip.
        self._gzipped: dict[str, tuple[bytes, bytes]] = {}

    def get(self, key: str) -> Body | None:
        if not self._seconds:
            return None
        body = self._bodies.get(key)
        if body is None or time.monotonic() - body.stored_at > self._seconds:
            return None
        self._bodies.move_to_end(key)
        return body

    def put(self, key: str, body: Body) -> None:
        if not self._seconds:
            return
        self._bodies[key] = body
        self._bodies.move_to_end(key)
        self._gzipped.pop(key, None)
        while len(self._bodies) > self._size:
            gone, _ = self._bodies.popitem(last=False)
            self._gzipped.pop(gone, None)

    def gzipped(self, key: str, answer: bytes) -> bytes:
        """A body's whole answer, gzipped: compressed again only when its bytes are not the
        ones compressed last for this body (a digest, not a second copy, tells)."""
        digest = hashlib.blake2b(answer, digest_size=16).digest()
        found = self._gzipped.get(key)
        if found is None or found[0] != digest:
            found = (digest, compression.gzipped(answer))
            if key in self._bodies:
                self._gzipped[key] = found
        return found[1]
