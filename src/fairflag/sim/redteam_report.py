"""Presenting a red-team search: the worst attacks found as a Rich table, and a self-contained HTML report
with harm per attacker account and in total over the search, fairflag beside the count baseline (SVG inlined
by :func:`fairflag.sim.heldout_report.svg_figure`). Results written before the search judged attacks in
several worlds (one world, no harm proxy) render too."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from fairflag.sim.heldout_report import MARKERS, svg_figure
from fairflag.sim.redteam import TARGET_RATIO, compare, describe, kind, rank, rank_count, rank_total, ratio


def _by_index(result: Mapping[str, Any], index: int) -> dict[str, Any]:
    return next(e for e in result["red_team"]["trace"] if e["index"] == index)


def _worst_total(result: Mapping[str, Any]) -> dict[str, Any]:
    rt = result["red_team"]
    return _by_index(result, rt["worst_total"]) if "worst_total" in rt else max(rt["trace"], key=rank_total)


def _comparison(result: Mapping[str, Any]) -> dict[str, Any]:
    target = result["red_team"]["target"]
    return target.get("comparison") or compare(result["red_team"]["trace"])


def worst(result: Mapping[str, Any], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` attacks worst for fairflag per account, worst first (:func:`fairflag.sim.redteam.rank`), then
    the worst in total and the worst for the count baseline when they are not among them."""
    rt = result["red_team"]
    out = sorted(rt["trace"], key=rank, reverse=True)[:n]
    extra = [_worst_total(result)]
    if rt["max_count_harm_per_account"] > 0:
        extra.append(max(rt["trace"], key=rank_count))
    for e in extra:
        if all(x["index"] != e["index"] for x in out):
            out.append(e)
    return out


