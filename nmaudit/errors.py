"""The exceptions the core raises; only cli.py turns them into messages and exit codes."""

from __future__ import annotations


class NmauditError(Exception):
    """Base class of every error nmaudit reports to its user."""


class RegistryError(NmauditError):
    """The registry is invalid. Carries every problem found, each already located."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class BrowserUnavailable(NmauditError):
    """No usable Chromium could be launched. The message says how to get one."""


class UsageError(NmauditError):
    """An option or argument does not make sense (exit 2)."""


class StoreError(NmauditError):
    """The database cannot be used (wrong file, unknown run)."""


class ReviewError(NmauditError):
    """A review decision is incomplete or contradicts the run. Carries every problem, in Chinese for staff."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；".join(problems))


class ContactsError(NmauditError):
    """The contacts file (who is notified, through which channels) is invalid. Carries every
    problem found, each as FILE:LINE: LOCATION: MESSAGE."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
