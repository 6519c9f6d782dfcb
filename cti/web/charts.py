"""Charts as inline SVG drawn on the server: no JavaScript library, printable, and the
Content-Security-Policy stays 'self' only. Labels are escaped like any other text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

PALETTE = ("#1f6fb2", "#d9822b", "#2e9e5b", "#b23b3b", "#7a4fb2", "#5b7c8d", "#c2a300", "#8d5b3e", "#3bb2a8",
           "#888888")


def _num(v: float) -> str:
    return f"{v:g}" if abs(v) >= 10 or v == int(v) else f"{v:.1f}"


def hbar(items: Sequence[tuple[str, float]], *, title: str, width: int = 520, unit: str = "") -> Markup:
    """Horizontal bars, one per (label, value)."""
    row, label_w, pad = 22, 190, 6
    height = max(1, len(items)) * row + 30
    top = max((v for _, v in items), default=0) or 1
    bar_w = width - label_w - 70
    parts = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
             f'<text x="0" y="14" class="chart-title" font-size="13" font-weight="bold">{escape(title)}</text>']
    for i, (label, value) in enumerate(items):
        y = 24 + i * row
        w = bar_w * value / top
        parts.append(f'<text x="{label_w - pad}" y="{y + 14}" font-size="12" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 7}" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="12">{_num(value)}{escape(unit)}</text>')
    if not items:
        parts.append('<text x="0" y="40" font-size="12" fill="#777">Нет данных</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def lines(series: Mapping[str, Sequence[float]], x_labels: Sequence[str], *, title: str, width: int = 640,
          height: int = 240, unit: str = "") -> Markup:
    """One polyline per series over the same x positions, with a legend."""
    left, right, top_pad, bottom = 40, 10, 24, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max((v for vs in series.values() for v in vs), default=0) or 1
    n = max(1, len(x_labels))
    step = plot_w / max(1, n - 1)

    def xy(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{top_pad + plot_h - plot_h * v / top:.1f}"

    legend_h = 16 * ((len(series) + 3) // 4)
    total_h = height + legend_h
    parts = [f'<svg class="chart" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
             f'viewBox="0 0 {width} {total_h}"><title>{escape(title)}</title>',
             f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - right}" y2="{top_pad + plot_h}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top_pad + 8}" font-size="11" text-anchor="end">{_num(top)}{escape(unit)}</text>',
             f'<text x="{left - 4}" y="{top_pad + plot_h}" font-size="11" text-anchor="end">0</text>']
    every = max(1, n // 8)
    for i, label in enumerate(x_labels):
        if i % every == 0:
            parts.append(f'<text x="{left + i * step:.1f}" y="{top_pad + plot_h + 16}" font-size="10" '
                         f'text-anchor="middle">{escape(label)}</text>')
    for k, (name, values) in enumerate(series.items()):
        color = PALETTE[k % len(PALETTE)]
        pts = " ".join(xy(i, v) for i, v in enumerate(values))
        if len(values) == 1:
            x, y = xy(0, values[0]).split(",")
            parts.append(f'<circle cx="{x}" cy="{y}" r="3" fill="{color}"/>')
        else:
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{color}" stroke-width="2"/>')
        lx, ly = 10 + (k % 4) * (width // 4), height + 12 + 16 * (k // 4)
        parts.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{ly}" font-size="11">{escape(name)}</text>')
    if not series:
        parts.append(f'<text x="{left}" y="{top_pad + 30}" font-size="12" fill="#777">Нет данных</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
