"""Mutation testing of the code a false verdict would come from: the judging rules, the warning
stages and the personal-information checks (`make mutate`).

mutmut (2.x: it mutates module-level tables too, such as the ID check characters) changes one
thing at a time in a copy of the working tree (never the tree itself) and runs the tests that
cover that module; a mutant the tests do not notice "survives". A line may opt out with
`# pragma: no mutate` only with a comment on the same line saying why (an equivalent mutant, a
message's wording). The run fails when any mutant survives; `--list` shows them with their diff.

    python -m dev.mutate                 # every target
    python -m dev.mutate nmaudit/rules.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Where the copy lives (git-ignored); kept between runs so mutmut's cache spares unchanged work.
WORK = ROOT / ".mutate"
#: Module -> the tests that must notice any change to it (offline, no browser: seconds a run).
TARGETS: dict[str, list[str]] = {
    "nmaudit/rules.py": ["tests/test_rules.py", "tests/test_rules_indicators.py", "tests/test_review.py",
                         "tests/test_output.py"],
    "nmaudit/alerts.py": ["tests/test_alerts.py"],
    "nmaudit/personal.py": ["tests/test_personal.py"],
}


def copy_tree() -> None:
    """The working tree's tracked files (as they are now, edits included) into WORK."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    wanted = {name for name in listed.decode().split("\0") if name}
    WORK.mkdir(exist_ok=True)
    for name in sorted(wanted):
        source, target = ROOT / name, WORK / name
        if not source.exists():
            continue
        if target.exists() and target.read_bytes() == source.read_bytes():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def mutmut(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=WORK, env=env, text=True,
                          capture_output=True)


def run(target: str, tests: list[str], env: dict[str, str]) -> list[str]:
    """Mutate `target`; the surviving mutants' ids."""
    runner = f"{sys.executable} -m pytest -x -q -p no:randomly -p no:cacheprovider -m 'not browser' {' '.join(tests)}"
    started = time.monotonic()
    done = mutmut("run", "--paths-to-mutate", target, "--runner", runner, "--tests-dir", "tests",
                  "--no-progress", "--simple-output", env=env)
    if done.returncode & 1:
        sys.exit(f"mutmut failed on {target}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    results = mutmut("results", env=env).stdout
    survivors = _ids(results, "Survived")
    timeouts = _ids(results, "Timed out")
    ours = [m for m in survivors + timeouts if target in _path_of(m, env)]
    print(f"{target}: {len(ours)} surviving ({time.monotonic() - started:.0f} s)", flush=True)
    return ours


def _ids(results: str, heading: str) -> list[str]:
    """Mutant ids listed under a heading of `mutmut results`."""
    ids: list[str] = []
    section = False
    for line in results.splitlines():
        if line.startswith(("Survived", "Timed out", "Suspicious", "Untested", "Killed")):
            section = line.startswith(heading)
            continue
        if section:
            for part in line.replace(",", " ").split():
                if part.isdigit():
                    ids.append(part)
                elif "-" in part and all(p.isdigit() for p in part.split("-")):
                    first, last = part.split("-")
                    ids.extend(str(n) for n in range(int(first), int(last) + 1))
    return ids


def _path_of(mutant: str, env: dict[str, str]) -> str:
    return mutmut("show", mutant, env=env).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", help="modules to mutate (default: all of them)")
    parser.add_argument("--list", action="store_true", help="show each survivor's diff")
    args = parser.parse_args()
    targets = args.targets or list(TARGETS)
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        parser.error(f"not a mutation target: {', '.join(unknown)} (targets: {', '.join(TARGETS)})")
    copy_tree()
    # The copy's package, not the editable install of the working tree.
    # No bytecode: a mutant of the same size written within the same second as the last one
    # would otherwise be run from the stale cached .pyc, and "survive".
    env = dict(os.environ, PYTHONPATH=str(WORK), NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    for cache in WORK.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    survived: dict[str, list[str]] = {}
    for target in targets:
        shutil.rmtree(WORK / ".mutmut-cache", ignore_errors=True)
        (WORK / ".mutmut-cache").unlink(missing_ok=True)
        survived[target] = run(target, TARGETS[target], env)
        if args.list or survived[target]:
            for mutant in survived[target]:
                print(mutmut("show", mutant, env=env).stdout)
    total = sum(len(ids) for ids in survived.values())
    print(f"surviving mutants: {total}" + ("" if total else " — every mutant was noticed by the tests"))
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
