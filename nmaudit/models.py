"""Typed records shared by every layer: the registry, what was observed, what was judged."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional, Sequence

from pydantic import BaseModel, ConfigDict, Field

PLATFORMS = ("wechat", "weibo", "app", "web")
Platform = Literal["wechat", "weibo", "app", "web"]

#: What staff read: platform types as inspection notices name them.
PLATFORM_LABELS = {"wechat": "微信", "weibo": "微博", "app": "移动客户端", "web": "其他"}

Verdict = Literal["pass", "fail", "review"]
VERDICT_LABELS = {"pass": "合格", "fail": "不合格", "review": "待复核"}

Severity = Literal["veto", "warn", "review"]
SEVERITY_LABELS = {"veto": "否决", "warn": "警告", "review": "待复核"}

#: How the problems are named in inspection notices.
FINDING_LABELS: dict[str, str] = {
    "stale-14d": "2周内未更新",
    "stale-7d": "超过7天未更新",
    "no-interaction": "未提供有效互动功能",
    "account-gone": "账号已注销或被屏蔽",
    "app-unavailable": "客户端无法下载",
    "name-mismatch": "名称变更未报备",
    "certification-mismatch": "认证主体变更未报备",
    "blocked": "访问受限，需人工核查",
    "unreachable": "无法访问，需人工核查",
    "unparsed": "页面无法解析，需人工核查",
    "unsupported": "暂不支持自动检查",
    "update-unverified": "无法确认最新发布时间",
    "not-found": "未找到报备的账号，需人工核查",
    "changed-since-last-run": "名称或认证主体较上次检查发生变化",
    "zombie": "僵尸账号（超过3个月未更新）",
}

#: Indicators an adapter may be able to check (inspection-rules.md).
Indicator = Literal["update", "interaction", "name", "certification", "availability"]
INDICATOR_LABELS = {
    "update": "内容更新", "interaction": "互动功能", "name": "账号名称", "certification": "认证主体",
    "availability": "可下载可用", "account": "账号状态",
}
#: The order indicators are shown in.
INDICATOR_ORDER = ("account", "update", "interaction", "availability", "name", "certification")
#: Indicators whose violation is a veto (单项否决): the ones a verdict needs proven by default.
VETO_INDICATORS = ("account", "update", "interaction", "availability")

#: One indicator's state in one run (Judgement.indicators).
IndicatorState = Literal["pass", "warn", "fail", "unconfirmed", "unchecked"]
INDICATOR_STATE_LABELS = {
    "pass": "合格", "warn": "警告", "fail": "不合格", "unconfirmed": "未能确认", "unchecked": "未检查",
}


class Policy(BaseModel):
    """Idle-day thresholds; registry-wide, overridable per account."""

    model_config = ConfigDict(extra="forbid")

    warn_idle_days: int = Field(7, ge=1)
    fail_idle_days: int = Field(14, ge=1)
    #: Idle longer than this is a zombie account (僵尸账号: "more than 3 months idle").
    zombie_idle_days: int = Field(90, ge=1)
    #: Opt-in sources that rate-limit hard and are off by default ("sogou": Sogou WeChat search).
    sources: list[Literal["sogou"]] = Field(default_factory=list)
    #: Sogou WeChat search: auto = for WeChat accounts without a link or feed that lists their newest
    #: posts; always (also `sources: [sogou]`); never (e.g. where Sogou blocks the office's address).
    sogou: Literal["auto", "always", "never"] = "auto"
    #: Staged warnings (红黄蓝预警): 蓝 / 黄 / 红 when idle days exceed these lines; each must lie
    #: below fail_idle_days. None: the default line (nmaudit.alerts.DEFAULT_LINES), left out when
    #: it does not lie below fail_idle_days.
    blue_idle_days: Optional[int] = Field(None, ge=1)
    yellow_idle_days: Optional[int] = Field(None, ge=1)
    red_idle_days: Optional[int] = Field(None, ge=1)
    #: Failed runs in a row (this one included) that raise a 连续不合格 warning.
    alert_failed_runs: int = Field(3, ge=1)
    #: Indicators that must be proven for a 合格: one of these left 未能确认 makes the account
    #: 待复核. By default the veto indicators; a province may add name or certification.
    requires: list[Literal["update", "interaction", "name", "certification", "availability"]] = Field(
        default_factory=lambda: ["update", "interaction", "availability"])
    #: `audit --due`: days at most between two checks of an account's identity (name,
    #: certification, gone), whatever its posting makes due (nmaudit.due).
    identity_check_days: int = Field(7, ge=1)


class Extractor(BaseModel):
    """How to read one value from an arbitrary page (platform: web)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    css: Optional[str] = None  # elements to read (all matches)
    attr: Optional[str] = None  # read this attribute instead of the element's text
    regex: Optional[str] = None  # applied to what was read (or to the page source without css); group 1 if any
    format: Optional[str] = None  # strptime format for dates; default: the formats platforms print
    #: JMESPath into each answer the page loaded (Extract.loads); written `json` in the registry.
    query: Optional[str] = Field(default=None, alias="json")


