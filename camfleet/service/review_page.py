"""``render_review``: the /review contact sheet as one HTML page (pictures by URL, no script).

Every name, reason and detail is escaped; picture URLs carry the camera id percent-encoded. Each camera and
each village has an approve form (``POST /review/approve`` with the user's form token); with no token (writing
is off) the buttons are disabled and one line says how to enable them. Words are in
Chinese first, with the status words camfleet uses everywhere (``covered``, ``cannot_judge``…) beside them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from urllib.parse import quote

from camfleet.coverage.fmt import local
from camfleet.coverage.html_out import CSS as COVERAGE_CSS
from camfleet.model import STATUS_ZH, BaselineState, Status
from camfleet.web import APPROVE_PATH, MAX_NOTE
from camfleet.web.guard import HOW_TO_ENABLE

STATE_WORDS = {
    BaselineState.DOUBTFUL: "存疑 doubtful",
    BaselineState.PROVISIONAL: "待确认 provisional",
    BaselineState.APPROVED: "已批准 approved",
    BaselineState.NONE: "未判断 none",
}
KIND_WORDS = {"reference": "验收照片 acceptance", "learned": "已学习画面 learned view"}
CSS = (
    COVERAGE_CSS
    + """
.sheet{display:flex;flex-direction:column;gap:8px}
.row{display:flex;gap:12px;align-items:flex-start;background:#fff;border:1px solid #e0e0e0;border-radius:6px;
padding:8px}
.row.doubtful{border-left:6px solid #c62828}.row.provisional{border-left:6px solid #f9a825}
figure{margin:0;width:320px}figure img{width:320px;height:180px;object-fit:contain;background:#222;display:block}
figcaption{font-size:12px;color:#555;margin-top:2px}.none{width:320px;height:180px;background:#eee;color:#888;
display:flex;align-items:center;justify-content:center;font-size:13px}
.info{min-width:220px;font-size:13px}.info .id{font-size:16px;font-weight:600}.info code{font-size:12px}
h3{font-size:15px;margin:14px 0 6px}
form.approve{margin:6px 0}form.approve input[type=text]{width:200px}
form.approve button{font-weight:600}.pending{color:#2e7d32;font-weight:600}
"""
)


@dataclass(frozen=True, slots=True)
class ReviewCard:
    """One camera of the sheet: where, its baseline state and why, its status, and which pictures exist."""

    camera_id: str
    town: str
    village: str
    point_id: str
    state: BaselineState
    reason: str
    since: float
    status: Status
    status_detail: str
    has_latest: bool
    has_reference: bool
    peers: tuple[tuple[str, str], ...]  # (camera id, "reference" | "learned")
    approval_pending: bool = False  # approved after the poller last wrote its state: waits for the poller


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def picture_url(camera_id: str, kind: str) -> str:
    """The page's URL of one camera's picture (``latest``, ``reference`` or ``learned``)."""
    return f"/review/{quote(camera_id, safe='')}/{kind}.jpg"


def _figure(camera_id: str, kind: str, caption: str) -> str:
    return (
        f'<figure><img loading="lazy" alt="{_e(camera_id)} {_e(kind)}" src="{_e(picture_url(camera_id, kind))}">'
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _none(text: str) -> str:
    return f'<figure><div class="none">{_e(text)}</div></figure>'


def _form(token: str | None, fields: Mapping[str, str], label: str) -> str:
    """An approve form posting ``fields`` and an optional note; disabled (and without a token) when writing is
    off."""
    hidden = "".join(f'<input type="hidden" name="{_e(k)}" value="{_e(v)}">' for k, v in fields.items())
    off = " disabled" if token is None else ""
    if token is not None:
        hidden = f'<input type="hidden" name="token" value="{_e(token)}">' + hidden
    return (
        f'<form class="approve" method="post" action="{APPROVE_PATH}">{hidden}'
        f'<input type="text" name="note" maxlength="{MAX_NOTE}" placeholder="备注 note (可选 optional)"{off}> '
        f'<button type="submit"{off}>{_e(label)}</button></form>'
    )


def _card(c: ReviewCard, token: str | None) -> str:
    latest = _figure(c.camera_id, "latest", "最新存疑画面 latest doubtful picture") if c.has_latest else _none(
        "无存疑画面 no doubtful picture stored"
    )  # fmt: skip
    if c.has_reference:
        beside = [_figure(c.camera_id, "reference", "验收照片 acceptance picture")]
    elif c.peers:
        beside = [_figure(p, kind, f"同镇 peer {p} · {KIND_WORDS.get(kind, kind)}") for p, kind in c.peers]
    else:
        beside = [_none("无验收照片, 同镇无正常摄像机画面 no acceptance picture, no healthy peer picture")]
    status = f"{STATUS_ZH.get(c.status, '')} {c.status.value}"
    # The poller's detail often is the reason's own words: say it once.
    detail = f"<div>{_e(c.status_detail)}</div>" if c.status_detail and c.status_detail not in c.reason else ""
    info = (
        f'<div class="info"><div class="id">{_e(c.camera_id)}</div>'
        f"<div>{_e(c.town)} · {_e(c.village)} · {_e(c.point_id)}</div>"
        f"<div>基线 baseline: <b>{_e(STATE_WORDS[c.state])}</b></div>"
        f"<div>状态 status: <b>{_e(status)}</b></div>{detail}"
        f"<div>原因 reason: {_e(c.reason or '—')}</div>"
        f"<div>自 since: {_e(local(c.since))}</div>"
        + ('<div class="pending">已批准, 待生效 approved, waiting for the poller</div>' if c.approval_pending else "")
        + f"<div>批准 approve: <code>camfleet baseline approve {_e(c.camera_id)}</code></div>"
        + _form(token, {"camera": c.camera_id}, "批准 approve")
        + "</div>"
    )
    return f'<div class="row {_e(c.state.value)}">{latest}{"".join(beside)}{info}</div>'


def _sections(cards: Sequence[ReviewCard], token: str | None, awaiting: Mapping[tuple[str, str], int]) -> str:
    parts: list[str] = []
    last: tuple[BaselineState | None, str, str] = (None, "", "")
    for c in cards:
        if c.state is not last[0]:
            n = sum(1 for x in cards if x.state is c.state)
            parts.append(f"<h2>{_e(STATE_WORDS[c.state])} ({n})</h2>")
            last = (c.state, "", "")
        if (c.town, c.village) != last[1:]:
            parts.append(f"<h3>{_e(c.town)} / {_e(c.village)}</h3>")
            n = awaiting.get((c.town, c.village), 0)
            if n:
                label = f"批准本村全部 {n} 台待审 approve all {n} awaiting review in {c.village}"
                parts.append(_form(token, {"town": c.town, "village": c.village}, label))
            last = (c.state, c.town, c.village)
        parts.append(_card(c, token))
    return '<div class="sheet">' + "".join(parts) + "</div>"


def render_review(
    cards: Sequence[ReviewCard], counts: Mapping[BaselineState, int], more: int, *, title: str, generated_at: float,
    token: str | None = None, awaiting: Mapping[tuple[str, str], int] | None = None,
) -> str:  # fmt: skip
    """The contact sheet; ``counts`` are every camera awaiting review, ``more`` those not shown; ``token`` the
    approve forms' token (None: writing is off); ``awaiting`` cameras awaiting review by (town, village)."""
    doubtful, provisional = counts.get(BaselineState.DOUBTFUL, 0), counts.get(BaselineState.PROVISIONAL, 0)
    summary = (
        f'<p>存疑 doubtful <b class="bad">{doubtful}</b> · 待确认 provisional <b>{provisional}</b> · '
        f"生成 generated {_e(local(generated_at))}</p>"
        '<p class="muted small">存疑: 首批画面未通过无基线检查, 未学习, 计为不完好, 需人工查看。'
        "Doubtful: the first pictures failed the checks that need no baseline; nothing was learned; the camera "
        "counts as not working until a person looks. 待确认: learned from pictures that passed, nobody looked yet. "
        "Approve with the buttons or <code>camfleet baseline approve CAMERA… | --village V | --town T</code>.</p>"
    )
    if token is None:
        summary += (
            '<p class="muted small">网页批准未启用 approving here is off: writing needs authentication, '
            f"{_e(HOW_TO_ENABLE)} (docs/operations.md).</p>"
        )
    body = (
        _sections(cards, token, awaiting or {})
        if cards
        else '<p class="good">没有待审核的摄像机。Nothing to review.</p>'
    )
    tail = (
        f'<p class="muted">… 另有 {more} 台未显示 {more} more not shown: <code>camfleet baseline review</code></p>'
        if more
        else ""
    )
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
        f'<h1>{_e(title)}</h1><nav><a href="/coverage">覆盖 coverage</a> <a href="/review">审核 review</a></nav>'
        f"{summary}{body}{tail}</body></html>\n"
    )
