"""The homepage: one module per row kind (``rows/``), a registry, the page-wide rules, and
the page itself (cache, breaker, fallbacks)."""

from personalization.homepage.cache import forget, page_version
from personalization.homepage.facts import PageFacts, ViewerFacts
from personalization.homepage.gather import Stores
from personalization.homepage.model import Row, RowKind, RowPlan
from personalization.homepage.page import Homepage, PageRequest, PageSource, breaker, homepage
from personalization.homepage.personalizer import EmbeddingPersonalizer, Personalizer
from personalization.homepage.registry import DEFAULT_ORDER, ROWS

__all__ = [
    "DEFAULT_ORDER",
    "ROWS",
    "EmbeddingPersonalizer",
    "Homepage",
    "PageFacts",
    "PageRequest",
    "PageSource",
    "Personalizer",
    "Row",
    "RowKind",
    "RowPlan",
    "Stores",
    "ViewerFacts",
    "breaker",
    "forget",
    "homepage",
    "page_version",
]
