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


class RunInterrupted(NmauditError):
    """A run had to stop before every account was stored (the browser kept crashing, the
    database refused writes). Everything finished is kept; `--resume` finishes the rest."""

    def __init__(self, run_id: str, reason: str):
        self.run_id = run_id
        self.reason = reason
        super().__init__(f"批次 {run_id} 未完成：{reason}。已完成的账号均已保存；"
                         f"用 nmaudit audit --resume {run_id} 继续检查其余账号")
class ContactsError(NmauditError):
    """The contacts file (who is notified, through which channels) is invalid. Carries every
    problem found, each as FILE:LINE: LOCATION: MESSAGE."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class UploadError(NmauditError):
    """An uploaded file is refused (too large, not an image, damaged). The message is for staff."""


class NetworkUnreachable(NmauditError):
    """Before a run: no host the accounts are filed under answered (no network, a wrong proxy).
    Nothing was audited or stored."""
