"""Presenting a suite result: a Rich table for the terminal and a self-contained HTML report (figures as
inline base64 PNGs drawn with matplotlib's Agg backend, so the file opens anywhere without a server)."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable
from typing import Any

from rich.table import Table

from fairflag.sim.metrics import action_times

COLUMNS: tuple[tuple[str, str], ...] = (
    ("attacked restricted", "attacked innocent subjects wrongly restricted, by any means"),
    ("innocent restricted", "all reported non-violating subjects restricted"),
    ("TTA med", "first report to first action on violating subjects, median (censored at the horizon)"),
    ("TTA p95", "the same, 95th percentile (nearest rank)"),
    ("never", "violating subjects never actioned"),
    ("live TTA", "median time to action on violating livestreams"),
    ("scam TTA", "median time to action on the community-reported real scam"),
    ("dec/viol", "reviewer decisions per true violation found"),
    ("dec attacked", "share of reviewer decisions spent on attacked innocent subjects"),
    ("overturned", "automatic restrictions overturned / all automatic restrictions"),
    ("campaign P/R", "campaign detection precision / recall, by reporter account"),
    ("honest sanct.", "honest reporters wrongly warned or suspended"),
    ("rep/s", "reports replayed per second (wall clock, including reviews)"),
)


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def fmt_rate(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def fmt_count_rate(n: int | None, of: int | None) -> str:
    if n is None or not of:
        return "–"
    return f"{n}/{of} ({100 * n / of:.0f}%)"


def row(m: dict[str, Any]) -> list[str]:
    """One engine's metrics as table cells, in COLUMNS order."""
    pr = "–"
    if m.get("campaign_precision") is not None or m.get("campaign_recall") is not None:
        pr = f"{fmt_rate(m.get('campaign_precision'))}/{fmt_rate(m.get('campaign_recall'))}"
    dpv = m.get("decisions_per_true_violation")
    return [
        fmt_count_rate(m["attacked_innocent_restricted"], m["attacked_innocent"]),
        fmt_count_rate(m["innocent_restricted"], m["innocent_reported"]),
        fmt_duration(m.get("tta_median_s")),
        fmt_duration(m.get("tta_p95_s")),
        str(m.get("violating_never_actioned", "–")),
        fmt_duration(m.get("tta_live_median_s")),
        fmt_duration(m.get("tta_legit_scam_median_s")),
        "–" if dpv is None else f"{dpv:.1f}",
        fmt_rate(m.get("decision_share_attacked_innocent")),
        "–" if not m.get("auto_restrictions") else f"{m['restrictions_overturned']}/{m['auto_restrictions']}",
        pr,
        "–" if m.get("honest_wrongly_sanctioned") is None else str(m["honest_wrongly_sanctioned"]),
        "–" if m.get("reports_per_s") is None else f"{m['reports_per_s']:.0f}",
    ]


