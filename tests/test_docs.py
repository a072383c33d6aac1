"""The documentation: its transcripts are what today's code prints, and the site builds.

The transcripts in README.md and docs/ are produced by docs/transcripts.py (`make transcripts`)
from the documented commands, run against the demo's sample capture as `make demo` runs it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _transcripts():
    spec = importlib.util.spec_from_file_location("transcripts", ROOT / "docs" / "transcripts.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


transcripts = _transcripts()


@pytest.mark.browser
@pytest.mark.slow
def test_every_transcript_is_what_the_commands_print_today():
    diffs = transcripts.differences()
    assert not diffs, "transcripts out of date; run `make transcripts`:\n" + "".join(diffs)


def test_the_readme_is_a_front_page_with_the_demo_transcript():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    assert "<!-- transcript: demo -->\n```console\n$ nmaudit audit accounts.yaml --replay snapshots/sample.har\n" in readme


def test_every_transcript_block_names_a_known_transcript():
    names = transcripts.wanted()
    assert "demo" in names
    for name in names:
        assert name in transcripts.TRANSCRIPTS or name.startswith("help-")


def test_a_changed_output_is_found_and_rewritten(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("x\n<!-- transcript: demo -->\n```console\n$ nmaudit old\nold\n```\n<!-- /transcript -->\ny\n",
                    encoding="utf-8")
    monkeypatch.setattr(transcripts, "documents", lambda: [page])
    monkeypatch.setattr(transcripts, "ROOT", tmp_path)
    blocks = {"demo": "```console\n$ nmaudit new\nnew\n```\n"}
    (diff,) = transcripts.differences(blocks)
    assert "-old\n" in diff and "+new\n" in diff
    assert transcripts.rewritten(page.read_text(encoding="utf-8"), blocks) == (
        "x\n<!-- transcript: demo -->\n```console\n$ nmaudit new\nnew\n```\n<!-- /transcript -->\ny\n")


def test_run_ids_are_shown_as_the_documented_ones_in_order(tmp_path):
    session = transcripts.Session(tmp_path)
    text = session.fixed("批次 20261208-083422-5b94 … 20261209-010203-abcd … 20261208-083422-5b94")
    assert text == (f"批次 {transcripts.RUN_IDS[0]} … {transcripts.RUN_IDS[1]} … {transcripts.RUN_IDS[0]}")


def test_no_notes_files_at_the_root():
    assert not list(ROOT.glob("NOTES*.md"))


@pytest.mark.skipif(shutil.which("mkdocs", path=str(Path(sys.executable).parent)) is None,
                    reason="the docs extra is not installed (make docs installs it)")
def test_the_site_builds_offline_with_no_broken_links(tmp_path):
    mkdocs = Path(sys.executable).parent / "mkdocs"
    done = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    assert not re.search(r"fonts\.googleapis|fonts\.gstatic", (tmp_path / "site" / "index.html").read_text())
