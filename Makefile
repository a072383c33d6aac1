# Two commands do everything from a fresh clone: `make demo` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
DOCS_STAMP = $(VENV)/.docs-$(shell cksum < pyproject.toml | cut -d' ' -f1)

.PHONY: setup browser demo test bench bench-pool bench-city soak bench-content bench-schedule sample screenshot mutate docs transcripts clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

# A Python environment, a Chromium that starts, and CJK fonts for legible screenshots.
setup: $(STAMP) browser

browser: $(STAMP)
	$(VENV)/bin/nmaudit install

# Audit the sample registry against the sample capture, offline.
demo: setup
	$(VENV)/bin/nmaudit audit accounts.yaml --replay snapshots/sample.har

# The whole suite, offline, in headless Chromium (the docs extra too: the site's build is a test).
test: setup $(DOCS_STAMP)
	$(PY) -m pytest -q

# nmaudit against a naive Playwright loop, N synthetic Weibo accounts served locally; EXE=PATH: another Chromium.
bench: setup
	$(PY) -m bench.run --accounts $(or $(N),200) $(if $(EXE),--executable $(EXE))

# The browser pool: K local browser servers (default 3) against one, default host pacing, N accounts
# on one host behind the visitor wall (three paced requests each); the last line is the ratio of
# accounts per second once the browsers are up.
bench-pool: setup
	$(PY) -m bench.run --endpoints $(or $(K),3) --accounts $(or $(N),90)

# Memory over a long run: N synthetic accounts (default 5,000), memory sampled throughout; fails
# when the last quarter's median is more than 10% above the second quarter's.
soak: setup
	$(PY) -m bench.run --soak --accounts $(or $(N),5000) $(if $(EXE),--executable $(EXE))
# A city's night: the 125-account city export audited offline against emulated platforms that wall,
# rate-limit and mislead as the real ones do, every verdict against the truth (docs/city-bench.md).
# Sogou's pace is scaled by SCALE (default 0.1), the emulated Sogou's patience with it; QUICK=1: fewer accounts.
bench-city: setup
	$(PY) -m bench.city $(if $(SCALE),--scale $(SCALE)) $(if $(QUICK),--quick)

# Content screening: a million characters against a 10,000-entry dictionary, Aho–Corasick against str.find.
bench-content: setup
	$(PY) -m bench.content

# Mutation testing of the judging, the warning stages and the personal-information checks, in a
# copy of the tree (.mutate/); fails when a mutant survives. Tens of minutes: not part of `make test`.
mutate: setup
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[mutate]'
	$(PY) -m dev.mutate $(T)

# Due checks against a daily full audit: N synthetic accounts (default 10,000) in a province's
# platform mix over DAYS simulated days (default 90), platforms emulated in-process, 3 egresses,
# --budget sogou=500 per egress and night; fails when a warning or failure is late or missed,
# when due checks use more than 1/5 of the full audit's requests, or when a night passes 8 hours.
bench-schedule: setup
	$(PY) -m bench.schedule --accounts $(or $(N),10000) --days $(or $(DAYS),90)

# Re-record snapshots/sample.har from the test fixtures.
sample: setup
	$(PY) -m tests.demo_site

# docs/report.png, docs/review.png and docs/overview.png: the demo run's report, review page and 总览, in headless Chromium.
screenshot: setup
	$(PY) docs/screenshot.py
	$(PY) docs/queue_screenshot.py

# The documentation site in site/: MkDocs + Material from the `docs` extra; offline, and broken
# links or anchors fail the build.
$(DOCS_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test,docs]'
	rm -f $(VENV)/.docs-*
	touch $@

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Rewrite the transcripts in README.md and docs/ from what today's code prints (tests/test_docs.py checks them).
transcripts: setup
	$(PY) docs/transcripts.py

clean:
	rm -rf $(VENV) nmaudit.db nmaudit.db-* snapshots/*/ site/
