"""Write the parts of camfleet's alert rules that follow the status table (``STATUSES`` in camfleet/model.py).

Run ``python deploy/prometheus/build.py`` after adding or changing a status: for every alert rule a status names
(``StatusInfo.alert``) it rewrites, in ``camfleet.alerts.yml``,

- the rule's ``camfleet_camera_status{status…}`` selector: ``status="offline"`` for one status,
  ``status=~"black|covered|…"`` for several (in ``Status`` order); matchers after it are the rule's own;
- the chain of Chinese names in its summary (``{{ if eq $labels.status \\"black\\" }}黑屏{{ else if … }}``), when
  the rule has one;
- its ``severity`` and ``scope`` labels;

and the Chinese names listed for ``CamfleetCameraImageFault`` in docs/alerting.md's alert table. Everything else
in the files (expressions, ``for:``, the wording) is written by hand. ``--check`` rewrites nothing and exits 1
when a file differs from what the table gives (tests/test_alert_rules.py runs the same comparison).

A rule the table names must exist already: a new status with an alert of its own needs its rule written once
(copy ``CamfleetCameraOffline``, with ``status="…"`` in its expression); this script then keeps it in step.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's camfleet, not another one installed in the environment

from camfleet.model import STATUSES, Status  # noqa: E402

ALERTS = ROOT / "deploy" / "prometheus" / "camfleet.alerts.yml"
ALERTING_DOC = ROOT / "docs" / "alerting.md"
IMAGE_RULE = "CamfleetCameraImageFault"

# the status matcher only: a rule may add others after it (``reason!~"…"``), which are kept
_SELECTOR = re.compile(r'camfleet_camera_status\{status=~?"[^"]*"(?=[,}])')
_CHAIN = re.compile(r'\{\{ if eq \$labels\.status \\"[^\n]*?\{\{ else \}\}\{\{ \$labels\.status \}\}\{\{ end \}\}')
_DOC_NAMES = re.compile(r"(\| `" + IMAGE_RULE + r"` \|[^\n]*?names it in Chinese )\([^)]*\)")


def statuses_by_rule() -> dict[str, list[Status]]:
    """Each alert rule the table names, with the statuses that name it, in ``Status`` order."""
    rules: dict[str, list[Status]] = {}
    for status, info in STATUSES.items():
        if info.alert is not None:
            rules.setdefault(info.alert.rule, []).append(status)
    return rules


def selector(statuses: list[Status]) -> str:
    """``camfleet_camera_status{status="offline"}`` or ``…{status=~"black|covered"}``."""
    if len(statuses) == 1:
        return f'camfleet_camera_status{{status="{statuses[0]}"}}'
    return f'camfleet_camera_status{{status=~"{"|".join(statuses)}"}}'


def name_chain(statuses: list[Status]) -> str:
    """The summary's Go-template chain naming each status in Chinese (the label itself for any other)."""
    ifs = "{{ else if ".join(f'eq $labels.status \\"{s}\\" }}}}{STATUSES[s].zh}' for s in statuses)
    return "{{ if " + ifs + "{{ else }}{{ $labels.status }}{{ end }}"


def render_alerts(text: str) -> str:
    """``camfleet.alerts.yml``'s text with every table-driven part rewritten from ``STATUSES``."""
    starts = [m.start() for m in re.finditer(r"(?m)^\s+- alert: \w+$", text)]
    pieces = [text[: starts[0]]] if starts else [text]
    names = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        block = text[start:end]
        name = block.split("- alert: ", 1)[1].split("\n", 1)[0]
        names.append(name)
        pieces.append(_render_rule(name, block))
    missing = set(statuses_by_rule()) - set(names)
    if missing:
        raise SystemExit(f"camfleet.alerts.yml has no rule {', '.join(sorted(missing))}: write it once by hand")
    return "".join(pieces)


def _render_rule(name: str, block: str) -> str:
    statuses = statuses_by_rule().get(name)
    if statuses is None:
        return block
    alert = STATUSES[statuses[0]].alert
    assert alert is not None
    if any(STATUSES[s].alert != alert for s in statuses):
        raise SystemExit(f"{name}: its statuses disagree on severity, scope or receiver in STATUSES")
    block = _SELECTOR.sub(lambda _: selector(statuses)[:-1], block)
    block = _CHAIN.sub(lambda _: name_chain(statuses), block)
    block = re.sub(r"(?m)^(\s+severity: )\w+$", lambda m: m.group(1) + alert.severity, block, count=1)
    return re.sub(r"(?m)^(\s+scope: )\w+$", lambda m: m.group(1) + alert.scope, block, count=1)


def render_doc(text: str) -> str:
    """docs/alerting.md with the image-fault rule's Chinese names taken from ``STATUSES``."""
    names = ", ".join(STATUSES[s].zh for s in statuses_by_rule().get(IMAGE_RULE, []))
    return _DOC_NAMES.sub(lambda m: f"{m.group(1)}({names})", text)


def outputs() -> dict[Path, tuple[str, str]]:
    """Each generated file: (its committed text, the text the table gives)."""
    alerts, doc = ALERTS.read_text("utf-8"), ALERTING_DOC.read_text("utf-8")
    return {ALERTS: (alerts, render_alerts(alerts)), ALERTING_DOC: (doc, render_doc(doc))}


def main(argv: list[str]) -> int:
    """Rewrite the files, or with ``--check`` report which differ from the table."""
    stale = [path for path, (old, new) in outputs().items() if old != new]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run python deploy/prometheus/build.py", file=sys.stderr)
        return 1 if stale else 0
    for path, (old, new) in outputs().items():
        if old != new:
            path.write_text(new, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
