"""Where the browser tests find Chromium, and how they launch it.

Playwright's own browser download (``playwright install``) cannot reach its servers here, so
the tests drive Debian's packaged Chromium (``apt-get install -y chromium``) through
``executable_path``. See tests/browser/README.md.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PATH = "/usr/bin/chromium"
INSTALL_HINT = "apt-get install -y chromium"

# --no-sandbox: Chromium refuses to start as root (CI runs as root) with its sandbox on.
# --disable-dev-shm-usage: containers often mount a 64 MB /dev/shm, where Chromium crashes.
# The rest keep a headless test browser from reaching out to Google's services.
LAUNCH_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def executable() -> Path:
    """The Chromium binary: the CHROMIUM environment variable, else Debian's path."""
    return Path(os.environ.get("CHROMIUM") or DEFAULT_PATH)


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None when Chromium is there to launch."""
    path = executable()
    if path.is_file() and os.access(path, os.X_OK):
        return None
    return f"Chromium not found at {path} ({INSTALL_HINT}, or set CHROMIUM to its path)"


def required() -> bool:
    """On CI (CI=true, as CI services set it) the browser tests must run, not be skipped."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
