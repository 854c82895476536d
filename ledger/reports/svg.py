"""Small, dependency-free SVG charts for printable reports (no script, no CDN: they render in any PDF)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

PALETTE = ("#2e7d32", "#1565c0", "#f9a825", "#6a1b9a", "#c62828")


def stacked_bars(labels: Sequence[str], series: dict[str, Sequence[Decimal]], unit: str, width: int = 720,
                 height: int = 260) -> str:
    """Vertical stacked bars, one per label; `series` maps a legend name to one value per label."""
    totals = [sum((values[i] for values in series.values()), Decimal(0)) for i in range(len(labels))]
    top = max(totals, default=Decimal(0)) or Decimal(1)
    left, bottom, plot_h = 60, 40, height - 70
    slot = (width - left - 10) / max(len(labels), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(unit)}" font-family="sans-serif" font-size="11">',
             f'<text x="4" y="14">{escape(unit)}</text>',
             f'<text x="4" y="{30}">{_fmt(top)}</text>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#888"/>']
    for i, label in enumerate(labels):
        x, y = left + i * slot + slot * 0.15, height - bottom
        for colour, values in zip(PALETTE, series.values()):
            h = float(values[i] / top) * plot_h
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{colour}">'
                         f'<title>{escape(label)}: {_fmt(values[i])}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{height - bottom + 14}" text-anchor="middle">{escape(label)}</text>')
    for n, (name, colour) in enumerate(zip(series, PALETTE)):
        parts.append(f'<rect x="{left + n * 150}" y="{height - 16}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{left + n * 150 + 14}" y="{height - 7}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(items: Sequence[tuple[str, Decimal]], unit: str, width: int = 720) -> str:
    """One labelled horizontal bar per item, longest first as given."""
    top = max((v for _, v in items), default=Decimal(0)) or Decimal(1)
    row, label_w = 22, 260
    height = row * len(items) + 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(unit)}" font-family="sans-serif" font-size="11">']
    for i, (label, value) in enumerate(items):
        y = 8 + i * row
        w = float(value / top) * (width - label_w - 90)
        parts.append(f'<text x="0" y="{y + 12}">{escape(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row - 6}" fill="{PALETTE[0]}"/>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 12}">{_fmt(value)}</text>')
    parts.append(f'<text x="{label_w}" y="{height - 2}">{escape(unit)}</text></svg>')
    return "".join(parts)


def _fmt(value: Decimal) -> str:
    return f"{value:,.1f}"