def rich_table(result: dict[str, Any]) -> Table:
    table = Table(title=f"fairflag simulate — seed {result['seed']}, scale {result['scale']}, "
                        f"{result['reports']} reports, {result['wall_s']:.0f}s",
                  show_lines=False, header_style="bold")
    table.add_column("scenario", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    for name, _ in COLUMNS:
        table.add_column(name, justify="right")
    for scenario in result["scenarios"]:
        for i, r in enumerate(scenario["results"]):
            table.add_row(scenario["scenario"] if i == 0 else "", r["engine"], *row(r["metrics"]),
                          end_section=i == len(scenario["results"]) - 1)
    return table


# --- HTML ----------------------------------------------------------------------------------------


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figures(result: dict[str, Any]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = []
    engines = result["engines"]
    attacked = [s for s in result["scenarios"]
                if s["results"] and s["results"][0]["metrics"]["attacked_innocent"] > 0]
    if attacked:
        fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(attacked) * len(engines) / 2), 4))
        width = 0.8 / max(1, len(engines))
        for j, engine in enumerate(engines):
            values = [next((r["metrics"]["attacked_innocent_restricted_rate"] or 0.0)
                           for r in s["results"] if r["engine"] == engine) for s in attacked]
            ax.bar([i + j * width for i in range(len(attacked))], values, width, label=engine)
        ax.set_xticks([i + width * (len(engines) - 1) / 2 for i in range(len(attacked))])
        ax.set_xticklabels([s["scenario"] for s in attacked], rotation=30, ha="right")
        ax.set_ylabel("attacked innocent subjects restricted")
        ax.set_ylim(0, 1.05)
        ax.legend()
        ax.set_title("Wrongful restriction rate per scenario")
        figures.append(("Wrongful-restriction rate of attacked innocent subjects", _png(fig)))
        plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, label, select in ((axes[0], "all violating subjects", None), (axes[1], "violating livestreams",
                                                                          "livestream")):
        data = []
        for engine in engines:
            times: list[float] = []
            for s in result["scenarios"]:
                for r in s["results"]:
                    if r["engine"] == engine:
                        subjects = [x for x in r["subjects"] if select is None or x["kind"] == select]
                        times += action_times(subjects, s["horizon_s"])
            data.append([max(t, 1.0) / 3600 for t in times] or [float("nan")])
        ax.boxplot(data, whis=(5, 95), showfliers=False)
        ax.set_xticks(range(1, len(engines) + 1))
        ax.set_xticklabels(engines)
        ax.set_yscale("log")
        ax.set_ylabel("hours from first report to action")
        ax.set_title(f"Time to action: {label}")
    figures.append(("Time-to-action distributions (whiskers 5th–95th percentile; never-actioned censored at "
                    "the horizon)", _png(fig)))
    plt.close(fig)

    traced = [(s, r) for s in result["scenarios"] for r in s["results"] if r["engine"] == "fairflag" and r["traces"]]
    if traced:
        cols = 3
        rows = (len(traced) + cols - 1) // cols
        fig, grid = plt.subplots(rows, cols, figsize=(5 * cols, 3.2 * rows), squeeze=False)
        for ax in grid.flat[len(traced):]:
            ax.axis("off")
        for ax, (s, r) in zip(grid.flat, traced, strict=False):
            truth = {x["subject"]: x for x in r["subjects"]}
            for subject, points in sorted(r["traces"].items()):
                if not points:
                    continue
                info = truth.get(subject, {})
                violating = info.get("violating")
                color = "tab:blue" if violating else "tab:red"
                label = ("violating " if violating else "attacked innocent ") + subject
                t0 = points[0][0]  # each subject on its own clock: hours since its first traced report
                ax.step([(p[0] - t0) / 3600 for p in points], [p[1] for p in points], where="post", color=color,
                        label=label, marker=".", markersize=3)
                if info.get("first_restricted_t") is not None and info["first_restricted_t"] >= t0:
                    ax.axvline((info["first_restricted_t"] - t0) / 3600, color=color, linestyle=":", linewidth=1)
            ax.set_title(s["scenario"], fontsize=9)
            ax.set_xlabel("hours since the subject's first report")
            ax.set_ylabel("cases.priority")
            ax.legend(fontsize=7)
        fig.tight_layout()
        figures.append(("fairflag's score (cases.priority after each report) of the most reported attacked "
                        "innocent subject and the most reported violating subject, each from its first report; "
                        "dotted: first restriction. A drop to the floor is a reviewer's decision closing the case; "
                        "the next report opens a new one.",
                        _png(fig)))
        plt.close(fig)
    return figures


def _html_table(result: dict[str, Any]) -> str:
    head = "".join(f"<th title='{html.escape(t)}'>{html.escape(n)}</th>" for n, t in COLUMNS)
    body = []
    for s in result["scenarios"]:
        for i, r in enumerate(s["results"]):
            name = (f"<td rowspan='{len(s['results'])}' title='{html.escape(s['description'])}'>"
                    f"{html.escape(s['scenario'])}</td>") if i == 0 else ""
            cells = "".join(f"<td>{html.escape(c)}</td>" for c in row(r["metrics"]))
            body.append(f"<tr>{name}<td>{html.escape(r['engine'])}</td>{cells}</tr>")
    return f"<table><tr><th>scenario</th><th>engine</th>{head}</tr>{''.join(body)}</table>"


def _definitions() -> str:
    items = "".join(f"<li><b>{html.escape(n)}</b>: {html.escape(t)}</li>" for n, t in COLUMNS)
    return f"<ul>{items}</ul>"


def html_report(result: dict[str, Any]) -> str:
    """The whole report as one HTML document."""
    figures = "".join(
        f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        for caption, data in _figures(result)
    )
    scenarios = "".join(
        f"<li><b>{html.escape(s['scenario'])}</b>: {html.escape(s['description'])} ({s['reports']} reports, "
        f"{s['horizon_s'] / 3600:.0f} h, reviewers {_moderators(s['moderators'])})</li>"
        for s in result["scenarios"]
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>fairflag simulate</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: right; }}
td:first-child, td:nth-child(2) {{ text-align: left; }}
th {{ background: #f3f3f3; }}
figure {{ margin: 2em 0; }} img {{ max-width: 100%; }}
</style></head><body>
<h1>fairflag simulate</h1>
<p>Seed {result['seed']}, scale {result['scale']}, engines {html.escape(', '.join(result['engines']))},
policy {html.escape(result['policy_version'])}; {result['reports']} reports in {result['wall_s']:.0f} s.</p>
<h2>Scenarios</h2><ul>{scenarios}</ul>
<h2>Results</h2>{_html_table(result)}
<h3>Columns</h3>{_definitions()}
<h2>Figures</h2>{figures}
</body></html>
"""


def _moderators(m: dict[str, float] | None) -> str:
    if not m:
        return "none"
    return (f"{m['per_hour']:g}/h, false negatives {100 * m['error_false_negative']:g}%, "
            f"false positives {100 * m['error_false_positive']:g}%")


def engine_names(values: Iterable[str]) -> list[str]:
    return [v.strip() for v in values if v.strip()]
