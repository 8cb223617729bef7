"""DASH MPDs and HLS playlists, rendered from an asset's description (``asset.json``).

Pure functions: the packager renders the static copies it publishes with them, and the
server renders a copy per request that lists only what the viewer's plan and device allow
and carries a signature on every URL. Every URL goes through ``sign(path)``, where ``path``
is relative to the asset's folder (``video/720p-3000k/seg-$Number%05d$.m4s``).

The HLS media playlists must be rendered per request too: their segment URLs need the
signature, so a server cannot hand out the static ones from disk.

Clear Key is signalled the way DASH-IF IOP and the players read it (docs/drm_and_players.md):
in the MPD, ``cenc:default_KID`` on the mp4protection descriptor and the Clear Key system
(``urn:uuid:e2719d58-…``) with its license URL; the W3C common PSSH travels in the init
segments, where every browser's "encrypted" event finds it. In HLS, an EXT-X-KEY with
``KEYFORMAT="org.w3.clearkey"`` and the license URL.

Codecs and dynamic ranges: each (codec family, range) is its own AdaptationSet (players
switch only within one), its colour signalled with the DASH-IF IOP ``urn:mpeg:mpegB:cicp``
properties (the transfer as an EssentialProperty when it is PQ or HLG, so a player that
cannot show HDR leaves the set alone); in HLS, every variant says its ``VIDEO-RANGE``.
A request names the codec families the device plays (``families``): H.264 alone unless
it declares more.
"""

from __future__ import annotations

import json
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.errors import NotFound
from media.bitrates import average_bit_rate, peak_bit_rate, target_duration
from media.drm import CLEARKEY_SCHEME, KEY_SYSTEM

Sign = Callable[[str], str]

DESCRIPTION_FILE = "asset.json"
MPD_FILE = "manifest.mpd"
HLS_MASTER_FILE = "master.m3u8"
PLAYLIST_FILE = "playlist.m3u8"
IFRAME_PLAYLIST_FILE = "iframes.m3u8"
LICENSE_PATH = "/drm/clearkey/license"
"""Where the license endpoint is on the server that serves the media (the static copies'
license URL; a server rendering a manifest names its own origin)."""
KEY_PATH = "/drm/clearkey/key"
"""The raw-key endpoint beside it, for HLS ``KEYFORMAT="identity"``: ``?kid=<32 hex>``."""
FORMAT_VERSION = 1
BASELINE_FAMILIES = frozenset({"avc1"})
"""What every device is assumed to decode; others (``av01``) only when it says so."""
_CICP = "urn:mpeg:mpegB:cicp:"
_HDR_TRANSFERS = {16: "PQ", 18: "HLG"}

MEDIA_TYPES = {
    ".mpd": "application/dash+xml",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
    ".jpg": "image/jpeg",
    ".json": "application/json",
}
"""MIME types of everything a published asset folder holds, by suffix."""

_MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
_CENC_NS = "urn:mpeg:cenc:2013"
_DASHIF_NS = "https://dashif.org/CPS"
_CLEARKEY_NS = "http://dashif.org/guidelines/clearKey"
ET.register_namespace("", _MPD_NS)
ET.register_namespace("cenc", _CENC_NS)
ET.register_namespace("dashif", _DASHIF_NS)
ET.register_namespace("clearkey", _CLEARKEY_NS)


