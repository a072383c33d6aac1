"""Make a working Chromium and CJK fonts available, or say exactly how."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Callable, Optional

from playwright.async_api import async_playwright

from .browser import launch_chromium_described
from .errors import BrowserUnavailable

APT_PACKAGES = {"browser": "chromium", "fonts": "fonts-noto-cjk"}


@dataclass
class Readiness:
    browser: Optional[str]  # "Chromium 131.0 (/usr/bin/chromium)", or None
    browser_problem: Optional[str]
    cjk_fonts: bool

    @property
    def ready(self) -> bool:
        return self.browser is not None and self.cjk_fonts


async def _probe_browser(executable: Optional[str]) -> str:
    async with async_playwright() as playwright:
        browser, description = await launch_chromium_described(playwright, executable, [])
        try:
            return description
        finally:
            await browser.close()


def check(executable: Optional[str] = None) -> Readiness:
    try:
        browser, problem = asyncio.run(_probe_browser(executable)), None
    except BrowserUnavailable as error:
        browser, problem = None, str(error)
    return Readiness(browser=browser, browser_problem=problem, cjk_fonts=has_cjk_fonts())


def has_cjk_fonts() -> bool:
    if not shutil.which("fc-list"):
        return False
    listing = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(listing.stdout.strip())


def can_use_apt() -> bool:
    return shutil.which("apt-get") is not None and hasattr(os, "geteuid") and os.geteuid() == 0


def manual_steps(readiness: Readiness) -> list[str]:
    packages = [APT_PACKAGES[k] for k, missing in
                (("browser", readiness.browser is None), ("fonts", not readiness.cjk_fonts)) if missing]
    steps = []
    if packages:
        steps.append(f"Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y {' '.join(packages)}")
    if readiness.browser is None:
        steps.append("with internet access: python -m playwright install --with-deps chromium")
        steps.append("or use any Chromium or Chrome: nmaudit audit ... --executable /path/to/chrome")
    if not readiness.cjk_fonts:
        steps.append("other systems: install a CJK font (Noto Sans CJK SC) so Chinese is legible in screenshots")
    return steps


def install(say: Callable[[str], None], executable: Optional[str] = None) -> Readiness:
    """Install what is missing where this machine allows it (apt as root); report the rest."""
    readiness = check(executable)
    missing = [APT_PACKAGES[k] for k, gap in
               (("browser", readiness.browser is None), ("fonts", not readiness.cjk_fonts)) if gap]
    if missing and can_use_apt() and executable is None:
        say(f"installing {' '.join(missing)} with apt-get ...")
        environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=environment)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False, env=environment)
        readiness = check(executable)
    return readiness
