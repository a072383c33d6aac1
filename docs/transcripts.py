"""The transcripts in README.md and docs/: commands with what today's code prints.

A transcript in a Markdown file is a block between two markers:

    <!-- transcript: demo -->
    ```console
    $ nmaudit audit accounts.yaml --replay snapshots/sample.har
    ...
    ```
    <!-- /transcript -->

Each name below runs its commands in a scratch folder holding a copy of the sample registry,
the sample capture (snapshots/sample.har) and the example contacts file, exactly as a user
types them after `make demo`; a name ``help-<command>`` shows ``nmaudit <command> --help``.
What varies from one run to the next is made fixed: the run ids (a new one per audit) are
replaced, in the order they appear, by the ids in ``RUN_IDS``; the terminal is ``COLUMNS``
wide, so rich and click wrap alike everywhere. Progress lines of an audit (one per account,
in the order the workers finish) are left out of a transcript.

    python docs/transcripts.py          rewrite every transcript block (make transcripts)
    python docs/transcripts.py --check  exit 1 and print a diff where a block is out of date
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = 110
BLOCK = re.compile(r"(<!-- transcript: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /transcript -->)", re.S)
RUN_ID = re.compile(r"\b\d{8}-\d{6}-[0-9a-f]{4}\b")
#: The ids a transcript shows for the 1st, 2nd, ... run id that its commands printed.
RUN_IDS = ("20261126-230105-5e1f", "20261127-081502-a7c3", "20261127-230211-0d92", "20261128-230340-c4b8",
           "20261129-230122-9f06", "20261130-230517-3a6d")
#: The office settings content.md screens the demo with (its entries are examples).
SCREENING = """\
default_wording: true          # keep the bundled 错误表述 list
wording:                       # the office's own entries, added to it
  - wrong: 征兵工作启动
    correct: 征兵工作正式启动
    note: 示例条目：本单位规范表述
    source: 本单位宣传口径（示例）
sensitive: [举报电话]           # or: sensitive: words.txt
ad_domains: [taobao.com, tmall.com, jd.com, youzan.com, weidian.com]
# ad_phrases: [...]            # default: 扫码领取, 扫码购买, 领取优惠券, 限时抢购 ...
"""
PROGRESS = re.compile(r"^\[\d+/\d+\] ")
#: Made-up secrets for contacts.example.yaml (a dry run prints the channels, secrets masked).
SECRETS = {
    "WECOM_KEY_POLICE": "00000000-1111-2222-3333-444444444444",
    "DINGTALK_TOKEN_SCJG": "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "FEISHU_TOKEN_NEWS": "01234567-89ab-cdef-0123-456789abcdef",
    "SMTP_USER": "nmaudit",
    "SMTP_PASSWORD": "example-password",
}


def documents() -> list[Path]:
    """Every Markdown file that may hold transcripts."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def typed(args: list[str]) -> str:
    """ARGS as a person types them: quoted only where the shell needs it (CJK file names are not)."""
    return " ".join(arg if re.fullmatch(r"[^\s'\"\\$`*?|&;<>(){}\[\]!#~]+", arg) else shlex.quote(arg)
                    for arg in args)