class Extract(BaseModel):
    """Selectors for a page without a dedicated adapter (a county's app page, a site nmaudit has no
    adapter for; on a site with one, rules given take its place)."""

    model_config = ConfigDict(extra="forbid")

    name: Optional[Extractor] = None
    certification: Optional[Extractor] = None
    posts: Optional[Extractor] = None  # every match is a post date
    lists_newest: bool = True  # the page lists the newest posts (else its dates are a lower bound)
    #: URL patterns (regular expressions) of the page's own calls to keep; `json` rules read them.
    loads: list[str] = Field(default_factory=list)
    rendered: bool = False  # css and regex rules read the DOM after the page's scripts ran


#: Sites of platform "web" that registries name (抖音号, 头条号...): key -> what staff read.
SITES: dict[str, str] = {
    "douyin": "抖音", "toutiao": "今日头条", "kuaishou": "快手", "bilibili": "哔哩哔哩", "xiaohongshu": "小红书",
    "channels": "微信视频号", "baijiahao": "百家号", "netease": "网易号",
}

#: Identity fields of each platform (Account.ids), and what staff call them.
IDENTITY_LABELS: dict[str, str] = {
    "wechat_id": "微信号", "gh_id": "原始ID", "uid": "微博UID", "domain": "微博个性域名",
    "appstore_id": "App Store ID", "package": "安卓包名",
    **{site: f"{label}号" for site, label in SITES.items()},
}
IDENTITY_KEYS: dict[str, tuple[str, ...]] = {
    "wechat": ("wechat_id", "gh_id"), "weibo": ("uid", "domain"), "app": ("appstore_id", "package"),
    "web": tuple(SITES),
}


class Identities(BaseModel):
    """What a registry row files about an account besides links: its ids on the platform."""

    model_config = ConfigDict(extra="forbid")

    wechat_id: Optional[str] = None  # 微信号
    gh_id: Optional[str] = None  # 原始ID, gh_ and 12 hex digits
    uid: Optional[str] = None  # Weibo UID
    domain: Optional[str] = None  # Weibo 个性域名: weibo.com/<domain>
    appstore_id: Optional[str] = None  # digits of apps.apple.com/cn/app/id<N>
    package: Optional[str] = None  # Android package name
    douyin: Optional[str] = None  # 抖音号
    toutiao: Optional[str] = None  # 头条号
    kuaishou: Optional[str] = None  # 快手号
    bilibili: Optional[str] = None  # Bilibili mid
    xiaohongshu: Optional[str] = None  # 小红书号
    channels: Optional[str] = None  # 视频号
    baijiahao: Optional[str] = None  # 百家号
    netease: Optional[str] = None  # 网易号

    def filled(self) -> dict[str, str]:
        """The ids given, in declaration order."""
        return {key: value for key, value in self.model_dump().items() if value}


class Account(BaseModel):
    """One filed account, with defaults and policy already merged in."""

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    platform: Platform
    owner: str
    certified_as: Optional[str] = None
    region: Optional[str] = None
    urls: list[str] = Field(default_factory=list)  # optional when ids or (wechat, weibo, app) the name suffice
    ids: Identities = Field(default_factory=Identities)
    site: Optional[str] = None  # platform web: which site (SITES), when no id names it
    interaction: Optional[str] = None
    feed: Optional[str] = None  # RSS, Atom or JSON Feed of the account's posts (any platform)
    extract: Optional[Extract] = None  # platform: web only
    policy: Policy = Field(default_factory=Policy)
    line: int = 0  # where the entry starts in the registry file

    @property
    def site_key(self) -> Optional[str]:
        """The web site this account is on (douyin, toutiao...), from `site` or its ids."""
        if self.platform != "web":
            return None
        return self.site or next(iter(self.ids.filled()), None)


