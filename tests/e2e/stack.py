"""What the browser tests need besides the production stack of tests/stack.py: Chromium."""

from __future__ import annotations

from pathlib import Path

from tests.stack import missing_services

CHROMIUM = "/usr/bin/chromium"


def missing_pieces() -> list[str]:
    """What the browser tests need and this machine lacks (empty when everything is there)."""
    missing = missing_services()
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} is not installed (Debian package chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright is not installed")
    return missing