@dataclass(frozen=True, slots=True)
class Track:
    """One representation: a video rung or the audio."""

    id: str
    codecs: str
    bandwidth: int
    """Peak bits per second over any full segment."""
    average_bandwidth: int
    timescale: int
    start: int
    durations: tuple[int, ...]
    init: str
    media: str
    playlist: str
    width: int | None = None
    height: int | None = None
    frame_rate: str | None = None
    bitrate: int | None = None
    """The encoder's target; ``bandwidth`` is what it produced."""
    vmaf: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    keyframe_sizes: tuple[int, ...] = ()
    """Per segment, its bytes up to the end of its keyframe: the I-frame playlist's ranges.
    Empty for audio (and for assets packaged before I-frame playlists)."""
    colour: tuple[int, int, int] | None = None
    """H.273 colour primaries, transfer characteristics and matrix coefficients, from the
    init segment's ``colr`` box; None when the stream does not say (BT.709 is assumed)."""

    @property
    def family(self) -> str:
        """The codec family, the part of ``codecs`` before the first dot: ``avc1``, ``av01``."""
        return self.codecs.split(".")[0].lower()

    @property
    def video_range(self) -> str:
        """HLS's VIDEO-RANGE: ``PQ``, ``HLG`` or ``SDR``."""
        return _HDR_TRANSFERS.get(self.colour[1], "SDR") if self.colour else "SDR"

    @property
    def duration(self) -> float:
        return sum(self.durations) / self.timescale

    @property
    def seconds(self) -> list[float]:
        return [duration / self.timescale for duration in self.durations]

    @property
    def iframe_playlist(self) -> str:
        return posixpath.join(posixpath.dirname(self.playlist), IFRAME_PLAYLIST_FILE)

    def segment_path(self, number: int) -> str:
        return self.media.replace("$Number%05d$", f"{number:05d}")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Track:
        return cls(
            **{
                **data,
                "durations": tuple(data["durations"]),
                "keyframe_sizes": tuple(data.get("keyframe_sizes", ())),
                "colour": tuple(data["colour"]) if data.get("colour") else None,
            }
        )


@dataclass(frozen=True, slots=True)
class Trickplay:
    files: tuple[str, ...]
    interval: int
    width: int
    height: int
    columns: int
    rows: int
    count: int
    """How many thumbnails the tiles hold; the last tile may be partly empty."""


@dataclass(frozen=True, slots=True)
class AssetManifest:
    duration: float
    segment_seconds: int
    video: tuple[Track, ...]
    """Best first."""
    audio: Track | None
    key_id: str | None
    """The Clear Key key id as a UUID, for a protected asset."""
    images: dict[str, str] = field(default_factory=dict)
    trickplay: Trickplay | None = None

    @property
    def codecs(self) -> tuple[str, ...]:
        found = [track.codecs for track in self.video]
        if self.audio is not None:
            found.append(self.audio.codecs)
        return tuple(dict.fromkeys(found))

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AssetManifest:
        trickplay = data.get("trickplay")
        return cls(
            duration=data["duration"],
            segment_seconds=data["segment_seconds"],
            video=tuple(Track.from_json(track) for track in data["video"]),
            audio=Track.from_json(data["audio"]) if data.get("audio") else None,
            key_id=data.get("key_id"),
            images=dict(data.get("images", {})),
            trickplay=(
                Trickplay(**{**trickplay, "files": tuple(trickplay["files"])})
                if trickplay
                else None
            ),
        )


def load_manifest(folder: Path) -> AssetManifest:
    """The description of the asset published in ``folder``."""
    data = json.loads((folder / DESCRIPTION_FILE).read_text(encoding="utf-8"))
    if data.get("format") != FORMAT_VERSION:
        raise ValueError(f"{folder}: asset format {data.get('format')!r} is not supported")
    return AssetManifest.from_json(data)


def allowed_video(
    manifest: AssetManifest,
    max_height: int | None,
    families: frozenset[str] | None = None,
) -> list[Track]:
    """The rungs in ``families`` (None: every codec) no taller than ``max_height``, best first.

    Never empty: when no rung is in ``families`` every codec is considered (an asset
    always has H.264), and when every rung is taller, the smallest of each codec is kept,
    since a device scales a picture down more gracefully than it plays nothing.
    """
    video = [track for track in manifest.video if families is None or track.family in families]
    video = video or list(manifest.video)
    if max_height is None:
        return video
    allowed = [track for track in video if (track.height or 0) <= max_height]
    if allowed:
        return allowed
    smallest: dict[str, Track] = {}
    for track in video:
        if track.family not in smallest or (track.height or 0) < (
            smallest[track.family].height or 0
        ):
            smallest[track.family] = track
    return list(smallest.values())


def video_groups(tracks: Sequence[Track]) -> list[list[Track]]:
    """The tracks by (codec family, dynamic range), in order of first appearance: one DASH
    AdaptationSet each, since a player switches seamlessly only within one."""
    groups: dict[tuple[str, str], list[Track]] = {}
    for track in tracks:
        groups.setdefault((track.family, track.video_range), []).append(track)
    return list(groups.values())


# --- DASH -------------------------------------------------------------------------------


