"""Charts for the follow-up report, rendered as PNG bytes.

Pure: no database, no Flask, no global pyplot state. The figure is built with the
object-oriented API (``matplotlib.figure.Figure`` on an Agg canvas), so several
reports can be rendered in the same worker process, in threads, without
interfering with each other.
"""
from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display in the worker; must come before anything imports pyplot

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from worker.report.data import StatusRow  # noqa: E402

CM_PER_INCH = 2.54
WIDTH_CM = 16.0
DPI = 150

# (attribute, legend label (plural), singular, plural, colour, hatch)
# Colours: the Okabe–Ito palette (safe for the common colour-vision deficiencies);
# every state also has its own hatching, so the chart does not rely on colour alone.
STATES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("approved", "Godkända", "godkänt", "godkända", "#009E73", ""),
    ("submitted", "Inskickade", "inskickat", "inskickade", "#56B4E9", "//"),
    ("returned", "Returnerade", "returnerat", "returnerade", "#E69F00", "xx"),
    ("draft", "Utkast", "utkast", "utkast", "#F0E442", ".."),
    ("not_started", "Ej påbörjade", "ej påbörjat", "ej påbörjade", "#BBBBBB", "\\\\"),
)

CHART_TITLE = "Diagram: antal svar per insatsområde och läge."


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def status_chart_description(rows: list[StatusRow]) -> str:
    """A Swedish sentence with every number of the chart: the picture's alt text.

    "Diagram: antal svar per insatsområde och läge. God och nära vård: 3 godkända,
    1 inskickat, 0 returnerade, 2 utkast, 5 ej påbörjade. …"
    """
    parts = [CHART_TITLE]
    if not rows:
        parts.append("Inga uppgifter.")
    for row in rows:
        counts = ", ".join(
            _count(int(getattr(row, attr) or 0), singular, plural)
            for attr, _label, singular, plural, _colour, _hatch in STATES
        )
        parts.append(f"{' '.join(str(row.focus_area).split())}: {counts}.")
    return " ".join(parts)


def status_chart_png(rows: list[StatusRow]) -> bytes:
    """A horizontal stacked bar per focus area: answers by review state, as PNG bytes."""
    labels = [textwrap.fill(" ".join(str(r.focus_area).split()) or "–", 34) for r in rows]
    line_count = sum(label.count("\n") + 1 for label in labels)
    height_in = max(1.8, 1.1 + 0.24 * line_count + 0.16 * len(rows))

    figure = Figure(figsize=(WIDTH_CM / CM_PER_INCH, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()

    positions = list(range(len(rows)))
    left = [0] * len(rows)
    for attr, label, _singular, _plural, colour, hatch in STATES:
        values = [max(0, int(getattr(r, attr) or 0)) for r in rows]
        bars = ax.barh(
            positions, values, left=left, height=0.6, label=label,
            color=colour, hatch=hatch, edgecolor="#333333", linewidth=0.6,
        )
        ax.bar_label(
            bars, labels=[str(v) if v else "" for v in values], label_type="center",
            fontsize=7, bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        )
        left = [a + b for a, b in zip(left, values)]

    ax.set_yticks(positions, labels=labels, fontsize=7)
    ax.set_ylim(max(len(rows), 1) - 0.4, -0.6)  # inverted: first focus area on top, like the table
    ax.set_xlabel("Antal delmålssvar", fontsize=8)
    ax.tick_params(axis="x", labelsize=7)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.spines[["top", "right"]].set_visible(False)
    if not rows:
        ax.text(0.5, 0.5, "Inga uppgifter", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
    ax.set_xlim(0, max(left, default=0) * 1.03 or 1)
    figure.legend(
        loc="outside lower center", ncol=len(STATES),
        fontsize=7, frameon=False, handlelength=2.2, handleheight=1.2,
    )

    buffer = io.BytesIO()
    # No "Software" stamp: the same rows give the same bytes.
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
