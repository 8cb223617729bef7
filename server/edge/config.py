"""The edge's nginx.conf, rendered from a few facts: a pure function, no I/O.

What it caches, and under which key (docs/edge.md has the why):

* **Files** under ``/media/`` (segments, init files, images) are immutable — an asset's
  folder name carries its content's hash — so they are cached for as long as the origin says
  (``Cache-Control: immutable``, a year) under their **path alone**: every viewer's signed
  URL for a segment is the same cached object. The signature is still enforced on every
  request, by an ``auth_request`` to the origin's ``/media-authorize`` whose answer is
  itself cached per signature (its scope, or the path it covers, with ``exp`` and ``sig``)
  until that signature expires: one origin question per viewer and folder, not per segment.
* **Manifests and playlists** (``.mpd``, ``.m3u8``) are rendered per signed URL (capped at a
  height, the signature's expiry inside every URL they list), so they are cached under the
  **whole request URI**, query included, until the ``exp`` they were signed with (the origin
  sends ``X-Accel-Expires: @exp``). A hit is then byte for byte what the origin answered to
  that very URL while it was valid, so they need no separate authorization.
* Anything else (the license, ``/graphql``) is proxied uncached.

Requests whose path is not plain (``%``-escapes, ``//``, ``/.``, a backslash) are refused at
the edge: published paths never need them, and refusing them lets the edge compare a
signature's scope with the raw path the origin will see.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["AUTHORIZE_PATH", "LOG_FIELDS", "EdgeConfig", "render_nginx_conf"]

# The origin's endpoint the edge asks whether a /media URL's signature is good (204/403).
AUTHORIZE_PATH = "/media-authorize"
# One JSON line per request (the authorization subrequests too: ``uri`` is then theirs): the
# cache's verdict and what the origin was asked for and sent (empty when it was not asked).
LOG_FIELDS = {
    "time": "$time_iso8601",
    "status": "$status",
    "method": "$request_method",
    "request_uri": "$request_uri",
    "uri": "$uri",
    "body_bytes": "$body_bytes_sent",
    "cache": "$upstream_cache_status",
    "upstream": "$upstream_addr",
    "upstream_status": "$upstream_status",
    "upstream_body_bytes": "$upstream_response_length",
    "seconds": "$request_time",
    "upstream_seconds": "$upstream_response_time",
}
LOG_FORMAT = "{" + ",".join(f'"{name}":"{value}"' for name, value in LOG_FIELDS.items()) + "}"


@dataclass(frozen=True)
class EdgeConfig:
    origin_url: str  # http://host:port of the Flix origin (or its balancer)
    listen_port: int
    data_dir: Path  # the edge's own folder: pid, logs, temp files and the cache
    listen_host: str = "127.0.0.1"
    cache_max_size: str = "1g"
    # Cached files nobody asked for in this long are evicted (the size cap evicts sooner).
    cache_inactive: str = "7d"
    worker_processes: int = 1
    # The account nginx's workers run as; None: nginx's default (only for a non-root master).
    user: str | None = None

    @property
    def origin_host(self) -> str:
        """host:port of the origin, as ``proxy_pass`` and the Host header name it."""
        parts = urlsplit(self.origin_url)
        if parts.scheme != "http" or not parts.netloc or parts.path not in ("", "/"):
            raise ValueError(f"the origin must be http://host:port, not {self.origin_url!r}")
        return parts.netloc

    @property
    def access_log(self) -> Path:
        return self.data_dir / "logs" / "access.log"

    @property
    def error_log(self) -> Path:
        return self.data_dir / "logs" / "error.log"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "nginx.pid"

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def temp_dir(self) -> Path:
        return self.data_dir / "temp"

    @property
    def conf_file(self) -> Path:
        return self.data_dir / "nginx.conf"


def render_nginx_conf(config: EdgeConfig) -> str:
    """nginx.conf for an edge of ``config.origin_url`` listening on ``config.listen_port``."""
    origin = config.origin_host
    temp = config.temp_dir
    user = f"user {config.user};\n" if config.user else ""
    return f"""# Rendered by server/edge/config.py: edit that, not this file.
{user}worker_processes {config.worker_processes};
pid {config.pid_file};
error_log {config.error_log} warn;

events {{
    worker_connections 1024;
}}