def render_mpd(
    manifest: AssetManifest,
    *,
    sign: Sign,
    max_height: int | None = None,
    families: frozenset[str] | None = None,
    license_url: str | None = None,
) -> str:
    """A static, live-profile MPD: SegmentTemplate with $Number$ and a SegmentTimeline."""
    tracks = allowed_video(manifest, max_height, families)
    longest = max(max(track.durations) / track.timescale for track in [*tracks, *_audio(manifest)])
    root = ET.Element(
        _q("MPD"),
        {
            "profiles": "urn:mpeg:dash:profile:isoff-live:2011",
            "type": "static",
            "mediaPresentationDuration": _duration(manifest.duration),
            "maxSegmentDuration": _duration(longest),
            "minBufferTime": _duration(manifest.segment_seconds),
        },
    )
    period = ET.SubElement(root, _q("Period"), {"id": "0", "start": "PT0S"})
    groups = video_groups(tracks)
    for index, group in enumerate(groups):
        _video_set(period, str(index), group, manifest, sign, license_url)
    for track in _audio(manifest):
        audio = ET.SubElement(
            period,
            _q("AdaptationSet"),
            {
                "id": str(len(groups)),
                "contentType": "audio",
                "mimeType": "audio/mp4",
                "segmentAlignment": "true",
                "startWithSAP": "1",
                "lang": "und",
            },
        )
        _content_protection(audio, manifest, license_url)
        representation = ET.SubElement(
            audio,
            _q("Representation"),
            {
                "id": track.id,
                "bandwidth": str(track.bandwidth),
                "codecs": track.codecs,
                "audioSamplingRate": str(track.sample_rate),
            },
        )
        # AudioChannelConfiguration precedes SegmentTemplate in the schema's sequence.
        ET.SubElement(
            representation,
            _q("AudioChannelConfiguration"),
            {
                "schemeIdUri": "urn:mpeg:dash:23003:3:audio_channel_configuration:2011",
                "value": str(track.channels or 2),
            },
        )
        _segment_template(representation, track, sign)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")


def _video_set(
    period: ET.Element,
    set_id: str,
    tracks: list[Track],
    manifest: AssetManifest,
    sign: Sign,
    license_url: str | None,
) -> None:
    video = ET.SubElement(
        period,
        _q("AdaptationSet"),
        {
            "id": set_id,
            "contentType": "video",
            "mimeType": "video/mp4",
            "segmentAlignment": "true",
            "startWithSAP": "1",
            "maxWidth": str(max(track.width or 0 for track in tracks)),
            "maxHeight": str(max(track.height or 0 for track in tracks)),
        },
    )
    if tracks[0].frame_rate:
        video.set("frameRate", tracks[0].frame_rate)
    _content_protection(video, manifest, license_url)
    _colour_properties(video, tracks[0])
    for track in sorted(tracks, key=lambda t: t.bandwidth):
        representation = ET.SubElement(
            video,
            _q("Representation"),
            {
                "id": track.id,
                "bandwidth": str(track.bandwidth),
                "width": str(track.width),
                "height": str(track.height),
                "sar": "1:1",
                "codecs": track.codecs,
            },
        )
        _segment_template(representation, track, sign)


def _colour_properties(parent: ET.Element, track: Track) -> None:
    """DASH-IF IOP's colour signalling (ISO/IEC 23001-8 code points), after the
    ContentProtection descriptors as the schema's sequence wants."""
    if track.colour is None:
        return
    primaries, transfer, matrix = track.colour
    hdr = transfer in _HDR_TRANSFERS
    # Essential: a player that does not know PQ/HLG must skip the set, not show it washed out.
    ET.SubElement(
        parent,
        _q("EssentialProperty" if hdr else "SupplementalProperty"),
        {"schemeIdUri": f"{_CICP}TransferCharacteristics", "value": str(transfer)},
    )
    for name, value in (("ColourPrimaries", primaries), ("MatrixCoefficients", matrix)):
        ET.SubElement(
            parent,
            _q("SupplementalProperty"),
            {"schemeIdUri": f"{_CICP}{name}", "value": str(value)},
        )


def _audio(manifest: AssetManifest) -> list[Track]:
    return [manifest.audio] if manifest.audio is not None else []


