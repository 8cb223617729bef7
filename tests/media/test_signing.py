"""Signed media URLs: only the signed folder, only until the expiry, only untampered."""

from __future__ import annotations

from urllib.parse import urlsplit

from media.signing import sign_path, signer, verify

KEY = b"k" * 32
NOW = 1_700_000_000
LATER = NOW + 600
FOLDER = "/media/video-7-1a2b3c4d/"


def test_a_folder_signature_opens_its_files_until_it_expires() -> None:
    query = sign_path(KEY, FOLDER, LATER)
    segment = FOLDER + "video/720p-3000k/seg-00042.m4s"
    assert verify(KEY, segment, query, NOW)
    assert verify(KEY, FOLDER + "manifest.mpd", query, LATER)
    assert not verify(KEY, segment, query, LATER + 1)  # expired


def test_other_titles_and_escapes_are_refused() -> None:
    query = sign_path(KEY, FOLDER, LATER)
    assert not verify(KEY, "/media/video-8-ffffffff/manifest.mpd", query, NOW)
    assert not verify(KEY, "/media/video-7-1a2b3c4d-x/manifest.mpd", query, NOW)
    assert not verify(KEY, FOLDER + "../video-8-ffffffff/manifest.mpd", query, NOW)
    assert not verify(KEY, FOLDER + "video//seg-00001.m4s", query, NOW)
    assert not verify(KEY, "/media/", query, NOW)


def test_tampering_is_refused() -> None:
    query = sign_path(KEY, FOLDER, LATER)
    path = FOLDER + "manifest.mpd"
    assert not verify(b"x" * 32, path, query, NOW)  # another key
    assert not verify(KEY, path, query.replace(f"exp={LATER}", f"exp={LATER + 3600}"), NOW)
    widened = query.replace("scope=%2Fmedia%2Fvideo-7-1a2b3c4d%2F", "scope=%2Fmedia%2F")
    widened = widened.replace("scope=/media/video-7-1a2b3c4d/", "scope=/media/")
    assert widened != query and not verify(KEY, path, widened, NOW)
    signature = query.rsplit("sig=", 1)[1]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    assert not verify(KEY, path, query.replace(signature, flipped), NOW)
    assert not verify(KEY, path, "", NOW)
    assert not verify(KEY, path, f"exp=soon&sig={signature}", NOW)
    assert not verify(KEY, path, query + "&exp=1", NOW)  # a second expiry


def test_an_exact_path_signature_opens_that_file_only() -> None:
    path = FOLDER + "images/poster.jpg"
    query = sign_path(KEY, path, LATER)
    assert verify(KEY, path, query, NOW)
    assert not verify(KEY, FOLDER + "images/backdrop.jpg", query, NOW)


def test_signer_builds_urls_the_verifier_accepts() -> None:
    sign = signer(KEY, "https://cdn.example", FOLDER.rstrip("/"), LATER)
    url = sign("video/720p-3000k/seg-$Number%05d$.m4s")
    # The template survives untouched: the player substitutes $Number$ in place.
    assert url.startswith(
        "https://cdn.example/media/video-7-1a2b3c4d/video/720p-3000k/seg-$Number%05d$.m4s?"
    )
    parts = urlsplit(url.replace("$Number%05d$", "00007"))
    assert verify(KEY, parts.path, parts.query, NOW)
