"""Reading (and one small edit of) the fragmented MP4 files the encoder writes.

What the manifests say about a stream is read from the stream itself: the RFC 6381 codec
string from the sample entry's decoder configuration (``avcC``, ``esds``), and where each
segment's keyframe ends, for the HLS I-frame playlists; the colour description (``colr``)
the manifests signal HDR with. The one edit adds the W3C common
``pssh`` box to an encrypted init segment, since ffmpeg writes none.

ISO/IEC 14496-12 boxes: a 32-bit size (1: a 64-bit size follows; 0: to the end) and a
four-character type, then the payload; "full" boxes start it with a version and 24 flags.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

# Boxes whose payload is only child boxes, on the paths this module walks.
_CONTAINERS = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"sinf"})
# A visual sample entry's fields before its child boxes (ISO/IEC 14496-12 12.1.3), and an
# audio one's (12.2.3), both after the 8-byte box header.
_VISUAL_ENTRY_FIELDS = 78
_AUDIO_ENTRY_FIELDS = 28
_TRUN_DATA_OFFSET = 0x000001
_TRUN_FIRST_SAMPLE_FLAGS = 0x000004
_TRUN_SAMPLE_DURATION = 0x000100
_TRUN_SAMPLE_SIZE = 0x000200
_TFHD_BASE_DATA_OFFSET = 0x000001
_TFHD_SAMPLE_DESCRIPTION = 0x000002
_TFHD_DEFAULT_DURATION = 0x000008
_TFHD_DEFAULT_SIZE = 0x000010


class Mp4Error(ValueError):
    """The bytes are not the fragmented MP4 this module expects."""


@dataclass(frozen=True, slots=True)
class Box:
    type: bytes
    start: int
    """Offset of the box's first byte (its size field) in the buffer."""
    payload: int
    """Offset of the payload, after the header."""
    end: int


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid end to end in ``data[start:end]``."""
    end = len(data) if end is None else end
    at = start
    while at + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, at)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, at + 8)
            header = 16
        elif size == 0:
            size = end - at
        if size < header or at + size > end:
            raise Mp4Error(f"a {kind!r} box at {at} overruns its parent")
        yield Box(kind, at, at + header, at + size)
        at += size


def find(data: bytes, path: str, start: int = 0, end: int | None = None) -> Box | None:
    """The first box along ``path`` ("moov/trak/mdia"), or None."""
    head, _, rest = path.partition("/")
    for box in boxes(data, start, end):
        if box.type == head.encode("ascii"):
            return box if not rest else find(data, rest, box.payload, box.end)
    return None


def _require(data: bytes, path: str, start: int = 0, end: int | None = None) -> Box:
    box = find(data, path, start, end)
    if box is None:
        raise Mp4Error(f"no {path} box")
    return box


# --- codec strings ----------------------------------------------------------------------


def codec_string(init: bytes) -> str:
    """The RFC 6381 ``codecs`` value of the init segment's (first) track.

    H.264 is ``avc1.PPCCLL``: profile_idc, the constraint flags and level_idc, as the
    ``avcC`` box copies them from the stream's SPS. AAC is ``mp4a.40.N``: MPEG-4 audio
    (object type indication 0x40) and the audio object type of the AudioSpecificConfig
    (2 for AAC-LC). An encrypted entry (``encv``, ``enca``) is named by its original format.
    """
    entry = _sample_entry(init)
    if entry.kind == b"avc1":
        avcc = _require(init, "avcC", entry.children, entry.box.end)
        profile, constraints, level = init[avcc.payload + 1 : avcc.payload + 4]
        return f"avc1.{profile:02x}{constraints:02x}{level:02x}"
    if entry.kind == b"mp4a":
        esds = _require(init, "esds", entry.children, entry.box.end)
        return _mp4a_codec(init[esds.payload + 4 : esds.end])  # after version and flags
    if entry.kind == b"av01":
        av1c = _require(init, "av1C", entry.children, entry.box.end)
        return _av01_codec(init[av1c.payload : av1c.end], colour(init))
    raise Mp4Error(f"no codec string for {entry.kind!r} samples")


@dataclass(frozen=True, slots=True)
class ColourInfo:
    """An ``nclx`` colour box: ITU-T H.273 code points (1 = BT.709, 9 = BT.2020, transfer
    16 = PQ, 18 = HLG)."""

    primaries: int
    transfer: int
    matrix: int
    full_range: bool


def colour(init: bytes) -> ColourInfo | None:
    """The video sample entry's ``nclx`` colour description; None for audio or none given."""
    entry = _sample_entry(init)
    if entry.children - entry.box.payload != _VISUAL_ENTRY_FIELDS:
        return None
    box = find(init, "colr", entry.children, entry.box.end)
    if box is None or init[box.payload : box.payload + 4] != b"nclx":
        return None
    primaries, transfer, matrix, flags = struct.unpack_from(">HHHB", init, box.payload + 4)
    return ColourInfo(primaries, transfer, matrix, bool(flags & 0x80))


