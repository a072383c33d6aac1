"""`nmaudit install`: which packages it asks apt for, and what it tells the user.

apt itself is not run: stand-in `apt-get` and `apt-cache` scripts on PATH note what they
were asked and answer as Debian's do."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nmaudit import install
from nmaudit.install import HEADLESS_PACKAGE, Readiness, apt_offers, faster_step, manual_steps

FULL = "Chromium 156.0.8078.108 (/usr/bin/chromium)"
SHELL = "Chromium 156.0.8078.108 (/usr/bin/chromium-headless-shell)"

POLICY = """chromium-headless-shell:
  Installed: (none)
  Candidate: %s
  Version table:
"""


@pytest.fixture
def fake_apt(tmp_path, monkeypatch):
    """apt-get and apt-cache on PATH that log their arguments; returns (log, set_candidate)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    candidate = tmp_path / "candidate"
    candidate.write_text("156.0.8078.108-1~deb12u1", encoding="utf-8")
    for name, body in (
        ("apt-get", f'echo "apt-get $*" >> {log}\n'),
        ("apt-cache", f'echo "apt-cache $*" >> {log}\nprintf "{POLICY}" "$(cat {candidate})"\n'),
    ):
        script = bin_dir / name
        script.write_text(f"#!/bin/sh\n{body}", encoding="utf-8")
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(install, "can_use_apt", lambda: True)

    def set_candidate(value: str) -> None:
        candidate.write_text(value, encoding="utf-8")

    return log, set_candidate


def calls(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def checks(monkeypatch, *answers: Readiness) -> list[Readiness]:
    """install.check answers these in turn (the last one again once they run out)."""
    queue = list(answers)
    monkeypatch.setattr(install, "check", lambda executable=None: queue.pop(0) if len(queue) > 1 else queue[0])
    return queue


def test_the_headless_build_is_told_from_a_full_browser():
    assert Readiness(SHELL, None, True).headless_build
    assert Readiness("Chromium 156.0 (Playwright build)", None, True).headless_build
    assert not Readiness(FULL, None, True).headless_build
    assert not Readiness(None, "no usable Chromium", True).headless_build


def test_the_hint_names_the_package_only_for_a_full_browser():
    assert faster_step(Readiness(SHELL, None, True)) is None
    assert faster_step(Readiness(None, "missing", True)) is None  # the manual steps say it all
    hint = faster_step(Readiness(FULL, None, True))
    assert hint is not None and f"apt-get install -y {HEADLESS_PACKAGE}" in hint


def test_manual_steps_name_both_browsers_when_none_starts():
    steps = manual_steps(Readiness(None, "no usable Chromium", False))
    assert steps[0] == f"Debian: sudo apt-get update && sudo apt-get install -y {HEADLESS_PACKAGE} chromium fonts-noto-cjk"
    assert steps[1] == "Ubuntu: sudo apt-get update && sudo apt-get install -y chromium-browser fonts-noto-cjk"
    assert manual_steps(Readiness(FULL, None, False))[0] == (
        "Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y fonts-noto-cjk")
    assert manual_steps(Readiness(SHELL, None, True)) == []


def test_apt_offers_reads_the_candidate(fake_apt):
    log, set_candidate = fake_apt
    assert apt_offers(HEADLESS_PACKAGE)
    set_candidate("(none)")
    assert not apt_offers(HEADLESS_PACKAGE)


def test_the_headless_build_is_added_beside_a_full_browser_without_refreshing_apt(fake_apt, monkeypatch):
    log, _ = fake_apt
    checks(monkeypatch, Readiness(FULL, None, True), Readiness(SHELL, None, True))
    said: list[str] = []
    readiness = install.install(said.append)
    assert readiness.browser == SHELL
    assert [c for c in calls(log) if c.startswith("apt-get")] == [f"apt-get install -y -qq {HEADLESS_PACKAGE}"]
    assert said == [f"installing {HEADLESS_PACKAGE} with apt-get ..."]


def test_nothing_is_asked_of_apt_when_it_does_not_offer_the_headless_build(fake_apt, monkeypatch):
    log, set_candidate = fake_apt
    set_candidate("(none)")  # Ubuntu: Chromium is a snap, no such package
    checks(monkeypatch, Readiness(FULL, None, True))
    said: list[str] = []
    assert install.install(said.append).browser == FULL
    assert [c for c in calls(log) if c.startswith("apt-get")] == [] and said == []


def test_a_missing_browser_brings_both_after_a_refresh(fake_apt, monkeypatch):
    log, _ = fake_apt
    checks(monkeypatch, Readiness(None, "no usable Chromium", False), Readiness(SHELL, None, True))
    install.install(lambda line: None)
    assert [c for c in calls(log) if c.startswith("apt-get")] == [
        "apt-get update -qq", f"apt-get install -y -qq {HEADLESS_PACKAGE} chromium fonts-noto-cjk"]


def test_a_ready_headless_build_asks_nothing(fake_apt, monkeypatch):
    log, _ = fake_apt
    checks(monkeypatch, Readiness(SHELL, None, True))
    install.install(lambda line: None)
    assert calls(log) == []


def test_an_executable_given_is_used_as_is(fake_apt, monkeypatch):
    log, _ = fake_apt
    checks(monkeypatch, Readiness(FULL, None, True))
    install.install(lambda line: None, "/usr/bin/chromium")
    assert calls(log) == []