def _content_protection(
    parent: ET.Element, manifest: AssetManifest, license_url: str | None
) -> None:
    if manifest.key_id is None:
        return
    ET.SubElement(
        parent,
        _q("ContentProtection"),
        {
            "schemeIdUri": "urn:mpeg:dash:mp4protection:2011",
            "value": "cenc",
            f"{{{_CENC_NS}}}default_KID": manifest.key_id,
        },
    )
    # No cenc:pssh here, and no descriptor of the W3C common system (urn:uuid:1077efec-…):
    # dash.js counts that one as Clear Key too, prefers it once an application configures
    # Clear Key, and hands its pssh box to generateRequest('keyids') - a TypeError. Without
    # a pssh, dash.js and shaka build their init data from default_KID; the common PSSH is
    # in the init segments for the browser's "encrypted" event.
    clearkey = ET.SubElement(
        parent, _q("ContentProtection"), {"schemeIdUri": CLEARKEY_SCHEME, "value": "ClearKey1.0"}
    )
    if license_url is not None:
        # dashif:laurl is DASH-IF's current spelling; clearkey:Laurl the IOP 4.3 one that
        # shaka and dash.js 4 read.
        ET.SubElement(clearkey, f"{{{_DASHIF_NS}}}laurl").text = license_url
        laurl = ET.SubElement(clearkey, f"{{{_CLEARKEY_NS}}}Laurl", {"Lic_type": "EME-1.0"})
        laurl.text = license_url


def _segment_template(parent: ET.Element, track: Track, sign: Sign) -> None:
    template = ET.SubElement(
        parent,
        _q("SegmentTemplate"),
        {
            "timescale": str(track.timescale),
            "initialization": sign(track.init),
            "media": sign(track.media),
            "startNumber": "1",
        },
    )
    timeline = ET.SubElement(template, _q("SegmentTimeline"))
    for index, (duration, repeat) in enumerate(_runs(track.durations)):
        entry = {"t": str(track.start)} if index == 0 else {}
        entry["d"] = str(duration)
        if repeat:
            entry["r"] = str(repeat)
        ET.SubElement(timeline, _q("S"), entry)


def _runs(durations: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for duration in durations:
        if runs and runs[-1][0] == duration:
            runs[-1] = (duration, runs[-1][1] + 1)
        else:
            runs.append((duration, 0))
    return runs


def _q(name: str) -> str:
    return f"{{{_MPD_NS}}}{name}"


def _duration(seconds: float) -> str:
    return f"PT{seconds:.3f}S"


def _kid_bytes(key_id: str) -> bytes:
    return bytes.fromhex(key_id.replace("-", ""))


# --- HLS --------------------------------------------------------------------------------

_AUDIO_GROUP = "audio"
_HLS_HEADER = ["#EXTM3U", "#EXT-X-VERSION:7"]


def render_hls_master(
    manifest: AssetManifest,
    *,
    sign: Sign,
    max_height: int | None = None,
    families: frozenset[str] | None = None,
) -> str:
    """The master playlist: one variant per allowed rung, audio as a rendition group, and
    an I-frame playlist per rung for trick play.

    BANDWIDTH and AVERAGE-BANDWIDTH are the rung's measured peak and average segment bit
    rates plus the audio's (RFC 8216: the sum over the renditions played together).
    """
    lines = [*_HLS_HEADER, "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio = manifest.audio
    if audio is not None:
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{_AUDIO_GROUP}",NAME="Main",DEFAULT=YES,'
            f'AUTOSELECT=YES,CHANNELS="{audio.channels or 2}",URI="{sign(audio.playlist)}"'
        )
    tracks = allowed_video(manifest, max_height, families)
    for track in tracks:
        codecs = track.codecs + (f",{audio.codecs}" if audio else "")
        peak = track.bandwidth + (audio.bandwidth if audio else 0)
        average = track.average_bandwidth + (audio.average_bandwidth if audio else 0)
        attributes = [
            f"BANDWIDTH={peak}",
            f"AVERAGE-BANDWIDTH={average}",
            f'CODECS="{codecs}"',
            f"RESOLUTION={track.width}x{track.height}",
            f"VIDEO-RANGE={track.video_range}",
        ]
        if track.frame_rate:
            attributes.append(f"FRAME-RATE={_frame_rate(track.frame_rate):.3f}")
        if audio is not None:
            attributes.append(f'AUDIO="{_AUDIO_GROUP}"')
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attributes), sign(track.playlist)]
    for track in tracks:
        if not track.keyframe_sizes:
            continue
        peak, average = iframe_bit_rates(track)
        attributes = [
            f"BANDWIDTH={peak}",
            f"AVERAGE-BANDWIDTH={average}",
            f'CODECS="{track.codecs}"',
            f"RESOLUTION={track.width}x{track.height}",
            f"VIDEO-RANGE={track.video_range}",
            f'URI="{sign(track.iframe_playlist)}"',
        ]
        lines.append("#EXT-X-I-FRAME-STREAM-INF:" + ",".join(attributes))
    return "\n".join(lines) + "\n"