@dataclass
class Session:
    """A scratch folder where the documented commands run one after another, as a user would."""

    folder: Path
    run_ids: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, folder: Path) -> "Session":
        (folder / "snapshots").mkdir(parents=True)
        shutil.copy(ROOT / "accounts.yaml", folder / "accounts.yaml")
        shutil.copy(ROOT / "snapshots" / "sample.har", folder / "snapshots" / "sample.har")
        shutil.copy(ROOT / "contacts.example.yaml", folder / "contacts.example.yaml")
        (folder / "office.yaml").write_text(SCREENING, encoding="utf-8")
        secret = folder / "home" / ".config" / "nmaudit" / "qishan.url"
        secret.parent.mkdir(parents=True)
        secret.write_text("jsons://hooks.example.gov.cn/nmaudit/qishan\n")
        secret.chmod(0o600)
        return cls(folder)

    def run(self, args: list[str], columns: int = COLUMNS) -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if not key.startswith("NMAUDIT_")}
        # HOME is the scratch folder's (contacts.example.yaml reads a secret file under ~); caches,
        # Playwright's own browsers among them, stay where they are.
        env.setdefault("XDG_CACHE_HOME", str(Path.home() / ".cache"))
        env.update(SECRETS, COLUMNS=str(columns), LINES="50", NO_COLOR="1", TERM="dumb",
                   HOME=str(self.folder / "home"), PYTHONIOENCODING="utf-8")
        return subprocess.run([sys.executable, "-m", "nmaudit", *args], cwd=self.folder, env=env,
                              capture_output=True, text=True, timeout=600)

    def help(self, words: list[str]) -> str:
        """``$ nmaudit WORDS --help``, rendered in this process (a process per page would be slow)."""
        from click.testing import CliRunner

        from nmaudit.cli import cli
        # click's own width on a terminal COLUMNS wide: at most 80 columns, less its margin of 2.
        done = CliRunner().invoke(cli, [*words, "--help"], prog_name="nmaudit", terminal_width=min(COLUMNS, 80) - 2)
        if done.exit_code != 0:
            raise SystemExit(f"nmaudit {typed(words)} --help: exit {done.exit_code}\n{done.output}")
        return "\n".join(line.rstrip() for line in [f"$ nmaudit {typed([*words, '--help'])}",
                                                    *done.output.rstrip("\n").split("\n")])

    def fixed(self, text: str) -> str:
        """Run ids replaced by the documented ones, in order of appearance."""
        def replace(match: re.Match) -> str:
            seen = match.group(0)
            if seen not in self.run_ids:
                self.run_ids[seen] = RUN_IDS[len(self.run_ids)]
            return self.run_ids[seen]
        return RUN_ID.sub(replace, text)

    def show(self, args: list[str], *, stderr: str = "all", head: int | None = None, start: str = "",
             exit_code: bool = False, expect: int = 0, stdout: bool = True,
             columns: int = COLUMNS) -> str:
        """``$ nmaudit ARGS`` and what it printed: stdout, then stderr.

        ``stderr``: "all", "none", "last" (its last line), "ends" (its first and last lines) or
        "progress-less" (all but the progress lines, one per account in the order they finish).
        ``head``: only the first lines of stdout, then "...".
        ``start``: stdout from its first line holding this text on, "..." for what is left out.
        ``columns``: a wider terminal, where a table would otherwise wrap a run id.
        """
        done = self.run(args, columns)
        if done.returncode != expect:
            raise SystemExit(f"nmaudit {typed(args)}: exit {done.returncode}, expected {expect}\n"
                             f"{done.stderr}")
        out = done.stdout.rstrip("\n").split("\n") if stdout and done.stdout.strip() else []
        if start:
            first = next(i for i, line in enumerate(out) if start in line)
            out = (["..."] if first else []) + out[first:]
        if head is not None and len(out) > head:
            out = out[:head] + ["..."]
        err = done.stderr.rstrip("\n").split("\n") if done.stderr.strip() else []
        if stderr == "none":
            err = []
        elif stderr == "ends" and len(err) > 2:
            err = [err[0], "...", err[-1]]
        elif stderr == "progress-less":
            err = [line for line in err if not PROGRESS.match(line)]
        elif stderr == "last":
            err = err[-1:]
        lines = [f"$ nmaudit {typed(args)}", *out, *err]
        if exit_code:
            lines += ["$ echo $?", str(done.returncode)]
        return self.fixed("\n".join(line.rstrip() for line in lines))


#: Name -> the commands it shows. Run in this order in one session: later ones read the
#: database the demo audit wrote.
TRANSCRIPTS: dict[str, Callable[[Session], str]] = {
    "demo": lambda s: s.show(["audit", "accounts.yaml", "--replay", "snapshots/sample.har"], stderr="ends"),
    "runs": lambda s: s.show(["runs"], columns=130),
    "verify": lambda s: s.show(["verify", "latest"]),
    "history": lambda s: s.show(["history", "baoji-scjg-weibo"], columns=130),
    "report-md": lambda s: s.show(["report", "latest", "--format", "md"], head=40),
    "report-pdf": lambda s: s.show(["report", "latest", "--format", "pdf", "-o", "通报.pdf"]),
    "notify-dry-run": lambda s: s.show(["notify", "latest", "--dry-run", "--contacts", "contacts.example.yaml"]),
    "platforms": lambda s: s.show(["platforms"]),
    "coverage": lambda s: s.show(["registry", "coverage", "accounts.yaml"]),
    "lint": lambda s: s.show(["registry", "lint", "accounts.yaml", "--strict"], exit_code=True, expect=1),
    "city-import": lambda s: city_import(s),
    "city-coverage": lambda s: city_coverage(s),
    # From here on, each adds a run, which "latest" names from then on.
    "recheck": lambda s: s.show(["recheck", "latest", "--replay", "snapshots/sample.har"], start="复核情况",
                                stderr="ends"),
    # Two more days of the demo, for running figures and ranks.
    "rankings": lambda s: "\n".join([
        *(s.show(["audit", "accounts.yaml", "--replay", "snapshots/sample.har", "--as-of", day], stdout=False,
                 stderr="last") for day in ("2026-11-27T22:56", "2026-11-28T22:56")),
        s.show(["history", "baoji-scjg-weibo"], columns=130),
        s.show(["report", "latest", "--format", "md"], start="## 排名")]),
    # The demo again, screened with an office's settings (content.md).
    "screening": lambda s: "\n".join([
        f"$ cat office.yaml\n{SCREENING.rstrip()}",
        s.show(["audit", "accounts.yaml", "--replay", "snapshots/sample.har", "--screening", "office.yaml",
                "--format", "csv", "-o", "out.csv"], stderr="progress-less"),
        "$ grep -o '疑似[^,]*' out.csv",
        *re.findall(r"疑似[^,\n]*", (s.folder / "out.csv").read_text(encoding="utf-8"))]),
    "screening-hit": lambda s: ("json", s.fixed(first_hit(s, "wording"))),
}