class Signal(BaseModel):
    """A condition an adapter saw (blocked, gone, ...). The rules decide what it weighs.

    `indicators`: what the source it came from would have shown (a failed Sogou search: the
    update, name and certification; a failed interaction page: the interaction). Empty: the
    rules' default for the code (nmaudit.rules.signal_indicators), as in runs stored before
    signals said so."""

    code: str
    message: str
    evidence: list[str] = Field(default_factory=list)
    indicators: list[str] = Field(default_factory=list)


class SourceRecord(BaseModel):
    """One page or JSON document fetched for an account, and what came of it."""

    kind: str
    url: str
    final_url: Optional[str] = None
    status: Optional[int] = None
    fetched_at: Optional[datetime] = None
    outcome: Literal["ok", "blocked", "gone", "unreachable", "unparsed", "unavailable"] = "ok"
    attempts: int = 1
    evidence: list[str] = Field(default_factory=list)


class SeenText(BaseModel):
    """A text an adapter saw (a post, an article, an item of a list), kept for content screening.

    Personal information in `text` is masked before the observation is stored (nmaudit.content)."""

    kind: str  # weibo-post | wechat-album-title | wechat-article | feed-item | web-page ...
    text: str
    title: Optional[str] = None
    url: Optional[str] = None  # where the text can be read: the post or article itself
    source: Optional[str] = None  # the page or document it was read from
    posted_at: Optional[datetime] = None
    links: list[str] = Field(default_factory=list)  # links inside the text (shops, marketing pages)
    full: bool = True  # False: a title or an excerpt; `--content` may open `url` for the whole text


class Observation(BaseModel):
    """Everything seen of one account in one run. Judging needs nothing else."""

    account_id: str
    platform: str
    started_at: datetime
    finished_at: Optional[datetime] = None
    checks: list[Indicator] = Field(default_factory=list)  # indicators this adapter can check
    not_checked: list[Indicator] = Field(default_factory=list)  # left to staff: not visible publicly
    name: Optional[str] = None  # None: not seen
    name_source: Optional[str] = None  # URL the name and certification were read from
    #: How the account was found when the registry named it without a direct link (a Weibo UID
    #: resolved from a 个性域名 or the name, an app found by name, a Sogou result told apart by its
    #: 微信号): for staff, in Chinese.
    identified_by: Optional[str] = None
    certification: Optional[str] = None  # None: not seen; "": seen, the account is not certified
    newest_post_at: Optional[datetime] = None
    newest_post_source: Optional[str] = None
    newest_post_lists_newest: bool = False  # the source lists the newest posts (not a lower bound)
    pinned_post_at: Optional[datetime] = None
    posts_seen: int = 0
    #: Post times per source that lists the newest posts (source URL -> times, newest first):
    #: consecutive posts, so the gaps between them are real gaps.
    listed_posts: dict[str, list[datetime]] = Field(default_factory=dict)
    interaction_url: Optional[str] = None
    interaction_ok: Optional[bool] = None
    signals: list[Signal] = Field(default_factory=list)
    sources: list[SourceRecord] = Field(default_factory=list)
    evidence: list[str] = Field(default_factory=list)
    #: Hosts this run stopped asking before they answered for this account (a captcha wall
    #: earlier in the run): `audit --resume` audits such an account again.
    deferred: list[str] = Field(default_factory=list)
    #: Texts seen (posts, article titles and bodies), for content screening; never judged.
    texts: list[SeenText] = Field(default_factory=list)

    def add_signal(self, code: str, message: str, evidence: list[str] | None = None,
                   indicators: Sequence[str] = ()) -> None:
        self.signals.append(Signal(code=code, message=message, evidence=list(evidence or []),
                                   indicators=list(indicators)))


class Finding(BaseModel):
    code: str
    severity: Severity
    message: str
    evidence: list[str] = Field(default_factory=list)
    #: The indicators the finding is about (Judgement.indicators).
    indicators: list[str] = Field(default_factory=list)
    #: A source that could not see, where another source proved what it would have shown:
    #: kept with its evidence, weighs nothing (e.g. 搜狗搜索未能访问，不影响判定).
    note: bool = False


