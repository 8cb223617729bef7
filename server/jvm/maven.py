"""The jars a pom's dependencies need, fetched from Maven Central once and cached."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from server.processes import EmbeddedServerError

POMS = Path(__file__).resolve().parent
# In the checkout's ignored .flix folder, shared by the tests, the benches and every data folder.
CACHE = POMS.parents[1] / ".flix" / "cache" / "jvm"
FETCH_TIMEOUT_S = 900.0


def java() -> str:
    """The java launcher: $JAVA_HOME's, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home, "bin", "java") if home else None
    if candidate is not None and candidate.is_file():
        return str(candidate)
    found = shutil.which("java")
    if found is None:
        raise EmbeddedServerError("no JDK found (set JAVA_HOME or put java on PATH)")
    return found


def available() -> bool:
    """Whether this machine can fetch and run the JVM stores (a JDK and Maven)."""
    return shutil.which("mvn") is not None and (
        shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))
    )


def classpath(name: str, say: Callable[[str], None], cache: Path = CACHE) -> list[Path]:
    """The jars of ``<name>.pom.xml``'s dependencies, fetched into cache on first use.

    The folder is named after the pom's digest, so editing a version fetches anew, and it is
    filled under a staging name and renamed when complete: an interrupted fetch leaves
    nothing that looks usable.
    """
    pom = POMS / f"{name}.pom.xml"
    digest = hashlib.sha256(pom.read_bytes()).hexdigest()[:12]
    folder = cache / f"{name}-{digest}"
    if not folder.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        staging = cache / f".{name}-{digest}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        say(f"fetching {name} jars from Maven Central (first run)…")
        command = ["mvn", "-q", "-B", "-f", str(pom), "dependency:copy-dependencies"]
        command += [f"-DoutputDirectory={staging}", "-DincludeScope=runtime"]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise EmbeddedServerError(f"fetching {name} jars failed: {error}") from error
        if done.returncode != 0:
            output = (done.stdout + done.stderr).strip()[-2000:]
            raise EmbeddedServerError(f"fetching {name} jars failed:\n{output}")
        staging.rename(folder)
    return sorted(folder.glob("*.jar"))
