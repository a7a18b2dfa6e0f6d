"""Charts as SVG drawn on the server with matplotlib (no script, no third-party front-end code).

The SVG is inlined in the page with ``role="img"`` and a label; the same figures are in a table beside
each chart, which is what screen readers and the CSV export use. The console's Content-Security-Policy allows
no inline style, so the ``<style>`` element matplotlib writes is dropped (the drawing does not need it) and each
``style="fill: ...; stroke: ..."`` attribute becomes the equivalent SVG presentation attributes
(``fill="..." stroke="..."``), which the policy does not govern.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib
import networkx as nx
from markupsafe import Markup, escape
from matplotlib.figure import Figure

_STYLE = re.compile(r"<style[^>]*>.*?</style>", re.S)
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>", re.S)
_STYLE_ATTR = re.compile(r' style="([^"]*)"')
_INK, _ACCENT, _WARM = "#1b1f24", "#0b5cad", "#a44a00"
_RC = {"svg.fonttype": "none", "svg.hashsalt": "fairflag", "font.size": 9}


def _svg(fig: Figure, label: str) -> Markup:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = _PROLOGUE.sub("", _METADATA.sub("", _STYLE.sub("", buf.getvalue())), count=1)
    text = _STYLE_ATTR.sub(_attributes, text)
    return Markup(text.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


def _attributes(match: re.Match[str]) -> str:
    pairs = (d.split(":", 1) for d in match.group(1).split(";") if ":" in d)
    return "".join(f' {name.strip()}="{escape(value.strip())}"' for name, value in pairs)


# Distinguishable colours (tab20's darker half and a few more), each with contrast enough on white.
_PALETTE = ["#0b5cad", "#a44a00", "#2f6b3a", "#6b3fa0", "#7a5c00", "#8a1f3d", "#00697a", "#5c5c5c", "#b3245b",
            "#3d5c00", "#3b3fbf", "#8a4b2a", "#006b5a", "#7a2e8f", "#4a4a00"]


def bars(labels: Sequence[str], series: dict[str, Sequence[float]], label: str, *, ylabel: str = "",
         stacked: bool = False) -> Markup:
    """Vertical bars, one group per label: side by side, or ``stacked`` (totals read off the top)."""
    with matplotlib.rc_context(_RC):  # also while saving: the SVG options
        fig = Figure(figsize=(7.0, 2.6))
        ax = fig.add_subplot()
        n = 1 if stacked else max(1, len(series))
        width = 0.8 / n
        bottom = [0.0] * len(labels)
        for i, (name, values) in enumerate(series.items()):
            offset = 0 if stacked else i
            xs = [x - 0.4 + width * (offset + 0.5) for x in range(len(labels))]
            ax.bar(xs, values, width=width, label=name, color=_PALETTE[i % len(_PALETTE)],
                   bottom=bottom if stacked else None)
            if stacked:
                bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        ax.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 6 else 0, ha="right"
                      if len(labels) > 6 else "center")
        ax.set_ylabel(ylabel)
        top = max(bottom) if stacked else max((v for values in series.values() for v in values), default=0)
        ax.set_ylim(0, top * 1.1 if top > 0 else 1)
        ax.spines[["top", "right"]].set_visible(False)
        if len(series) > 1:
            ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _svg(fig, label)


def campaign_graph(edges: Sequence[tuple[str, str]], label: str) -> Markup:
    """Members (pseudonyms, small dots) linked to the subjects they reported (squares): a bipartite layout."""
    graph = nx.Graph()
    members = sorted({m for m, _ in edges})
    targets = sorted({t for _, t in edges})
    graph.add_nodes_from(members, side=0)
    graph.add_nodes_from(targets, side=1)
    graph.add_edges_from(edges)
    with matplotlib.rc_context(_RC):  # also while saving: the SVG options
        fig = Figure(figsize=(7.0, max(2.4, min(9.0, 0.2 * max(len(members), len(targets)) + 0.8))))
        ax = fig.add_subplot()
        ax.set_axis_off()
        if members:
            pos = nx.bipartite_layout(graph, members, align="vertical")
            nx.draw_networkx_edges(graph, pos, ax=ax, edge_color="#9aa5b1", width=0.6)
            nx.draw_networkx_nodes(graph, pos, nodelist=members, ax=ax, node_size=18, node_color=_WARM)
            nx.draw_networkx_nodes(graph, pos, nodelist=targets, ax=ax, node_size=40, node_color=_ACCENT,
                                   node_shape="s")
            if len(targets) <= 30:
                nx.draw_networkx_labels(graph, {t: (pos[t][0] + 0.04, pos[t][1]) for t in targets},
                                        labels={t: t for t in targets}, ax=ax, font_size=8,
                                        horizontalalignment="left", font_color=_INK, clip_on=False)
            ax.set_title(f"{len(members)} members (left) and the {len(targets)} subjects they reported (right)",
                         fontsize=9, color=_INK)
        return _svg(fig, label)

