"""What the benchmarks that start a web server share: waiting until it answers."""

from __future__ import annotations

import subprocess
import time
import urllib.request


def wait_until_healthy(
    base: str, *, process: subprocess.Popen | None = None, seconds: float = 60
) -> bool:
    """Whether ``base``/healthz answered within ``seconds``; False at once when ``process``
    (the server) has stopped."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):  # noqa: S310
                return True
        except OSError:
            if process is not None and process.poll() is not None:
                return False
            time.sleep(0.3)
    return False
