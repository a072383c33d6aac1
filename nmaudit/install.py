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
#: Chromium's headless build (Debian's package of what Playwright itself runs headless): no
#: windows, no toolbar, no address bar pages rendered behind each page. Preferred when present
#: (browser.SYSTEM_BROWSERS); `make bench` measured it at 1.5x the rate of `chromium` on the
#: same work, in three quarters of the memory.
HEADLESS_PACKAGE = "chromium-headless-shell"


@dataclass
class Readiness:
    browser: Optional[str]  # "Chromium 131.0 (/usr/bin/chromium)", or None
    browser_problem: Optional[str]
    cjk_fonts: bool

    @property
    def ready(self) -> bool:
        return self.browser is not None and self.cjk_fonts

    @property
    def headless_build(self) -> bool:
        """Whether the browser that starts is a headless build (Debian's chromium-headless-shell,
        or Playwright's own build, which runs its headless shell), not a full browser run headless."""
        return self.browser is not None and (HEADLESS_PACKAGE in self.browser or "Playwright build" in self.browser)


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


def apt_offers(package: str) -> bool:
    """Whether apt's package lists (as they are, not updated) have a version of `package` to install."""
    if not shutil.which("apt-cache"):
        return False
    policy = subprocess.run(["apt-cache", "policy", package], capture_output=True, text=True, check=False)
    candidate = next((line.split(":", 1)[1].strip() for line in policy.stdout.splitlines()
                      if line.strip().startswith("Candidate:")), "(none)")
    return candidate not in ("", "(none)")


def faster_step(readiness: Readiness) -> Optional[str]:
    """How to get the headless build, when a full browser is what starts; None otherwise."""
    if readiness.browser is None or readiness.headless_build:
        return None
    return (f"faster and lighter: Debian's headless build, 'sudo apt-get install -y {HEADLESS_PACKAGE}' "
            "(preferred when present; about 1.5x the accounts per second)")


def manual_steps(readiness: Readiness) -> list[str]:
    fonts = [APT_PACKAGES["fonts"]] if not readiness.cjk_fonts else []
    steps = []
    if readiness.browser is None:
        steps.append("Debian: sudo apt-get update && sudo apt-get install -y "
                     + " ".join([HEADLESS_PACKAGE, APT_PACKAGES["browser"], *fonts]))
        steps.append("Ubuntu: sudo apt-get update && sudo apt-get install -y " + " ".join(["chromium-browser", *fonts]))
    elif fonts:
        steps.append(f"Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y {fonts[0]}")
    if readiness.browser is None:
        steps.append("with internet access: python -m playwright install --with-deps chromium")
        steps.append("or use any Chromium or Chrome: nmaudit audit ... --executable /path/to/chrome")
    if not readiness.cjk_fonts:
        steps.append("other systems: install a CJK font (Noto Sans CJK SC) so Chinese is legible in screenshots")
    return steps


def install(say: Callable[[str], None], executable: Optional[str] = None) -> Readiness:
    """Install what is missing where this machine allows it (apt as root); report the rest.

    A missing browser or font is installed after refreshing apt's lists. Chromium's headless
    build is added beside a full browser that already works only when apt's lists, as they
    are, offer it: no refresh for it, so that a system without the package (Ubuntu's Chromium
    is a snap) does not pay for one at every `make`."""
    readiness = check(executable)
    if executable is not None or not can_use_apt():
        return readiness
    missing = [APT_PACKAGES[k] for k, gap in
               (("browser", readiness.browser is None), ("fonts", not readiness.cjk_fonts)) if gap]
    environment = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=environment)
    if not readiness.headless_build and apt_offers(HEADLESS_PACKAGE):
        missing.insert(0, HEADLESS_PACKAGE)
    if missing:
        say(f"installing {' '.join(missing)} with apt-get ...")
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=False, env=environment)
        readiness = check(executable)
    return readiness