class IndicatorResult(BaseModel):
    """One inspection indicator of one account in one run, from the best source that saw it."""

    state: IndicatorState
    #: Finding codes behind the state: the violation (fail, warn) or why nothing proved it.
    codes: list[str] = Field(default_factory=list)
    #: Where the state was proven (or sought): source URLs.
    sources: list[str] = Field(default_factory=list)
    #: What staff read: the proof (最新发布 2026-11-20，来自…) or every source's reason.
    reasons: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return INDICATOR_STATE_LABELS[self.state]


class Prior(BaseModel):
    """What the account's previous run saw and concluded: the history judging needs."""

    run_id: str
    as_of: datetime
    verdict: Verdict
    name: Optional[str] = None
    certification: Optional[str] = None
    consecutive_failures: int = 0
    longest_gap_days: Optional[int] = None


class Judgement(BaseModel):
    as_of: datetime
    verdict: Verdict
    idle_days: Optional[int] = None
    findings: list[Finding] = Field(default_factory=list)
    #: Failed runs in a row, this one included (a 待复核 run neither breaks nor extends the
    #: streak: could-not-see proves nothing either way); 0 when this run is not a failure.
    consecutive_failures: int = 0
    #: The longest stretch without a post seen so far, in days, from this and earlier runs.
    longest_gap_days: Optional[int] = None
    prior_run: Optional[str] = None  # the run the history findings compare with
    #: Each inspection indicator's state (INDICATOR_ORDER); empty in runs stored before
    #: indicators were judged apart (`nmaudit judge` fills it in).
    indicators: dict[str, IndicatorResult] = Field(default_factory=dict)

    def blocking(self) -> list[Finding]:
        """The findings that decide the verdict: vetoes, or what left a required indicator
        未能确认; never a note."""
        if self.verdict == "pass":
            return []
        return [f for f in self.findings if not f.note and (f.severity == "veto" if self.verdict == "fail"
                                                             else f.severity == "review")]
    #: `audit --due`: the account was not checked in this run; this judgement is the one of the
    #: run that last checked it (carried_from), at that run's check time (carried_as_of, 上次核验).
    carried_from: Optional[str] = None
    carried_as_of: Optional[datetime] = None


class LastCheck(BaseModel):
    """An account's latest stored row before a run (`audit --due` plans from it): `run_id`
    holds it; a carried judgement names the run that checked it (carried_from)."""

    run_id: str
    observation: Observation
    judgement: Judgement
    account: Optional[Account] = None  # the account as filed when it was checked

    @property
    def checked_in(self) -> str:
        return self.judgement.carried_from or self.run_id

    @property
    def checked_at(self) -> datetime:
        return self.judgement.carried_as_of or self.judgement.as_of


class RunInfo(BaseModel):
    id: str
    as_of: datetime
    registry: str
    started_at: datetime
    finished_at: Optional[datetime] = None
    recheck_of: Optional[str] = None  # the run whose failures this run re-checks (复核)


ReviewAction = Literal["confirm", "overrule", "attest", "file", "observe"]
REVIEW_ACTION_LABELS = {"confirm": "确认机器结论", "overrule": "改判", "attest": "人工核实最新发布日期", "file": "变更已报备",
                        "observe": "人工核查"}
FiledField = Literal["name", "certification"]
FILED_FIELD_LABELS = {"name": "账号名称", "certification": "认证主体"}


class Review(BaseModel):
    """A reviewer's decision on one account of one run (人工复核). Stored beside the machine's
    rows, never over them; the latest confirm/overrule/attest of a run wins, and a filing (报备)
    stays filed for later runs while the live value is the same."""

    id: Optional[int] = None
    run_id: str
    account_id: str
    action: ReviewAction
    verdict: Optional[Verdict] = None  # overrule: the verdict decided
    post_at: Optional[datetime] = None  # attest, observe: the newest post before the check time, seen by hand
    #: observe (人工核查): what a person saw in the app, indicator by indicator; None: not looked at.
    interaction: Optional[bool] = None  # the interaction function (留言、评论、私信) is there
    available: Optional[bool] = None  # the app can be downloaded and opened
    certification: Optional[str] = None  # the certification text shown ("": not certified)
    screenshot: Optional[str] = None  # the cleaned phone screenshot kept as evidence (its path)
    screenshot_sha256: Optional[str] = None
    field: Optional[FiledField] = None  # file: which live value was filed
    value: Optional[str] = None  # file: the live value that was filed
    reviewer: str
    reason: str = ""
    at: datetime