def _av01_codec(av1c: bytes, described: ColourInfo | None) -> str:
    """``av01.P.LLT.DD[.M.CCC.cp.tc.mc.F]`` (AV1 ISOBMFF binding, Codecs Parameter String).

    ``av1C`` copies profile, level, tier, bit depth, monochrome and chroma subsampling from
    the sequence header; the colour fields come from the ``colr`` box. They are written
    whenever the stream describes its colour, so a player can tell HDR from SDR (the
    short form means BT.709), and left out when it does not.
    """
    if len(av1c) < 4 or av1c[0] != 0x81:  # marker and version 1
        raise Mp4Error("an av1C box that is not version 1")
    profile, level = av1c[1] >> 5, av1c[1] & 0x1F
    tier = "H" if av1c[2] & 0x80 else "M"
    high_bitdepth, twelve_bit = av1c[2] & 0x40, av1c[2] & 0x20
    depth = 12 if profile == 2 and twelve_bit else 10 if high_bitdepth else 8
    short = f"av01.{profile}.{level:02d}{tier}.{depth:02d}"
    if described is None:
        return short
    monochrome = (av1c[2] >> 4) & 1
    subsampling = f"{(av1c[2] >> 3) & 1}{(av1c[2] >> 2) & 1}{av1c[2] & 3}"  # x, y, position
    return (
        f"{short}.{monochrome}.{subsampling}.{described.primaries:02d}"
        f".{described.transfer:02d}.{described.matrix:02d}.{int(described.full_range)}"
    )


@dataclass(frozen=True, slots=True)
class _SampleEntry:
    box: Box
    kind: bytes
    """The format of the samples: ``avc1`` for ``encv`` too."""
    children: int


def _sample_entry(init: bytes) -> _SampleEntry:
    stsd = _require(init, "moov/trak/mdia/minf/stbl/stsd")
    box = next(boxes(init, stsd.payload + 8, stsd.end), None)  # version, flags, entry count
    if box is None:
        raise Mp4Error("an empty stsd box")
    kind = box.type
    if kind in (b"encv", b"avc1", b"avc3", b"av01"):
        children = box.payload + _VISUAL_ENTRY_FIELDS
    elif kind in (b"enca", b"mp4a"):
        children = box.payload + _AUDIO_ENTRY_FIELDS
    else:
        raise Mp4Error(f"unexpected sample entry {kind!r}")
    if kind in (b"encv", b"enca"):
        frma = _require(init, "sinf/frma", children, box.end)
        kind = init[frma.payload : frma.payload + 4]
    return _SampleEntry(box, b"avc1" if kind == b"avc3" else kind, children)


