"""The benchmarks themselves, small: they run, check their own work, and print their figure line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.browser, pytest.mark.slow]


def bench(*args: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    figures = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, "-m", "bench.run", *args, "--json", str(figures)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, json.loads(figures.read_text(encoding="utf-8"))


def test_make_bench_checks_both_sides_and_prints_the_speedup(tmp_path):
    done, figures = bench("--accounts", "5", tmp_path=tmp_path)
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"speedup: \d+\.\dx \(nmaudit [\d.]+ accounts/s, naive [\d.]+ accounts/s, N=5, peak \d+ MB\)",
                        last), last
    phases = figures["phases"]
    assert phases["nmaudit"]["done"] == phases["naive"]["done"] == 5
    assert phases["nmaudit"]["detail"] == "pass 4, fail 1"  # the shapes' verdicts, checked by the bench
    assert figures["speedup"] == pytest.approx(phases["nmaudit"]["accounts_per_s"] / phases["naive"]["accounts_per_s"])
    assert re.search(r"^\[bench\] browser: Chromium [\d.]+ \(", done.stderr, re.MULTILINE), done.stderr[:500]


def test_make_bench_says_so_when_the_browser_asked_for_is_missing(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bench.run", "--accounts", "2", "--executable", "/nonexistent/chrome"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "FAILED: --executable /nonexistent/chrome: no such file" in done.stderr
    assert "Traceback" not in done.stderr


def test_make_bench_pool_compares_endpoints_once_the_browsers_are_up(tmp_path):
    done, figures = bench("--endpoints", "2", "--accounts", "6", tmp_path=tmp_path)
    last = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"endpoints: \d+\.\dx \(2 endpoints [\d.]+ accounts/s, 1 endpoint [\d.]+ accounts/s once the "
                        r"browsers are up, N=6, pace 0\.5 s, profile wall\)", last), last
    phases = figures["phases"]
    for phase in phases.values():
        assert phase["done"] == 6
        # Without the browsers' start, never slower than with it.
        assert phase["steady_accounts_per_s"] >= phase["accounts_per_s"]
    assert figures["ratio"] == pytest.approx(
        phases["2 endpoints"]["steady_accounts_per_s"] / phases["1 endpoint"]["steady_accounts_per_s"])