def _label(result: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    rt = result["red_team"]
    tags = [t for t, i, shown in (("worst for fairflag per account", rt["worst"], True),
                                  ("worst for fairflag in total", _worst_total(result)["index"], True),
                                  ("worst for count", rt["worst_for_count"], rt["max_count_harm_per_account"] > 0))
            if entry["index"] == i and shown]
    return f"{entry['index']}" + "".join(f"\n({t})" for t in tags)


def _harm(entry: Mapping[str, Any], engine: str) -> str:
    h = entry["engines"][engine]
    text = f"{h['restricted']} ({h['auto']} auto) · {h['harm_per_account']:.3f}/acct"
    if "proxy" in h:
        text += f"\nproxy {h['proxy']:.2f} · {h['proxy_per_account']:.3f}/acct"
    if "world" in h and len(entry.get("worlds") or ()) > 1:
        text += f"\nproxy worst in world {h['world']}"
    return text


def _ratio(entry: Mapping[str, Any]) -> str:
    r = ratio(entry)
    if r is None:
        ff = max(w["engines"]["fairflag"]["harm_per_account"] for w in entry.get("worlds") or [entry])
        text = "– (count: 0)" if ff == 0 else "∞ (count: 0)"
    else:
        text = f"{r:.3f}"
    return f"{text}\n{kind(entry)}"


def verdict(result: Mapping[str, Any]) -> str:
    """Whether the 1/20 target is met, on how many of the worst attacks, and how much each asked of it."""
    rt = result["red_team"]
    target = rt["target"]
    c = _comparison(result)
    word = "met" if all(a["met"] for a in c["attacks"]) else "NOT met"
    ratios = [a["ratio"] for a in c["attacks"] if a["ratio"] is not None]
    worlds = len(rt.get("worlds") or [None])
    top = _by_index(result, rt["worst"])
    total = _worst_total(result)
    most = max(e["engines"]["fairflag"]["restricted"] for e in rt["trace"])
    most_auto = max(e["engines"]["fairflag"]["auto"] for e in rt["trace"])

    def proxy(entry: Mapping[str, Any], key: str, unit: str = "") -> str:
        h = entry["engines"]["fairflag"]
        return f", harm proxy {h[key]:.3f}{unit}" if key in h else ""

    per = top["engines"]["fairflag"]["harm_per_account"]

    return (f"target: fairflag's harm per attacker account ≤ {TARGET_RATIO:.2f} × count's on the same attack, in "
            f"every world ({worlds}) — {word} on the worst attacks: met on {c['met_on']} of {c['compared']} "
            f"(the worst for fairflag per account, in total, and for count). Of the {c['compared']}, "
            f"{c['vacuous']} vacuous (count restricted no attacked innocent in any world: met whenever fairflag "
            f"restricted none either), {c['zero']} where count restricted fewer than {round(1 / TARGET_RATIO)} so "
            f"the bound asks fairflag for none, {c['graded']} graded (count restricted {round(1 / TARGET_RATIO)} or "
            f"more somewhere; met on {c['met_graded']}). Worst fairflag/count: {max(ratios) if ratios else '–'}. "
            f"Of all {rt['evaluations']} attacks, {target['attacks_harming_under_fairflag']} restricted an attacked "
            f"innocent under fairflag (at most {most}, {most_auto} automatically), "
            f"{target['attacks_harming_under_count']} under count; {target['attacks_over_target']} broke the "
            f"bound. Worst for fairflag per account: #{top['index']} ({per:.3f}/acct"
            f"{proxy(top, 'proxy_per_account', '/acct')}); in total: #{total['index']} "
            f"({total['engines']['fairflag']['restricted']} restricted{proxy(total, 'proxy')}); for count: "
            f"{rt['max_count_harm_per_account']:.3f}/acct under count.")


def _title(result: Mapping[str, Any]) -> str:
    rt = result["red_team"]
    worlds = rt.get("worlds")
    rates = ", ".join(format(w["per_hour"], "g") for w in worlds or [])
    where = f"{len(worlds)} worlds (reviewers {rates}/h)" if worlds else "1 world"
    return (f"fairflag simulate --red-team — budget {rt['budget']}, seed {result['seed']}, world scale "
            f"{rt['world_scale']:g}, {where}, {rt['evaluations']} attacks evaluated, {result['wall_s']:.0f}s")


def rich_table(result: Mapping[str, Any]) -> Table:
    engines = result["engines"]
    table = Table(title=_title(result), header_style="bold", show_lines=True,
                  caption="harm: attacked innocent subjects restricted (of them automatically) · per attacker "
                          "account; proxy: expected restrictions (automatic ones, reviewer errors given the reviews "
                          "spent, near misses of automatic restriction); each the worst over the worlds\n"
                          + verdict(result))
    table.add_column("#", justify="right", max_width=12)
    table.add_column("attack", ratio=3)
    table.add_column("cost", justify="right")
    for engine in engines:
        table.add_column(engine, justify="right")
    table.add_column("fairflag / count", justify="right")
    for entry in worst(result):
        table.add_row(_label(result, entry), describe(entry["attack"]), f"{entry['cost']:g}",
                      *(_harm(entry, e) for e in engines), _ratio(entry))
    return table


def search_figure(result: Mapping[str, Any]) -> str:
    """Every attack evaluated, in search order: per attacker account and in total, fairflag (harm and harm
    proxy) and count, with the worst so far of each."""
    trace = result["red_team"]["trace"]
    xs = [e["index"] for e in trace]
    random_end = sum(1 for e in trace if e["phase"] != "mutant")
    series = (("count", "harm_per_account", "restricted", "count"),
              ("fairflag", "harm_per_account", "restricted", "fairflag"),
              ("fairflag", "proxy_per_account", "proxy", "fairflag proxy"))

    def draw(_fig: Any, axes: list[Any]) -> None:
        for ax, per_account in zip(axes, (True, False), strict=True):
            for engine, key_acct, key_total, label in series:
                key = key_acct if per_account else key_total
                if any(key not in e["engines"][engine] for e in trace):
                    continue
                ys = [float(e["engines"][engine][key]) for e in trace]
                marker, color = MARKERS[engine]
                style = "--" if "proxy" in label else "-"
                ax.scatter(xs, ys, marker="x" if "proxy" in label else marker, color=color, s=14, alpha=0.5,
                           label=f"{label} (each attack)")
                running, best = [], 0.0
                for y in ys:
                    best = max(best, y)
                    running.append(best)
                ax.step(xs, running, where="post", color=color, linestyle=style, label=f"{label} (worst so far)")
            ax.axvline(random_end - 0.5, color="#999", linestyle=":", linewidth=1)
            ax.set_xlabel("attack evaluated (random and policy-aware, then mutants)")
            ax.set_ylabel("innocents restricted per account" if per_account else "innocents restricted (total)")
            ax.legend(fontsize=6)

    return svg_figure(draw, ncols=2, figsize=(13, 3.8))


def _comparison_table(result: Mapping[str, Any]) -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in (
            a["index"], ", ".join(a["worst_for"]), a["accounts"], a["fairflag_restricted"], a["count_restricted"],
            "–" if a["ratio"] is None else f"{a['ratio']:.3f}", a["kind"], "yes" if a["met"] else "NO")) + "</tr>"
        for a in _comparison(result)["attacks"])
    head = "".join(f"<th>{h}</th>" for h in ("#", "worst for", "accounts", "fairflag restricted (worst world)",
                                              "count restricted (worst world)", "fairflag / count", "bound asks",
                                              "met"))
    return f"<table><tr>{head}</tr>{rows}</table>"