def _mp4a_codec(descriptors: bytes) -> str:
    """``mp4a.OO.A`` from an ES_Descriptor (ISO/IEC 14496-1 7.2.6.5)."""
    tag, body = _descriptor(descriptors, 0)
    if tag != 0x03:
        raise Mp4Error("esds does not hold an ES_Descriptor")
    flags = descriptors[body + 2]
    at = body + 3
    if flags & 0x80:  # streamDependenceFlag
        at += 2
    if flags & 0x40:  # URL_Flag
        at += 1 + descriptors[at]
    if flags & 0x20:  # OCRstreamFlag
        at += 2
    tag, config = _descriptor(descriptors, at)
    if tag != 0x04:
        raise Mp4Error("no DecoderConfigDescriptor in esds")
    object_type = descriptors[config]
    tag, specific = _descriptor(descriptors, config + 13)
    if object_type != 0x40 or tag != 0x05:
        return f"mp4a.{object_type:02x}"
    audio_object_type = descriptors[specific] >> 3
    if audio_object_type == 31:  # escape: six more bits follow
        pair = int.from_bytes(descriptors[specific : specific + 2], "big")
        audio_object_type = 32 + ((pair >> 5) & 0x3F)
    return f"mp4a.40.{audio_object_type}"


def _descriptor(data: bytes, at: int) -> tuple[int, int]:
    """A descriptor's tag and where its body starts (the size is 1-4 bytes of 7 bits)."""
    tag = data[at]
    at += 1
    for _ in range(4):
        more = data[at] & 0x80
        at += 1
        if not more:
            break
    return tag, at


# --- keyframes --------------------------------------------------------------------------


def first_sample_end(segment: bytes) -> int:
    """How many bytes of a media segment reach the end of its first sample.

    Every segment starts with a keyframe, so ``segment[:first_sample_end(segment)]`` holds
    its fragment header and the keyframe: what an HLS I-frame playlist points to.
    """
    moof = _require(segment, "moof")
    traf = _require(segment, "traf", moof.payload, moof.end)
    tfhd = _require(segment, "tfhd", traf.payload, traf.end)
    trun = _require(segment, "trun", traf.payload, traf.end)
    (tfhd_flags,) = struct.unpack_from(">I", segment, tfhd.payload)
    tfhd_flags &= 0xFFFFFF
    base = moof.start  # also with default-base-is-moof: the first traf starts at the moof
    at = tfhd.payload + 8  # version and flags, track_ID
    if tfhd_flags & _TFHD_BASE_DATA_OFFSET:
        (base,) = struct.unpack_from(">Q", segment, at)
        at += 8
    if tfhd_flags & _TFHD_SAMPLE_DESCRIPTION:
        at += 4
    if tfhd_flags & _TFHD_DEFAULT_DURATION:
        at += 4
    default_size = None
    if tfhd_flags & _TFHD_DEFAULT_SIZE:
        (default_size,) = struct.unpack_from(">I", segment, at)
    (trun_flags, count) = struct.unpack_from(">II", segment, trun.payload)
    trun_flags &= 0xFFFFFF
    if count == 0:
        raise Mp4Error("a fragment with no samples")
    at = trun.payload + 8
    data_offset = 0
    if trun_flags & _TRUN_DATA_OFFSET:
        (data_offset,) = struct.unpack_from(">i", segment, at)
        at += 4
    if trun_flags & _TRUN_FIRST_SAMPLE_FLAGS:
        at += 4
    if trun_flags & _TRUN_SAMPLE_DURATION:
        at += 4
    if trun_flags & _TRUN_SAMPLE_SIZE:
        (size,) = struct.unpack_from(">I", segment, at)
    elif default_size is not None:
        size = default_size
    else:
        raise Mp4Error("the first sample's size is not in trun or tfhd")
    end = int(base) + int(data_offset) + int(size)
    if not moof.end <= end <= len(segment):
        raise Mp4Error("the first sample lies outside the segment")
    return end


# --- pssh -------------------------------------------------------------------------------


def with_pssh(init: bytes, pssh: bytes) -> bytes:
    """``init`` with ``pssh`` appended to its ``moov`` (which must not already hold one).

    An init segment of a fragmented file has no sample offsets (stco is empty), so growing
    the moov moves nothing that anything points to.
    """
    moov = _require(init, "moov")
    if find(init, "pssh", moov.payload, moov.end) is not None:
        raise Mp4Error("the init segment already carries a pssh box")
    if moov.payload - moov.start != 8:
        raise Mp4Error("a moov with a 64-bit size")
    grown = struct.pack(">I", moov.end - moov.start + len(pssh)) + b"moov"
    return init[: moov.start] + grown + init[moov.payload : moov.end] + pssh + init[moov.end :]