def city(session: Session) -> Session:
    """A folder beside the demo's holding a city's 报送系统 export (tests/city_export.py writes it)."""
    folder = session.folder / "city"
    if not folder.is_dir():
        folder.mkdir()
        sys.path.insert(0, str(ROOT))
        from tests.city_export import write_xlsx
        write_xlsx(folder / "export.xlsx")
    return Session(folder, session.run_ids)


def city_import(session: Session) -> str:
    there = city(session)
    shown = there.show(["registry", "import", "export.xlsx", "-o", "accounts.yaml"])
    head = (there.folder / "accounts.yaml").read_text(encoding="utf-8").split("\n")[:11]
    return "\n".join([shown, "$ head -11 accounts.yaml", *head])


#: The accounts of the city's coverage shown in registry.md: one of each way of filing.
CITY_SELECTION = ("wechat-bjwx000bj ", "wechat-gh_000000000032 ", "wechat-001 ", "wechat-006 ",
                  "weibo-2710100013 ", "weibo-001 ", "weibo-007 ", "app-001 ", "douyin-bjdy000bj ")


def city_coverage(session: Session) -> str:
    shown = city(session).show(["registry", "coverage", "accounts.yaml"]).split("\n")
    blank = shown.index("")
    picked = [line for line in shown[1:blank] if any(account in line for account in CITY_SELECTION)]
    return "\n".join([shown[0], *picked, "...", *shown[blank:]])


def first_hit(session: Session, rule: str) -> str:
    """The latest run's first content hit of RULE, as its JSON document gives it."""
    done = session.run(["judge", "latest", "--format", "json"])
    hits = [hit for account in json.loads(done.stdout)["accounts"] for hit in account["content_hits"]
            if hit["rule"] == rule]
    return json.dumps(hits[0], ensure_ascii=False, indent=2)


def wanted() -> list[str]:
    """The transcript names the documents use, each once, in the order they must run."""
    names: list[str] = []
    for path in documents():
        for match in BLOCK.finditer(path.read_text(encoding="utf-8")):
            name = match.group("name")
            if name not in TRANSCRIPTS and not name.startswith("help-"):
                raise SystemExit(f"{path.relative_to(ROOT)}: unknown transcript {name!r}")
            if name not in names:
                names.append(name)
    order = list(TRANSCRIPTS)
    return sorted(names, key=lambda n: order.index(n) if n in order else len(order))


def produce(names: list[str]) -> dict[str, str]:
    """Run the commands behind NAMES in a scratch folder; name -> the block's text."""
    if any(name in TRANSCRIPTS and name != "demo" for name in names) and "demo" not in names:
        names = ["demo", *names]  # the other commands read the demo run's database
    with tempfile.TemporaryDirectory(prefix="nmaudit-transcripts-") as scratch:
        session = Session.create(Path(scratch))
        texts = {}
        for name in names:
            if name.startswith("help-"):
                texts[name] = session.help(name.removeprefix("help-").split("-"))
            else:
                texts[name] = TRANSCRIPTS[name](session)
    blocks = {}
    for name, text in texts.items():
        language, text = text if isinstance(text, tuple) else ("console", text)
        blocks[name] = f"```{language}\n{text}\n```\n"
    return blocks


def rewritten(text: str, blocks: dict[str, str]) -> str:
    return BLOCK.sub(lambda m: m.group(1) + blocks[m.group("name")] + m.group(4), text)


def differences(blocks: dict[str, str] | None = None) -> list[str]:
    """A unified diff per document whose transcripts differ from what the commands print today."""
    blocks = blocks if blocks is not None else produce(wanted())
    diffs = []
    for path in documents():
        before = path.read_text(encoding="utf-8")
        after = rewritten(before, blocks)
        if after != before:
            name = str(path.relative_to(ROOT))
            diffs.append("".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                                      f"{name} (documented)", f"{name} (today)")))
    return diffs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when a transcript is out of date")
    check = parser.parse_args().check
    blocks = produce(wanted())
    if check:
        diffs = differences(blocks)
        sys.stdout.write("".join(diffs))
        if diffs:
            print(f"{len(diffs)} file(s) out of date: run `make transcripts`", file=sys.stderr)
        return 1 if diffs else 0
    for path in documents():
        before = path.read_text(encoding="utf-8")
        after = rewritten(before, blocks)
        if after != before:
            path.write_text(after, encoding="utf-8")
            print(f"rewrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