def html_report(result: Mapping[str, Any]) -> str:
    engines = result["engines"]
    rt = result["red_team"]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ("#", "attack", "cost", *engines, "fairflag / count"))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in (
            _label(result, e), describe(e["attack"]), f"{e['cost']:g}", *(_harm(e, x) for x in engines), _ratio(e)))
        + "</tr>" for e in worst(result))
    genes = "".join(f"<li>{html.escape(g['words'])} (<code>{html.escape(g['name'])}</code>): "
                    + html.escape(", ".join(g["options"]) if g["kind"] == "choice" else
                                  f"{g['low']:g}–{g['high']:g}{' (log)' if g['log'] else ''}") + "</li>"
                    for g in rt["space"])
    worlds = "".join(f"<li>world {w['world']}: seed {w['seed']}, reviewers {w['per_hour']:g} decisions an hour, "
                     f"targets' exposure ×{w['exposure']:g}</li>" for w in rt.get("worlds") or [])
    proxy = f"<p>Harm proxy: {html.escape(rt['harm_proxy'])}.</p>" if "harm_proxy" in rt else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(_title(result))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; margin-bottom: 1em; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; white-space: pre-line; }}
td:nth-child(2) {{ text-align: left; max-width: 40em; }}
th {{ background: #f3f3f3; }}
figure {{ margin: 1em 0; }} svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{html.escape(_title(result))}</h1>
<p>Policy {html.escape(result['policy_version'])}. An attacker who has read the policy searches the attacks they
control (below) for the most innocent subjects restricted, per account they run and in total, against fairflag;
every attack is replayed in the same small organic worlds through fairflag and the baselines, and judged by its
worst world.</p>
<ul>{worlds}</ul>
<p><strong>{html.escape(verdict(result))}</strong></p>
<h2>Worst attacks found</h2><table><tr>{head}</tr>{body}</table>
<p>Harm: attacked innocent subjects restricted by any means (of them automatically) · per attacker account.
Cost model: {html.escape(rt['cost_model'])} (units: one fresh account).</p>{proxy}
<h2>The target, attack by attack</h2>{_comparison_table(result)}
<h2>The search</h2><figure>{search_figure(result)}</figure>
<h2>What the attacker controls</h2><ul>{genes}</ul>
</body></html>
"""
