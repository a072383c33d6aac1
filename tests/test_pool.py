"""A pool of remote browsers: local `playwright run-server` processes driving the project's own
Chromium, auditing emulated registries. Results match a local run; a server killed mid-run
loses and duplicates nothing; all killed, --resume finishes the run."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import json
from urllib.parse import urlsplit
import os
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Optional

import pytest

from nmaudit.audit import RECORD_BESIDE_SNAPSHOTS, AuditOptions, Progress, Scheduler, audit_accounts, resume_run
from nmaudit.browser import BrowserOptions, HostPacer
from nmaudit.dates import now
from nmaudit.errors import RunInterrupted, UsageError
from nmaudit.models import Account, Extract, Extractor, Policy
from nmaudit.pool import Endpoint, merge_hars, playwright_proxy, read_endpoints_file
from nmaudit.registry import Registry, load_registry
from nmaudit.store import Store
from tests.browser_servers import BrowserServer, project_chromium
from tests.demo_site import ROOT, demo_site
from tests.emulator import Emulator, Reply


def in_thread(factory: Callable[[], Any]) -> Any:
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(factory())).result()


def pool_options(emulator: Optional[Emulator], folder: Path, endpoints: list[str], pages: int = 2,
                 **browser: Any) -> AuditOptions:
    """Audit through `endpoints`; without an emulator, every host resolves to a closed port (replay)."""
    settings: dict[str, Any] = {"pace": 0.0, "retries": 2, "backoff": 0.05, "timeout": 8.0,
                                "remote_executable": project_chromium(), "connect_timeout": 10.0}
    settings.update(browser)
    return AuditOptions(
        db=str(folder / "nmaudit.db"), snapshots=str(folder / "snapshots"), concurrency=pages,
        browser=BrowserOptions(browser_args=emulator.browser_args if emulator else
                               ["--host-resolver-rules=MAP * 127.0.0.1:9"], **settings),
        endpoints=[Endpoint(url) for url in endpoints], pages_per_endpoint=pages,
    )


def judged(result) -> dict[str, tuple[str, list[str]]]:
    return {item.account.id: (item.judgement.verdict, [f.code for f in item.judgement.findings])
            for item in result.results}


def evidence_is_whole(result) -> None:
    """Every account's folder holds exactly the files its observation names: nothing left over
    from an attempt on a browser that died."""
    for item in result.results:
        named = {Path(path).resolve() for path in item.observation.evidence}
        folder = Path(item.observation.evidence[-1]).parent
        present = {path.resolve() for path in folder.iterdir()}
        assert present == named, (item.account.id, sorted(p.name for p in present ^ named))


# -- without a browser ------------------------------------------------------------------------------


def test_the_endpoints_file_names_the_line_and_why(tmp_path):
    good = tmp_path / "endpoints.txt"
    good.write_text("# the night pool\nws://10.0.0.11:3000/ pages=4\n\nwss://b.example:443/pw  # second\n"
                    "ws://10.0.0.13:3000/ proxy=http://10.0.9.1:3128\n", encoding="utf-8")
    assert read_endpoints_file(str(good)) == [
        Endpoint("ws://10.0.0.11:3000/", pages=4), Endpoint("wss://b.example:443/pw"),
        Endpoint("ws://10.0.0.13:3000/", proxy="http://10.0.9.1:3128")]
    for line, why in [("http://10.0.0.11:3000/", "not a browser server address"),
                      ("ws://10.0.0.11:3000/ pages=0", "pages=0"),
                      ("ws://10.0.0.11:3000/ workers=3", "expected pages=N or proxy=URL"),
                      ("ws://10.0.0.11:3000/ proxy=http://me:secret@10.0.9.1:3128", "NMAUDIT_PROXY_USERNAME")]:
        bad = tmp_path / "bad.txt"
        bad.write_text(f"ws://10.0.0.10:3000/\n{line}\n", encoding="utf-8")
        with pytest.raises(UsageError) as error:
            read_endpoints_file(str(bad))
        assert f"{bad}, line 2: " in str(error.value) and why in str(error.value)
        assert "secret" not in str(error.value)


def test_proxy_credentials_come_from_the_environment():
    assert playwright_proxy("http://10.0.9.1:3128", {}) == {"server": "http://10.0.9.1:3128"}
    assert playwright_proxy("http://10.0.9.1:3128", {"NMAUDIT_PROXY_USERNAME": "audit",
                                                     "NMAUDIT_PROXY_PASSWORD": "s3cret"}) == {
        "server": "http://10.0.9.1:3128", "username": "audit", "password": "s3cret"}


def web_account(key: str, host: str) -> Account:
    return Account(id=key, name="宝鸡发布", platform="web", owner="宝鸡市人民政府新闻办公室",
                   urls=[f"https://{host}/profile"], extract=Extract(name=Extractor(css="h1")))


def test_a_wall_or_cool_down_on_one_endpoint_leaves_its_accounts_to_the_others():
    async def scenario() -> None:
        first, second = HostPacer(0.5), HostPacer(0.5)
        walled = [web_account(f"w{n}", "weixin.sogou.com") for n in range(2)]
        other = [web_account("o1", "www.baoji.gov.cn")]
        scheduler = Scheduler(walled + other, first)
        first.halt("weixin.sogou.com", "验证码", [])
        # The halted endpoint takes what it can still do, then leaves the walled host to the other.
        assert scheduler.take_for(first, [second]).id == "o1"
        assert isinstance(scheduler.take_for(first, [second]), float)
        assert scheduler.take_for(second, [first]).id == "w0"
        # Walled everywhere: the account is taken (and kept from the source, for --resume).
        second.halt("weixin.sogou.com", "验证码", [])
        assert scheduler.take_for(first, [second]).id == "w1"
        # A cool-down (a rate limit's back-off) on one endpoint sends its host's accounts elsewhere.
        cooled = Scheduler([web_account("c1", "m.weibo.cn")], first)
        first.cool_down("m.weibo.cn", 30)
        assert isinstance(cooled.take_for(first, [second]), float)
        assert cooled.take_for(second, [first]).id == "c1"
        # Nothing left, nothing in flight: the end.
        for _ in range(3):
            scheduler.done()
        cooled.done()
        assert scheduler.take_for(first, [second]) is None and cooled.take_for(first, []) is None

    in_thread(scenario)


def test_merged_hars_keep_every_entry_in_time_order(tmp_path):
    def har(name: str, entries: list[tuple[str, str]], downloads: list[str]) -> str:
        path = tmp_path / name
        path.write_text(json.dumps({"log": {"version": "1.2", "pages": [], "_nmaudit": {
            "as_of": "2026-11-26T08:00:00+08:00", "downloads": downloads}, "entries": [
            {"startedDateTime": started, "request": {"url": url}, "response": {}} for url, started in entries]}}))
        return str(path)

    parts = [har("run.e1.har", [("https://a/1", "2026-11-26T00:00:02Z")], ["https://a/app.apk"]),
             har("run.e2.har", [("https://b/1", "2026-11-26T00:00:01Z"), ("https://b/2", "2026-11-26T00:00:03Z")], []),
             str(tmp_path / "run.e3.har")]  # an endpoint that died before writing its part
    merged = merge_hars(parts, str(tmp_path / "run.har"))
    log = json.loads(Path(merged).read_text())["log"]
    assert [e["request"]["url"] for e in log["entries"]] == ["https://b/1", "https://a/1", "https://b/2"]
    assert log["_nmaudit"] == {"as_of": "2026-11-26T08:00:00+08:00", "downloads": ["https://a/app.apk"]}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.har"]


# -- through browser servers ---------------------------------------------------------------------------

@pytest.fixture()
def servers(request) -> list[BrowserServer]:
    count = getattr(request, "param", 2)
    started = [BrowserServer().start() for _ in range(count)]
    yield started
    for server in started:
        server.thaw()
        server.kill()


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("servers", [3], indirect=True)
def test_a_pool_judges_records_and_replays_as_the_local_browser_does(servers, tmp_path):
    reference = now()
    registry = load_registry(str(ROOT / "accounts.yaml"))
    with Emulator() as emulator:
        demo_site(emulator, reference)
        local = AuditOptions(db=str(tmp_path / "local.db"), snapshots=str(tmp_path / "local"), concurrency=4,
                             as_of=reference,
                             browser=BrowserOptions(browser_args=emulator.browser_args, pace=0.0, backoff=0.05))
        alone = in_thread(lambda: audit_accounts(registry, registry.accounts, local, Store(local.db)))
        options = pool_options(emulator, tmp_path, [server.url for server in servers],
                               record_har=RECORD_BESIDE_SNAPSHOTS)
        options.as_of = reference
        pooled = in_thread(lambda: audit_accounts(registry, registry.accounts, options, Store(options.db)))
    assert judged(pooled) == judged(alone)
    assert len(judged(pooled)) == len(registry.accounts)
    evidence_is_whole(pooled)
    # Screenshots and bodies came back over the protocol and landed here, with the coordinator.
    shots = [path for item in pooled.results for path in item.observation.evidence if path.endswith(".jpg")]
    assert len(shots) >= len(registry.accounts) and all(Path(path).stat().st_size > 1000 for path in shots)
    stored = Store(options.db).run_row(pooled.run.id)
    assert stored["browser"].count("Chromium") == 3 and all(s.url in stored["browser"] for s in servers)
    # One HAR of the whole run, whichever endpoint fetched what; replayed through the pool.
    folder = Path(options.snapshots) / pooled.run.id
    assert sorted(path.name for path in folder.glob("*.har")) == ["run.har"]
    (tmp_path / "replay").mkdir()
    replay = pool_options(None, tmp_path / "replay", [server.url for server in servers[:2]],
                          replay_har=str(folder / "run.har"))
    replayed = in_thread(lambda: audit_accounts(registry, registry.accounts, replay, Store(replay.db)))
    assert judged(replayed) == judged(alone)


def slow_site(emulator: Emulator, count: int, delay: float = 0.4) -> list[Account]:
    """`count` healthy sites, each answering after `delay` seconds (so accounts are in flight)."""
    newest = now() - timedelta(hours=3)
    posts = "".join(f'<li data-ts="{int((newest - timedelta(days=d)).timestamp())}">第{d}条</li>' for d in range(5))
    page = f"<!DOCTYPE html><html><head><meta charset=utf-8><title>宝鸡发布</title></head><body><h1>宝鸡发布</h1><ul>{posts}</ul></body></html>"

    def answer(request) -> Reply:
        time.sleep(delay)
        return Reply(body=page)

    accounts = []
    for n in range(count):
        url = f"https://site-{n}.pool.example.gov.cn/profile"
        emulator.add(url, answer)
        accounts.append(Account(id=f"site-{n:02d}", name="宝鸡发布", platform="web", owner="宝鸡市人民政府新闻办公室",
                                urls=[url], extract=Extract(name=Extractor(css="h1"),
                                                            posts=Extractor(css="li", attr="data-ts", format="%s"))))
    return accounts


def once_each(result, accounts: list[Account], store: Store) -> None:
    ids = [item.account.id for item in result.results]
    assert sorted(ids) == sorted(account.id for account in accounts)  # none lost, none twice
    assert {item.judgement.verdict for item in result.results} == {"pass"}, [
        (item.account.id, [f.message for f in item.judgement.findings]) for item in result.results
        if item.judgement.verdict != "pass"]
    rows = store.db.execute("select count(*), count(distinct account_id) from observations where run_id = ?",
                            [result.run.id]).fetchone()
    assert rows == (len(accounts), len(accounts))


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("servers", [3], indirect=True)
def test_an_endpoint_killed_mid_run_loses_nothing_and_duplicates_nothing(servers, tmp_path):
    with Emulator() as emulator:
        accounts = slow_site(emulator, 24)
        registry = Registry(path="pool.yaml", version=1, policy=Policy(), accounts=accounts, sha256="pool")
        options = pool_options(emulator, tmp_path, [server.url for server in servers])

        def finished(result) -> None:
            finished.count += 1
            if finished.count == 6:
                servers[0].kill()  # its browser dies under the accounts in flight there

        finished.count = 0
        result = in_thread(lambda: audit_accounts(registry, accounts, options, Store(options.db),
                                                  Progress(finished_account=finished)))
    assert not servers[0].alive
    once_each(result, accounts, Store(options.db))
    evidence_is_whole(result)
    assert Store(options.db).run_status(result.run.id) == "finished"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("servers", [2], indirect=True)
def test_all_endpoints_killed_stops_cleanly_and_resume_finishes(servers, tmp_path):
    with Emulator() as emulator:
        accounts = slow_site(emulator, 16)
        registry = Registry(path="pool.yaml", version=1, policy=Policy(), accounts=accounts, sha256="pool")
        options = pool_options(emulator, tmp_path, [server.url for server in servers])

        def finished(result) -> None:
            finished.count += 1
            if finished.count == 4:
                for server in servers:
                    server.kill()

        finished.count = 0
        with pytest.raises(RunInterrupted) as stopped:
            in_thread(lambda: audit_accounts(registry, accounts, options, Store(options.db),
                                             Progress(finished_account=finished)))
        message = str(stopped.value)
        assert "\n" not in message and f"nmaudit audit --resume {stopped.value.run_id}" in message
        assert "所有浏览器端点均已失去连接" in message
        store = Store(options.db)
        assert store.run_status(stopped.value.run_id) == "running"
        kept = store.finished_accounts(stopped.value.run_id)
        assert 4 <= len(kept) < len(accounts)
        with BrowserServer() as fresh:
            again = pool_options(emulator, tmp_path, [fresh.url])
            resumed = in_thread(lambda: resume_run(stopped.value.run_id, again, Store(again.db)))
    once_each(resumed, accounts, Store(options.db))
    evidence_is_whole(resumed)
    assert Store(options.db).run_status(resumed.run.id) == "finished"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("servers", [2], indirect=True)
def test_an_endpoint_that_stops_answering_has_its_accounts_done_by_the_others(servers, tmp_path):
    """SIGSTOP: the server's connection stays open but nothing answers (a frozen host)."""
    with Emulator() as emulator:
        accounts = slow_site(emulator, 12)
        registry = Registry(path="pool.yaml", version=1, policy=Policy(), accounts=accounts, sha256="pool")
        options = pool_options(emulator, tmp_path, [server.url for server in servers], timeout=4.0,
                               connect_timeout=4.0)

        def finished(result) -> None:
            finished.count += 1
            if finished.count == 3:
                servers[0].freeze()

        finished.count = 0
        started = time.monotonic()
        result = in_thread(lambda: audit_accounts(registry, accounts, options, Store(options.db),
                                                  Progress(finished_account=finished)))
        elapsed = time.monotonic() - started
    once_each(result, accounts, Store(options.db))
    evidence_is_whole(result)
    assert elapsed < 90, f"{elapsed:.0f}s"


