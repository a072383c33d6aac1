"""Local Playwright browser servers (`playwright run-server`), for the pool's tests and benchmark.

Each server is the one the Playwright package ships, started with --unsafe so that it launches
the Chromium nmaudit itself would use (named in the launch options each client sends).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Optional

import psutil

from playwright.sync_api import sync_playwright

from nmaudit.browser import browser_candidates


def project_chromium() -> Optional[str]:
    """The Chromium nmaudit would launch here; None for Playwright's own build."""
    def candidates_of_this_machine() -> list[Optional[str]]:
        with sync_playwright() as playwright:
            return browser_candidates(playwright, None)

    # A thread of its own: after a pytest-playwright test this thread's event loop is running,
    # and the sync API refuses to start inside it.
    with ThreadPoolExecutor(1) as thread:
        candidates = thread.submit(candidates_of_this_machine).result()
    if not candidates:
        raise RuntimeError("no Chromium: run 'nmaudit install'")
    return candidates[0]


class BrowserServer:
    """One `playwright run-server` on a free local port; kill() takes it down with its browsers."""

    def __init__(self) -> None:
        self.process: Optional[subprocess.Popen] = None
        self.url = ""

    def start(self, timeout: float = 30.0) -> "BrowserServer":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "playwright", "run-server", "--host", "127.0.0.1", "--port", "0", "--unsafe"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if match := re.search(r"(ws://\S+)", line):
                self.url = match.group(1)
                return self
            if not line and self.process.poll() is not None:
                break
        self.kill()
        raise RuntimeError("playwright run-server did not start")

    def _tree(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.Error:
            return []

    def kill(self) -> None:
        """SIGKILL the server and every browser it launched: an endpoint that dies."""
        for process in self._tree():
            try:
                process.kill()
            except psutil.Error:
                pass
        if self.process is not None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass

    def freeze(self) -> None:
        """SIGSTOP the server and its browsers: an endpoint that stops answering, connection open."""
        for process in self._tree():
            try:
                os.kill(process.pid, signal.SIGSTOP)
            except OSError:
                pass

    def thaw(self) -> None:
        for process in self._tree():
            try:
                os.kill(process.pid, signal.SIGCONT)
            except OSError:
                pass

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> "BrowserServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.thaw()
        self.kill()