def iframe_bit_rates(track: Track) -> tuple[int, int]:
    """Peak and average bit rate of a rung's I-frame playlist: each keyframe's bytes over
    the time until the next one (RFC 8216 4.3.4.3)."""
    seconds = track.seconds
    return (
        peak_bit_rate(track.keyframe_sizes, seconds),
        average_bit_rate(track.keyframe_sizes, seconds),
    )


def render_hls_media(
    manifest: AssetManifest, track_id: str, *, sign: Sign, drm_origin: str = ""
) -> str:
    """The fMP4 media playlist of one track (a rung's id, or the audio's).

    ``drm_origin`` is where the license and key endpoints are ("" for this server's root).
    """
    track = find_track(manifest, track_id)
    lines = _media_header(manifest, track, sign, drm_origin)
    for number, length in enumerate(track.seconds, start=1):
        lines += [f"#EXTINF:{length:.5f},", sign(track.segment_path(number))]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def render_hls_iframes(
    manifest: AssetManifest, track_id: str, *, sign: Sign, drm_origin: str = ""
) -> str:
    """A rung's I-frame playlist: every segment's keyframe as a byte range of the segment
    (its fragment header and first sample), lasting until the next keyframe."""
    track = find_track(manifest, track_id)
    if not track.keyframe_sizes:
        raise NotFound(f"track {track_id!r} has no I-frame playlist")
    lines = _media_header(manifest, track, sign, drm_origin, iframes=True)
    for number, (length, size) in enumerate(
        zip(track.seconds, track.keyframe_sizes, strict=True), start=1
    ):
        lines += [
            f"#EXTINF:{length:.5f},",
            f"#EXT-X-BYTERANGE:{size}@0",
            sign(track.segment_path(number)),
        ]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _media_header(
    manifest: AssetManifest, track: Track, sign: Sign, drm_origin: str, *, iframes: bool = False
) -> list[str]:
    lines = [
        *_HLS_HEADER,
        f"#EXT-X-TARGETDURATION:{target_duration(track.seconds)}",
        "#EXT-X-MEDIA-SEQUENCE:1",
        "#EXT-X-PLAYLIST-TYPE:VOD",
    ]
    if iframes:
        lines.append("#EXT-X-I-FRAMES-ONLY")
    lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    if manifest.key_id is not None:
        # Two descriptions of one key, each player taking the one it knows. hls.js reads
        # KEYFORMAT "org.w3.clearkey" (the EME key system's name): KEYID names the key, URI
        # the license server, the init segment's common PSSH is the init data. shaka's HLS
        # reader knows Clear Key only as "identity": the URI answers the raw key itself,
        # to the same sessions the license endpoint serves (and the key id is in the init
        # segment's tenc box).
        kid = _kid_bytes(manifest.key_id).hex()
        lines.append(
            f'#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="{drm_origin}{LICENSE_PATH}",'
            f'KEYFORMAT="{KEY_SYSTEM}",KEYFORMATVERSIONS="1",KEYID=0x{kid}'
        )
        lines.append(
            f'#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,URI="{drm_origin}{KEY_PATH}?kid={kid}",'
            f'KEYFORMAT="identity",KEYFORMATVERSIONS="1",KEYID=0x{kid}'
        )
    lines.append(f'#EXT-X-MAP:URI="{sign(track.init)}"')
    return lines


def find_track(manifest: AssetManifest, track_id: str) -> Track:
    for track in [*manifest.video, *_audio(manifest)]:
        if track.id == track_id:
            return track
    raise NotFound(f"no track {track_id!r} in this asset")


def _frame_rate(text: str) -> float:
    numerator, _, denominator = text.partition("/")
    return float(numerator) / float(denominator or 1)
