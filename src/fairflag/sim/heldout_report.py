"""Presenting a held-out (or tune) run: the targets as a Rich table, and a self-contained HTML report with,
per family, harm and time to action against the attack's size, fairflag beside each baseline (matplotlib
figures inlined as SVG, so the file opens anywhere without a server)."""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.table import Table

from fairflag.sim.targets import BY_KEY, TARGETS, world_values

SIZE_LABEL = {"legit_coordination": "community members reporting", "queue_flood": "flood reports",
              "quiet_day": "attack size (none)"}
MARKERS = {"fairflag": ("o", "tab:green"), "count": ("s", "tab:red"), "flagscore": ("^", "tab:orange"),
           "fifo": ("v", "tab:gray")}


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "pct":
        return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"
    if unit == "count":
        return f"{value:g}"
    if unit == "ratio":
        return f"{value:.2f}"
    if value < 60:
        return f"{value:.0f}s"
    if value < 3600:
        return f"{value / 60:.1f}m"
    return f"{value / 3600:.1f}h"


def cell(summary: Mapping[str, Any] | None, unit: str) -> str:
    """``median / worst (#seed)``."""
    if summary is None:
        return "–"
    return f"{fmt(summary['median'], unit)} / {fmt(summary['worst'], unit)} (#{summary['worst_seed']})"


def rows(targets: Mapping[str, Any], engines: Sequence[str]) -> list[list[str]]:
    """Family, target, goal, each engine's median / worst (#seed), met; targets no engine measured are left out."""
    out = []
    for family, block in targets.items():
        first = True
        for t in TARGETS:
            entry = block["metrics"][t.key]
            if all(entry["engines"].get(e) is None for e in engines):
                continue
            met = {True: "yes", False: "NO", None: "–"}[entry["met"]]
            out.append([family if first else "", t.label, t.goal,
                        *(cell(entry["engines"].get(e), t.unit) for e in engines), met])
            first = False
    return out


def _title(result: Mapping[str, Any]) -> str:
    return (f"fairflag simulate --{result['set']} — seeds {result['seeds'][0]}–{result['seeds'][-1]}, scale "
            f"{result['scale']}, {len(result['scenarios'])} worlds, {result['reports']} reports, "
            f"{result['wall_s']:.0f}s")


def rich_table(result: Mapping[str, Any]) -> Table:
    engines = result["engines"]
    table = Table(title=_title(result), header_style="bold", caption="cells: median / worst (#seed of the worst)")
    for name in ("family", "target", "goal"):
        table.add_column(name, no_wrap=True)
    for engine in engines:
        table.add_column(engine, justify="right", no_wrap=True)
    table.add_column("met", justify="center")
    body = rows(result["targets"], engines)
    for i, r in enumerate(body):
        last = i + 1 == len(body) or body[i + 1][0] != ""
        table.add_row(*r, end_section=last)
    return table


# --- HTML ----------------------------------------------------------------------------------------


def svg_figure(draw: Callable[[Any, Any], None], *, ncols: int = 1, figsize: tuple[float, float],
               title: str | None = None) -> str:
    """One figure as inline SVG: ``draw(fig, axes)`` fills it (``axes`` a list of ``ncols`` axes); the common
    tail (tight layout, SVG without the XML declaration or a date, closing) lives here once."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=figsize, squeeze=False)
    try:
        draw(fig, list(axes[0]))
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    finally:
        plt.close(fig)
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # inline: no XML declaration or doctype


def _points(result: Mapping[str, Any], family: str, engine: str, key: str) -> list[tuple[float, float]]:
    out = []
    for s in result["scenarios"]:
        if s.get("family") != family:
            continue
        for r in s["results"]:
            if r["engine"] == engine:
                value = world_values(s, r)[key] if key in BY_KEY else r["metrics"].get(key)
                if value is not None:
                    out.append((float(s["world"].get("attack_size") or 0), float(value)))
    return out


def family_figure(result: Mapping[str, Any], family: str) -> str:
    """Harm, time to action and livestream time to action against attack size, one marker per engine."""
    panels = (("attacked_restricted_pct", "attacked innocents restricted (%)", False),
              ("tta_median_s", "TTA median, all violations (min)", True),
              ("live_tta_s", "TTA median, violating livestreams (min)", True))

    def draw(_fig: Any, axes: list[Any]) -> None:
        for ax, (key, label, minutes) in zip(axes, panels, strict=True):
            drawn = False
            for engine in result["engines"]:
                pts = _points(result, family, engine, key)
                if not pts:
                    continue
                marker, color = MARKERS.get(engine, ("x", None))
                ax.scatter([p[0] for p in pts], [p[1] / 60 if minutes else p[1] for p in pts], label=engine,
                           marker=marker, color=color, alpha=0.75, s=30 if engine == "fairflag" else 22,
                           zorder=3 if engine == "fairflag" else 2)
                drawn = True
            ax.set_xlabel(SIZE_LABEL.get(family, "attack size (accounts)"))
            ax.set_ylabel(label)
            if minutes and drawn:
                ax.set_yscale("log")
            if not drawn:
                ax.text(0.5, 0.5, "nothing to measure", ha="center", va="center", transform=ax.transAxes)
            else:
                ax.legend(fontsize=7)

    return svg_figure(draw, ncols=len(panels), figsize=(13, 3.3), title=family)


def html_report(result: Mapping[str, Any]) -> str:
    engines = result["engines"]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ("family", "target", "goal", *engines, "met"))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows(result["targets"], engines))
    sections = []
    for family in result["targets"]:
        worlds = [s for s in result["scenarios"] if s.get("family") == family]
        listing = "".join(
            f"<li>{html.escape(s['scenario'])}: {s['reports']} reports, reviewers "
            f"{(s.get('moderators') or {}).get('per_hour', 0):g}/h, attack size {s['world'].get('attack_size')}</li>"
            for s in worlds)
        description = html.escape(worlds[0]["description"]) if worlds else ""
        sections.append(f"<h3>{html.escape(family)}</h3><p>{description}</p>"
                        f"<figure>{family_figure(result, family)}</figure><details><summary>worlds</summary>"
                        f"<ul>{listing}</ul></details>")
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(_title(result))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; }}
td:nth-child(-n+3) {{ text-align: left; }}
th {{ background: #f3f3f3; }}
figure {{ margin: 1em 0; }} svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{html.escape(_title(result))}</h1>
<p>Policy {html.escape(result['policy_version'])}. Each family's worlds are drawn from its seeds with randomised
sizes, account ages, fingerprints, text, timing, exposure, reviewer capacity and report quality. Cells: median
world / worst world (#seed). "met": fairflag meets the goal in every world of the family.</p>
<h2>Targets</h2><table><tr>{head}</tr>{body}</table>
<h2>Per family</h2>{''.join(sections)}
</body></html>
"""
    return page
