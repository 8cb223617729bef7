"""Every chart row a viewer sees is full: a sparse trending window is topped up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from datasources.personalization import trending
from tests.helpers.aio import blocking
from tests.helpers.api import Api
from tests.helpers.progress import ok
from tests.helpers.stores import REDIS_URL

PAGE = "{ homepage { source rows { kind items { id title } } } }"


def _count_view(video_id: int) -> None:
    """What the VIEWING consumer does with a view: one more for the title, here and now."""

    async def record() -> None:
        redis = Redis.from_url(REDIS_URL)
        await trending.record_view(
            redis, profile_id=uuid.uuid4(), video_id=video_id, country="US", at=datetime.now(UTC)
        )
        await redis.aclose()

    blocking(record())


def _row(page: dict[str, Any], kind: str) -> list[str]:
    return [item["title"] for item in next(r for r in page["rows"] if r["kind"] == kind)["items"]]


def test_a_fresh_account_that_watched_one_title_sees_full_charts(
    api: Api, catalog: dict[str, int]
) -> None:
    api.viewer_with_profile("new@example.com")
    ok(api, catalog["Toy Story"], 3000, at=1)
    _count_view(catalog["Toy Story"])  # the whole chart: one title

    page = api.data(PAGE)["homepage"]
    assert page["source"] == "PERSONALIZED"
    assert len(_row(page, "TRENDING")) >= 10
    top10 = _row(page, "TOP_10")
    assert len(top10) == 10 and top10[0] == "Toy Story"


def test_a_kids_page_without_any_chart_still_has_full_charts(
    api: Api, catalog: dict[str, int]
) -> None:
    api.viewer_with_profile("kid@example.com", isKids=True)
    page = api.data(PAGE)["homepage"]
    assert len(_row(page, "TRENDING")) >= 10 and len(_row(page, "TOP_10")) == 10
