"""Presenting a red-team search: the worst attacks found as a Rich table, and a self-contained HTML report
with harm per attacker account over the search, fairflag beside the count baseline (matplotlib SVG inlined,
as in :mod:`fairflag.sim.heldout_report`)."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from rich.table import Table

from fairflag.sim.heldout_report import MARKERS, _svg
from fairflag.sim.redteam import TARGET_RATIO, describe, rank, ratio


def worst(result: Mapping[str, Any], n: int = 5) -> list[dict[str, Any]]:
    """The ``n`` attacks worst for fairflag, worst first (the order of :func:`fairflag.sim.redteam.rank`), then
    the attack worst for the count baseline when it is not among them."""
    rt = result["red_team"]
    out = sorted(rt["trace"], key=rank, reverse=True)[:n]
    if rt["max_count_harm_per_account"] > 0 and all(e["index"] != rt["worst_for_count"] for e in out):
        out += [e for e in rt["trace"] if e["index"] == rt["worst_for_count"]]
    return out


def _label(result: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    rt = result["red_team"]
    tags = [t for t, i, shown in (("worst for fairflag", rt["worst"], True),
                                  ("worst for count", rt["worst_for_count"], rt["max_count_harm_per_account"] > 0))
            if entry["index"] == i and shown]
    return f"{entry['index']}" + "".join(f"\n({t})" for t in tags)


def _harm(entry: Mapping[str, Any], engine: str) -> str:
    h = entry["engines"][engine]
    return f"{h['restricted']} ({h['auto']} auto) · {h['harm_per_account']:.3f}/acct"


def _ratio(entry: Mapping[str, Any]) -> str:
    r = ratio(entry)
    if r is None:
        return "– (count: 0)" if entry["engines"]["fairflag"]["harm_per_account"] == 0 else "∞ (count: 0)"
    return f"{r:.3f}"


def verdict(result: Mapping[str, Any]) -> str:
    rt = result["red_team"]
    target = rt["target"]
    entry = next(e for e in rt["trace"] if e["index"] == rt["worst"])
    ff = entry["engines"]["fairflag"]["harm_per_account"]
    count = entry["engines"]["count"]["harm_per_account"]
    word = "met" if target["met"] else "NOT met"
    return (f"target: fairflag's harm per account ≤ {TARGET_RATIO:.2f} × count's on the worst attack — {word} "
            f"(fairflag {ff:.3f}, count {count:.3f} per account). Of {rt['evaluations']} attacks, "
            f"{target['attacks_harming_under_fairflag']} restricted an attacked innocent under fairflag, "
            f"{target['attacks_harming_under_count']} under count; {target['attacks_over_target']} broke the "
            f"1/20 bound. The worst attack for count: {rt['max_count_harm_per_account']:.3f}/acct under count.")


def _title(result: Mapping[str, Any]) -> str:
    rt = result["red_team"]
    return (f"fairflag simulate --red-team — budget {rt['budget']}, seed {result['seed']}, world scale "
            f"{rt['world_scale']:g}, {rt['evaluations']} attacks evaluated, {result['wall_s']:.0f}s")


def rich_table(result: Mapping[str, Any]) -> Table:
    engines = result["engines"]
    table = Table(title=_title(result), header_style="bold", show_lines=True,
                  caption="harm: attacked innocent subjects restricted (of them automatically) · per attacker "
                          "account\n" + verdict(result))
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
    """Harm per attacker account of every attack evaluated, in search order: fairflag and count, with the worst
    so far of each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trace = result["red_team"]["trace"]
    fig, ax = plt.subplots(figsize=(10, 3.6))
    xs = [e["index"] for e in trace]
    for engine in ("count", "fairflag"):
        ys = [e["engines"][engine]["harm_per_account"] for e in trace]
        marker, color = MARKERS[engine]
        ax.scatter(xs, ys, marker=marker, color=color, s=16, alpha=0.6, label=f"{engine} (each attack)")
        best, running = 0.0, []
        for y in ys:
            best = max(best, y)
            running.append(best)
        ax.step(xs, running, where="post", color=color, label=f"{engine} (worst so far)")
    random_end = sum(1 for e in trace if e["phase"] != "mutant")
    ax.axvline(random_end - 0.5, color="#999", linestyle=":", linewidth=1)
    ax.set_xlabel("attack evaluated (random and policy-aware first, then mutants of the worst)")
    ax.set_ylabel("innocents restricted per account")
    ax.legend(fontsize=7)
    fig.tight_layout()
    svg = _svg(fig)
    plt.close(fig)
    return svg


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
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(_title(result))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; vertical-align: top; }}
td:nth-child(2) {{ text-align: left; max-width: 40em; }}
th {{ background: #f3f3f3; }}
figure {{ margin: 1em 0; }} svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{html.escape(_title(result))}</h1>
<p>Policy {html.escape(result['policy_version'])}. An attacker who has read the policy searches the attacks they
control (below) for the most innocent subjects restricted per account they run, against fairflag; every attack
is replayed in the same small organic world through fairflag and the baselines.</p>
<p><strong>{html.escape(verdict(result))}</strong></p>
<h2>Worst attacks found</h2><table><tr>{head}</tr>{body}</table>
<p>Harm: attacked innocent subjects restricted by any means (of them automatically) · per attacker account.
Cost model: {html.escape(rt['cost_model'])} (units: one fresh account).</p>
<h2>The search</h2><figure>{search_figure(result)}</figure>
<h2>What the attacker controls</h2><ul>{genes}</ul>
</body></html>
"""
