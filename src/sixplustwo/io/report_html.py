"""The manager's report as one self-contained HTML page: inline CSS and SVG, no requests,
readable on a phone, printable, fit to mail."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

# The report's outcomes, in the order of the bars; their words are labels of kind "outcome".
_COLOURS = {"on_time": "#2e7d32", "late": "#f9a825", "missed": "#c62828", "open": "#90a4ae"}
Label = Callable[[str, str], str]  # cli.labels.label: (kind, code) → the word shown

_CSS = """
body{font-family:-apple-system,"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
margin:0 auto;max-width:960px;padding:16px;color:#1f2933;background:#fff}
h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.1em;margin:1.4em 0 .4em;border-bottom:2px solid
#e4e7eb;padding-bottom:.2em}p.meta{color:#616e7c;margin:0 0 1em}
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{padding:4px 6px;text-align:right;
border-bottom:1px solid #e4e7eb;white-space:nowrap}th:first-child,td:first-child,
td.name{text-align:left}td.bar{width:40%}.scroll{overflow-x:auto}
.legend span{display:inline-block;margin-right:12px;font-size:.85em}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
@media (max-width:600px){body{padding:8px}td.bar{width:30%}
table.cards,table.cards tbody{display:block}table.cards tr.head{display:none}
table.cards tr{display:flex;flex-wrap:wrap;align-items:baseline;padding:6px 0;
border-bottom:1px solid #e4e7eb}table.cards td{border:0;padding:1px 12px 1px 0;text-align:left;
box-sizing:border-box}
table.cards td.name{flex:1 0 100%;font-weight:600;white-space:normal;overflow-wrap:anywhere}
table.cards td[data-label]::before{content:attr(data-label) " ";color:#616e7c;font-size:.85em}
table.cards td.bar{flex:1 0 100%;width:auto;padding-top:3px}}
"""
# On a phone (≤ 600 px) a table of class "cards" shows each row as a card: its name on a line
# of its own, then each number after its header (data-label), then the bar: nothing to scroll
# sideways. Wider screens get the plain table.


def _stacked_bar(row: dict[str, Any], label: Label, width: int = 240, height: int = 14) -> str:
    total = sum(row[key] or 0 for key in _COLOURS)  # None: empty, before go-live
    if not total:
        return f'<svg width="{width}" height="{height}" role="img" aria-label="无"></svg>'
    parts, x = [], 0.0
    for key, colour in _COLOURS.items():
        w = width * row[key] / total
        if w:
            parts.append(
                f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{colour}">'
                f"<title>{label('outcome', key)} {row[key]}</title></rect>"
            )
        x += w
    words = escape("，".join(f"{label('outcome', k)} {row[k]}" for k in _COLOURS))
    return (
        f'<svg viewBox="0 0 {width} {height}" width="100%" height="{height}" '
        f'preserveAspectRatio="none" role="img" aria-label="{words}">{"".join(parts)}</svg>'
    )


def _go_live_note(period: dict[str, Any]) -> str:
    if not period.get("go_live"):
        return ""
    note = f"上线日期 {period['go_live']}：此前到期的事项不统计。"
    if period.get("before_go_live"):
        note += "统计期间在上线之前：各项无数据。"
    return "\n" + escape(note)


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _td(value: object, head: str) -> str:
    """A number's cell, carrying its header for the phone's cards."""
    return f'<td data-label="{escape(head)}">{escape(str(value))}</td>'


def _outcome_table(rows: list[dict], first: str, name_key: str, label: Label) -> str:
    heads = {key: label("outcome", key) for key in _COLOURS}
    head = "".join(f"<th>{escape(word)}</th>" for word in heads.values())
    body = "".join(
        f"<tr><td class=name>{escape(str(row[name_key]))}</td>"
        + "".join(_td("" if row[key] is None else row[key], heads[key]) for key in _COLOURS)
        + _td(_rate(row["on_time_rate"]), "按时率")
        + f"<td class=bar>{_stacked_bar(row, label)}</td></tr>"
        for row in rows
    )
    return (
        f"<div class=scroll><table class=cards><tr class=head><th>{escape(first)}</th>{head}"
        f"<th>按时率</th><th></th></tr>{body}</table></div>"
    )


def report_html(report: dict[str, Any], title: str, label: Label) -> str:
    """The page for ``build_report``'s data; ``label`` gives the words for codes."""
    period = report["period"]
    legend = "".join(
        f'<span><i style="background:{colour}"></i>{escape(label("outcome", key))}</span>'
        for key, colour in _COLOURS.items()
    )
    steps = [
        dict(row, label=f"{row['step']} {label('step', row['step'])}") for row in report["steps"]
    ]
    rules = [
        dict(row, label=row["title"])
        for row in report["rules"]
        if any(row[key] for key in _COLOURS)
    ]
    satisfaction = report["satisfaction"]
    most = max(satisfaction["distribution"].values(), default=0) or 1
    score_rows = "".join(
        f"<tr><td class=name>{score} 分</td><td>{count}</td><td class=bar>"
        f'<svg viewBox="0 0 240 14" width="100%" height="14" preserveAspectRatio="none">'
        f'<rect width="{240 * count / most:.1f}" height="14" fill="#1565c0"/></svg></td></tr>'
        for score, count in satisfaction["distribution"].items()
    )
    average = satisfaction["average"]
    median = "解决用时中位数（天）"
    cases = "".join(
        f"<tr><td class=name>{escape(label('case_kind', kind))}</td>"
        + _td(c["opened"], "期间新增")
        + _td(c["open_now"], "未解决")
        + _td(c["resolved"], "期间解决")
        + _td("—" if c["median_days_to_resolve"] is None else c["median_days_to_resolve"], median)
        + _td(_rate(c["revisit_rate"]), "回访率")
        + "</tr>"
        for kind, c in report["cases"].items()
    )
    referrals = report["referrals"]
    problems = "".join(
        f"<tr><td class=name>{escape(r['project'])}</td><td class=name>{escape(r['item'])}</td>"
        + _td(r["problems"], "有问题")
        + _td(r["checked"], "检查次数")
        + "</tr>"
        for r in report["checklist_problems"]
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{_CSS}</style></head><body>
<h1>{escape(title)}</h1>
<p class=meta>统计期间 {period["from"]} 至 {period["to"]}（截至 {period["as_of"]}）。
按时：截止日当天或之前完成；逾期完成：截止日之后完成；错过：超过宽限期仍未完成；
按时率 = 按时 ÷（按时 + 逾期 + 错过）。{_go_live_note(period)}</p>
<p class=legend>{legend}</p>
<h2>6+2 各步骤</h2>{_outcome_table(steps, "步骤", "label", label)}
<h2>各规则</h2>{_outcome_table(rules, "事项", "label", label)}
<h2>管家工作量与按时率</h2>{_outcome_table(report["butlers"], "管家", "butler", label)}
<h2>客户满意度</h2>
<p>回答 {satisfaction["answers"]} 份，平均 {"—" if average is None else average} 分</p>
<div class=scroll><table><tr><th>评分</th><th>份数</th><th></th></tr>{score_rows}</table></div>
<h2>投诉与报修</h2>
<div class=scroll><table class=cards><tr class=head><th>类别</th><th>期间新增</th><th>未解决</th>
<th>期间解决</th><th>{median}</th><th>回访率</th></tr>{cases}</table></div>
<h2>检查项问题（改进产品及服务质量）</h2>
<div class=scroll><table class=cards><tr class=head><th>项目</th><th>检查项</th><th>有问题</th>
<th>检查次数</th></tr>
{problems}</table></div>
<h2>老带新（滚雪球计划）</h2>
<p>期间签约的被推荐客户 {referrals["referred_signed"]} 位；期间结算奖励
{referrals["rewards_settled"]} 项 {referrals["settled_amount"]} 元。截至 {period["as_of"]}：
待签约 {referrals["pending"]} 位，待结算 {referrals["rewards_due"]} 项
{referrals["reward_amount"]} 元。</p>
</body></html>
"""
