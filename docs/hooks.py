"""MkDocs hook: pages the navigation names before they exist in this branch.

Pages in ``PENDING`` are being written alongside this site. While one is missing, its
navigation entry is left out (said at info level), so `mkdocs build --strict` still fails on
any other missing page or broken link. Remove a name here once its page has landed.
"""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.pending")

PENDING: set[str] = set()


def _present(entries: list, docs: Path) -> list:
    kept = []
    for entry in entries:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        if isinstance(value, list):
            entry = {next(iter(entry)): _present(value, docs)}
        elif isinstance(value, str) and value in PENDING and not (docs / value).is_file():
            log.info("navigation: %s is not written yet; left out", value)
            continue
        kept.append(entry)
    return kept


def on_config(config):
    config.nav = _present(config.nav or [], Path(config.docs_dir))
    return config