http {{
    default_type application/octet-stream;
    sendfile on;
    # Not tcp_nopush: corking a keep-alive connection held the tail of each cached segment
    # back ~40 ms (measured on loopback: a 128 KB hit took 45 ms with it, 2 ms without).
    tcp_nopush off;
    keepalive_timeout 65;
    server_tokens off;

    client_body_temp_path {temp}/client_body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;

    log_format flix_edge escape=json '{LOG_FORMAT}';
    access_log {config.access_log} flix_edge;
    log_subrequest on;

    # Media objects (segments, init files, images; manifests for their signature's life).
    proxy_cache_path {config.cache_dir}/media levels=1:2 keys_zone=flix_media:16m
                     max_size={config.cache_max_size} inactive={config.cache_inactive}
                     use_temp_path=off;
    # The origin's verdicts on signatures: tiny entries, each until its signature's expiry.
    proxy_cache_path {config.cache_dir}/authorize levels=1:2 keys_zone=flix_authorize:4m
                     max_size=64m inactive=1d use_temp_path=off;

    upstream flix_origin {{
        server {origin};
        keepalive 16;
    }}

    # The parts of the request's signature, from the raw request line: $request_uri is the
    # client's request in the authorization subrequest too, where $uri and $args are not.
    map $request_uri $flix_path {{
        "~^(?<path>[^?]*)" $path;
    }}
    map $request_uri $flix_exp {{
        "~[?&]exp=(?<value>[^&]*)" $value;
        default "";
    }}
    map $request_uri $flix_sig {{
        "~[?&]sig=(?<value>[^&]*)" $value;
        default "";
    }}
    map $request_uri $flix_scope {{
        "~[?&]scope=(?<value>[^&]*)" $value;
        default "";
    }}
    # What the signature covers: its folder (``scope``), else exactly the path.
    map $flix_scope $flix_covers {{
        "" $flix_path;
        default $flix_scope;
    }}
    # 1 when the path lies under the signed folder, or is the signed path itself.
    map "$flix_covers|$flix_path" $flix_in_scope {{
        "~^(?<folder>[^|]*/)\\|\\k<folder>" 1;
        "~^(?<exact>[^|]+)\\|\\k<exact>$" 1;
        default 0;
    }}
    # An expiry and a signature at all: without them the origin need not be asked.
    map "$flix_exp|$flix_sig" $flix_signed {{
        "~^[0-9]+\\|." 1;
        default 0;
    }}
    # Raw paths with escapes, empty or dot segments or backslashes: never a published file.
    map $flix_path $flix_plain_path {{
        "~(%|//|/\\.|\\x5c)" 0;
        default 1;
    }}

    server {{
        listen {config.listen_host}:{config.listen_port};

        proxy_http_version 1.1;
        proxy_set_header Connection "";
        # The origin renders absolute license URLs from its own Host: players keep calling
        # the license on the origin, where their session lives.
        proxy_set_header Host {origin};
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;

        # nginx's own refusal (a bad signature) with the origin's CORS and JSON shape, so a
        # player on another origin sees a 403 rather than a CORS failure.
        location @flix_refused {{
            default_type application/json;
            add_header Access-Control-Allow-Origin "*" always;
            add_header Cache-Control "no-store" always;
            return 403 '{{"errors":[{{"message":"This media link is invalid or has expired.",\
"extensions":{{"code":"FORBIDDEN"}}}}]}}';
        }}

        location = /_flix_authorize {{
            internal;
            proxy_pass http://flix_origin{AUTHORIZE_PATH};
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_cache flix_authorize;
            proxy_cache_key "$flix_covers|$flix_exp|$flix_sig";
            proxy_cache_lock on;
            # The origin's X-Accel-Expires (@exp for a grant, seconds for a refusal) alone
            # says how long a verdict is kept.
            proxy_ignore_headers Cache-Control Expires Set-Cookie Vary;
        }}

        # Rendered manifests and playlists: per signed URL, until the signature expires.
        location ~ ^/media/.+\\.(mpd|m3u8)$ {{
            if ($flix_plain_path = 0) {{
                return 403;
            }}
            error_page 403 = @flix_refused;
            proxy_pass http://flix_origin;
            proxy_cache flix_media;
            proxy_cache_key "$request_uri";
            proxy_cache_lock on;
            # The origin marks them private for browsers; the edge keeps them exactly as
            # long as its X-Accel-Expires says (no header: not kept at all).
            proxy_ignore_headers Cache-Control Expires Set-Cookie;
            add_header X-Cache $upstream_cache_status always;
        }}

        # Files: one cached object per path whoever signed the URL; the signature checked
        # through the (cached) authorization.
        location /media/ {{
            if ($flix_plain_path = 0) {{
                return 403;
            }}
            if ($flix_in_scope = 0) {{
                return 403;
            }}
            if ($flix_signed = 0) {{
                return 403;
            }}
            error_page 403 = @flix_refused;
            auth_request /_flix_authorize;
            proxy_pass http://flix_origin;
            proxy_cache flix_media;
            proxy_cache_key "$uri";
            proxy_cache_lock on;
            proxy_cache_valid 404 10s;
            # Ranges are cut here from the whole cached object (nginx asks the origin for the
            # whole file on a miss), so every Range of a segment is a hit after its first.
            proxy_force_ranges on;
            add_header X-Cache $upstream_cache_status always;
        }}

        # The license, the key endpoint, the API: not the edge's business, passed through.
        location / {{
            proxy_pass http://flix_origin;
            proxy_buffering off;
        }}
    }}
}}
"""