class AccountResult(BaseModel):
    account: Account
    observation: Observation  # after review: completed by an attested post date, if any
    judgement: Judgement  # the verdict in effect: after review unless loaded machine-only
    machine_judgement: Optional[Judgement] = None  # set when a review confirms or changes something
    review: Optional[Review] = None  # the decision in effect (confirm, overrule, attest, or a filing)
    filings: list[Review] = Field(default_factory=list)  # filings (报备) that apply to the live values
    content_hits: list[ContentHit] = Field(default_factory=list)  # content pre-screening, decisions applied


#: Content pre-screening (内容预警): what each rule suspects, for a person to decide.
CONTENT_RULES = ("id-card", "mobile", "bank-card", "wording", "sensitive", "ad-link", "ad-wording")
CONTENT_RULE_LABELS = {
    "id-card": "疑似个人信息泄露（身份证号码）",
    "mobile": "疑似个人信息泄露（手机号码）",
    "bank-card": "疑似个人信息泄露（银行卡号）",
    "wording": "疑似错误表述",
    "sensitive": "疑似敏感词",
    "ad-link": "疑似链接商业广告",
    "ad-wording": "疑似商业广告用语",
}
#: What staff read for each kind of text seen.
TEXT_KIND_LABELS = {
    "weibo-post": "微博博文", "wechat-album-title": "公众号合集文章标题", "wechat-article": "公众号文章",
    "wechat-list-item": "公众号主页文章", "feed-item": "订阅源条目",
}
ContentStatus = Literal["open", "confirmed", "dismissed"]
CONTENT_STATUS_LABELS = {"open": "待确认", "confirmed": "已确认", "dismissed": "已排除"}


class ContentHit(BaseModel):
    """One suspected problem in a text seen (疑似): never a veto, never 不合格 by itself.

    `matched`, `snippet` and the stored text are masked; `start`/`end` locate the hit in the
    text (masking keeps lengths). `key` identifies the hit across runs while the text is the same."""

    rule: str
    key: str  # sha256 of the normalised text, the rule and the normalised match
    matched: str
    correct: Optional[str] = None  # wording: the correct form, when the dictionary gives one
    note: Optional[str] = None
    snippet: str
    text_index: int  # position in Observation.texts
    start: int
    end: int
    kind: str  # the text's kind
    url: Optional[str] = None
    title: Optional[str] = None
    posted_at: Optional[datetime] = None
    status: ContentStatus = "open"
    reviewer: Optional[str] = None
    reason: str = ""
    decided_at: Optional[datetime] = None

    @property
    def label(self) -> str:
        return CONTENT_RULE_LABELS.get(self.rule, self.rule)


ContentDecision = Literal["confirm", "dismiss"]
CONTENT_DECISION_LABELS = {"confirm": "确认问题", "dismiss": "排除（非问题）"}


class ContentReview(BaseModel):
    """A reviewer's decision on one content hit; a dismissal stands in later runs while the
    text is the same (same key)."""

    id: Optional[int] = None
    run_id: str
    account_id: str
    key: str
    decision: ContentDecision
    reviewer: str
    reason: str = ""
    at: datetime


class RunResult(BaseModel):
    run: RunInfo
    results: list[AccountResult]


#: What a re-check (复核) found, in the words of the notices ("复核...已整改").
RECHECK_LABELS = {
    "fixed": "已整改",
    "still-failing": "仍未整改",
    "failing-other": "出现新问题",
    "still-review": "仍待复核",
    "not-rechecked": "未复核",
}


class RecheckItem(BaseModel):
    """One account of an earlier run's 不合格 / 待复核 list, as a re-check found it."""

    account_id: str
    name: str
    platform: str
    owner: str
    region: Optional[str] = None
    before: Verdict  # "fail" | "review" in the earlier run
    after: Optional[Verdict] = None  # None: not audited in the later run
    status: Literal["fixed", "still-failing", "failing-other", "still-review", "not-rechecked"]
    before_codes: list[str] = Field(default_factory=list)
    after_codes: list[str] = Field(default_factory=list)

    @property
    def label(self) -> str:
        return RECHECK_LABELS[self.status]
