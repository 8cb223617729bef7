"""Secrets a deployment must keep stable: made once per data folder when not configured.

Signed media URLs and sealed DRM keys must verify and open on every worker and after a
restart, so the keys cannot be random per process.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path

SECRETS_FILE = "secrets.json"
_WANTED: dict[str, Callable[[], str]] = {
    "FLIX_MEDIA_SIGNING_KEY": lambda: secrets.token_urlsafe(32),
    "FLIX_MEDIA_MASTER_KEY": lambda: secrets.token_hex(32),
}


def ensure_secrets(data_dir: Path) -> None:
    """Put each missing secret into the environment, from (or new into) data_dir/secrets.json."""
    path = data_dir / SECRETS_FILE
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    changed = False
    for name, make in _WANTED.items():
        if os.environ.get(name):
            continue
        if name not in stored:
            stored[name] = make()
            changed = True
        os.environ[name] = stored[name]
    if changed:
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(stored, indent=2))
        temporary.chmod(0o600)
        temporary.replace(path)