def nmaudit(*args: str, cwd: Path) -> "subprocess.CompletedProcess[str]":
    return subprocess.run([sys.executable, "-m", "nmaudit", *args], capture_output=True, text=True, timeout=300,
                          cwd=cwd, env=dict(os.environ, NO_COLOR="1"))


def test_the_cli_refuses_a_bad_endpoint_and_names_an_unreachable_one(tmp_path):
    registry = str(ROOT / "accounts.yaml")
    bad = nmaudit("audit", registry, "--browser-endpoint", "http://10.0.0.11:3000/", cwd=tmp_path)
    assert bad.returncode == 2 and "not a browser server address" in bad.stderr
    endpoints = tmp_path / "endpoints.txt"
    endpoints.write_text("ws://127.0.0.1:9/ pages=three\n", encoding="utf-8")
    bad = nmaudit("audit", registry, "--endpoints-file", str(endpoints), cwd=tmp_path)
    assert bad.returncode == 2 and f"{endpoints}, line 1: pages=three" in bad.stderr
    gone = nmaudit("audit", registry, "--browser-endpoint", "ws://127.0.0.1:9/", "--replay",
                   str(ROOT / "snapshots" / "sample.har"), cwd=tmp_path)
    assert gone.returncode == 3, gone.stderr
    assert "browser endpoint ws://127.0.0.1:9/" in gone.stderr and "Traceback" not in gone.stderr
    # No run was started: nothing to resume, nothing half-written.
    assert Store(tmp_path / "nmaudit.db").db["runs"].count == 0


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("servers", [2], indirect=True)
def test_the_sample_capture_replayed_through_two_servers_judges_as_documented(servers, tmp_path):
    from tests.test_demo import EXPECTED

    done = nmaudit("audit", str(ROOT / "accounts.yaml"), "--replay", str(ROOT / "snapshots" / "sample.har"),
                   "--format", "json", "--browser-arg=--host-resolver-rules=MAP * 127.0.0.1:9",
                   *[f"--browser-endpoint={server.url}" for server in servers],
                   "--pages-per-endpoint", "3", "--endpoint-executable", project_chromium(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert {a["id"]: (a["verdict"], [f["code"] for f in a["findings"]]) for a in document["accounts"]} == EXPECTED


class TunnelProxy:
    """An HTTP proxy on localhost that asks for Basic credentials, then tunnels each CONNECT
    to the emulator (whatever host it names) and notes the host and the credentials given."""

    def __init__(self, emulator: Emulator):
        import socket
        import threading

        self.emulator, self.tunnels, self.refused = emulator, [], 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.threading = threading
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client) -> None:
        import base64
        import socket

        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                client.close()
                return
            head += chunk
        lines = head.decode("latin-1").split("\r\n")
        target = lines[0].split()[1]
        given = next((line.split(":", 1)[1].strip() for line in lines[1:]
                      if line.lower().startswith("proxy-authorization:")), "")
        credentials = base64.b64decode(given.split()[-1]).decode() if given else ""
        if credentials != "audit:s3cret":
            self.refused += 1
            client.sendall(b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="p"\r\n'
                           b"Content-Length: 0\r\n\r\n")
            client.close()
            return
        self.tunnels.append(target)
        upstream = socket.create_connection(("127.0.0.1", self.emulator.port))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(source, sink) -> None:
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass
            finally:
                for end in (source, sink):
                    try:
                        end.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        self.threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        pipe(client, upstream)

    def close(self) -> None:
        self.listener.close()


@pytest.mark.browser
def test_a_proxy_per_platform_carries_that_platform_s_accounts_only(tmp_path, monkeypatch):
    monkeypatch.setenv("NMAUDIT_PROXY_USERNAME", "audit")
    monkeypatch.setenv("NMAUDIT_PROXY_PASSWORD", "s3cret")
    with Emulator() as emulator:
        proxy = TunnelProxy(emulator)
        accounts = slow_site(emulator, 6, delay=0.0)
        for account in accounts[:3]:
            account.site = "toutiao"  # read by its extract rules; routed as Toutiao
        registry = Registry(path="pool.yaml", version=1, policy=Policy(), accounts=accounts, sha256="pool")
        options = pool_options(emulator, tmp_path, [], pages=2, record_har=str(tmp_path / "run.har"))
        options.platform_proxies = {"toutiao": f"http://localhost:{proxy.port}"}
        result = in_thread(lambda: audit_accounts(registry, accounts, options, Store(options.db)))
        proxy.close()
        direct = {request.host for request in emulator.requests}
    once_each(result, accounts, Store(options.db))
    # Toutiao's accounts went out through the proxy (credentials given), the others directly.
    assert {target.split(":")[0] for target in proxy.tunnels} == {f"site-{n}.pool.example.gov.cn" for n in range(3)}
    assert direct >= {f"site-{n}.pool.example.gov.cn" for n in range(6)}
    row = Store(options.db).run_row(result.run.id)
    assert "经代理 http://localhost:" in row["browser"] and "s3cret" not in json.dumps(row, ensure_ascii=False)
    # Two browsers, one HAR of the whole run.
    har = json.loads((tmp_path / "run.har").read_text(encoding="utf-8"))
    assert {urlsplit(entry["request"]["url"]).hostname for entry in har["log"]["entries"]} == {
        f"site-{n}.pool.example.gov.cn" for n in range(6)}


def test_a_bad_proxy_option_is_a_usage_error_before_anything_runs(tmp_path):
    registry = Path(__file__).resolve().parents[1] / "accounts.yaml"
    for args, why in ((["--proxy", "weixin=http://10.0.9.1:3128"], "unknown platform 'weixin'"),
                      (["--proxy", "weibo=http://10.0.9.1:3128", "--proxy", "weibo=http://10.0.9.2:3128"],
                       "two proxies for weibo"),
                      (["--proxy", "http://10.0.9.1:3128", "--proxy", "http://10.0.9.2:3128"], "one proxy for every")):
        done = nmaudit("audit", str(registry), "--db", str(tmp_path / "n.db"), *args, cwd=tmp_path)
        assert done.returncode == 2 and why in done.stderr and "Traceback" not in done.stderr, done.stderr
    if (tmp_path / "n.db").exists():
        assert Store(str(tmp_path / "n.db")).db["runs"].count == 0


def test_proxy_options_name_a_platform_or_none():
    from nmaudit.audit import PROXY_ROUTES
    from nmaudit.pool import split_proxy_option

    assert split_proxy_option("http://10.0.9.1:3128", PROXY_ROUTES) == (None, "http://10.0.9.1:3128")
    assert split_proxy_option("weibo=socks5://10.0.9.2:1080", PROXY_ROUTES) == ("weibo", "socks5://10.0.9.2:1080")
    assert split_proxy_option("Douyin=http://10.0.9.3:3128", PROXY_ROUTES) == ("douyin", "http://10.0.9.3:3128")
    for value, why in (("weixin=http://10.0.9.1:3128", "unknown platform 'weixin'"),
                       ("weibo=ftp://10.0.9.1", "not a proxy address"),
                       ("weibo=http://me:pw@10.0.9.1:3128", "NMAUDIT_PROXY_USERNAME")):
        with pytest.raises(ValueError, match=why):
            split_proxy_option(value, PROXY_ROUTES)


@pytest.mark.browser
@pytest.mark.parametrize("servers", [1], indirect=True)
def test_an_endpoint_with_its_own_proxy_sends_through_it_with_credentials_from_the_environment(
        servers, tmp_path, monkeypatch):
    monkeypatch.setenv("NMAUDIT_PROXY_USERNAME", "audit")
    monkeypatch.setenv("NMAUDIT_PROXY_PASSWORD", "s3cret")
    with Emulator() as emulator:
        proxy = TunnelProxy(emulator)
        accounts = slow_site(emulator, 6, delay=0.0)
        registry = Registry(path="pool.yaml", version=1, policy=Policy(), accounts=accounts, sha256="pool")
        options = pool_options(emulator, tmp_path, [], pages=3)
        options.endpoints = [Endpoint(servers[0].url, proxy=f"http://localhost:{proxy.port}")]
        result = in_thread(lambda: audit_accounts(registry, accounts, options, Store(options.db)))
        through_endpoint = {target.split(":")[0] for target in proxy.tunnels}
        # --proxy for the local browser: the same, without an endpoint.
        proxy.tunnels.clear()
        local = AuditOptions(db=str(tmp_path / "local.db"), snapshots=str(tmp_path / "local"), concurrency=3,
                             browser=BrowserOptions(browser_args=emulator.browser_args, pace=0.0,
                                                    proxy=playwright_proxy(f"http://localhost:{proxy.port}")))
        alone = in_thread(lambda: audit_accounts(registry, accounts, local, Store(local.db)))
        proxy.close()
    hosts = {f"site-{n}.pool.example.gov.cn" for n in range(6)}
    once_each(result, accounts, Store(options.db))
    once_each(alone, accounts, Store(local.db))
    # Every account's host went through the proxy, credentials given; none of them in the run's options.
    assert through_endpoint == hosts and {target.split(":")[0] for target in proxy.tunnels} == hosts
    assert "s3cret" not in json.dumps(Store(options.db).run_row(result.run.id), ensure_ascii=False)


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("servers", [2], indirect=True)
def test_a_captcha_wall_stops_sogou_on_its_endpoint_only(servers, tmp_path):
    """Sogou walls off one egress (one search answered with its antispider page): that endpoint
    asks Sogou nothing more, the other endpoint searches for the rest; on one machine every
    account after the wall would have waited for --resume."""
    from tests.test_wechat import AS_OF, ago, wechat_account
    from tests.wechat_site import SogouAccount, WechatSite, sogou_wall

    with Emulator() as emulator:
        site = WechatSite(emulator)
        counties = ["太白", "凤翔", "岐山", "扶风", "眉县", "千阳"]
        for county in counties:
            unit = f"宝鸡市{county}人民政府办公室"
            site.sogou_results(f"{county}政务", [SogouAccount(f"{county}政务", unit, ago(2), f"wall{len(county)}")])
        accounts = [wechat_account(f"wall-{index}", [], name=f"{county}政务", owner=f"宝鸡市{county}人民政府办公室",
                                   certified_as=f"宝鸡市{county}人民政府办公室", policy={})
                    for index, county in enumerate(counties)]
        searches: list[str] = []

        def sogou(request) -> Reply:
            searches.append(request.query.get("query", ""))
            query = request.query.get("query", "")
            return sogou_wall(query) if len(searches) == 3 else site.sogou[query]

        emulator.add("https://weixin.sogou.com/weixin", sogou)
        registry = Registry(path="pool.yaml", version=1, policy=Policy(), accounts=accounts, sha256="pool")
        options = pool_options(emulator, tmp_path, [server.url for server in servers], pages=1)
        options.as_of = AS_OF
        result = in_thread(lambda: audit_accounts(registry, accounts, options, Store(options.db)))
    verdicts = {item.account.id: item.judgement.verdict for item in result.results}
    walled = [account_id for account_id, verdict in verdicts.items() if verdict == "review"]
    assert len(walled) == 1 and list(verdicts.values()).count("pass") == 5, verdicts
    assert Store(options.db).deferred_accounts(result.run.id) == set(walled)
    assert len(searches) == 6  # one search each: the walled endpoint asked nothing after its wall
