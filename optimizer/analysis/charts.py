"""Charts as SVG text, written by hand: no plotting library, self-contained, embeddable in HTML.

matplotlib is not a dependency of the project, and these charts need only
lines, bars, ticks and labels; SVG keeps every report one self-contained file.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from html import escape

PALETTE = ("#1f5f8b", "#e07b39", "#4c9a5f", "#b8405e", "#7a5ea8", "#8c6d31", "#3a9ab0", "#c4a000", "#666666", "#d45087")
FONT = "font-family:Helvetica,Arial,sans-serif"


def money_short(v: float) -> str:
    """£1.2m, £350k, £900, -£20k."""
    sign, v = ("-" if v < 0 else ""), abs(v)
    for div, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if v >= div:
            return f"{sign}£{v / div:,.3g}{suffix}"
    return f"{sign}£{v:,.0f}"


def ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step + 1e-9) * step
    out = [first]
    while out[-1] < hi - step * 1e-9:
        out.append(first + step * len(out))
    return [round(v, 12) for v in out]


class _Frame:
    """Plot area and the mapping from data to pixels."""

    def __init__(self, width: int, height: int, y_lo: float, y_hi: float, *, include_zero: bool = True,
                 left: int = 78, right: int = 20, top: int = 40, bottom: int = 60):
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        if include_zero:
            y_lo, y_hi = min(y_lo, 0.0), max(y_hi, 0.0)
        if y_hi <= y_lo:
            y_lo, y_hi = y_lo - max(1.0, abs(y_lo) * 0.05), y_hi + max(1.0, abs(y_hi) * 0.05)
        self.yt = ticks(y_lo, y_hi)
        self.y_lo, self.y_hi = self.yt[0], self.yt[-1]

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, v: float) -> float:
        return self.top + self.plot_h * (1 - (v - self.y_lo) / (self.y_hi - self.y_lo or 1.0))


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(title)}" style="{FONT};font-size:12px">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" style="font-size:15px;font-weight:bold">{escape(title)}</text>']


def _y_axis(f: _Frame, label: str, fmt: Callable[[float], str]) -> list[str]:
    out = []
    for v in f.yt:
        y = f.y(v)
        out.append(f'<line x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(v))}</text>')
    out.append(f'<line x1="{f.left}" x2="{f.left}" y1="{f.top}" y2="{f.height - f.bottom}" stroke="#333"/>')
    out.append(f'<text transform="translate(14,{f.top + f.plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">{escape(label)}</text>')
    return out


def _legend(names: list[str], f: _Frame) -> list[str]:
    out, x = [], f.left
    for j, name in enumerate(names):
        y = f.height - 14
        out.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>')
        out.append(f'<text x="{x + 14}" y="{y}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return out


def line_chart(points: list[tuple[float, float]], *, title: str, x_label: str, y_label: str,
               x_format: Callable[[float], str] = lambda v: f"{v:g}", y_format: Callable[[float], str] = money_short,
               marker: tuple[float, float, str] | None = None, tangent: tuple[float, float, float, float] | None = None,
               width: int = 680, height: int = 400) -> str:
    """A line through ``points`` (x, y); ``marker`` (x, y, label) rings one point; ``tangent`` (x0, y0, slope, half-width) draws a price line."""
    xs = [p[0] for p in points] or [0.0, 1.0]
    ys = [p[1] for p in points] or [0.0, 1.0]
    f = _Frame(width, height, min(ys), max(ys), include_zero=False)
    x_lo, x_hi = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1

    def px(v: float) -> float:
        return f.left + f.plot_w * (v - x_lo) / (x_hi - x_lo)

    out = _open(width, height, title) + _y_axis(f, y_label, y_format)
    for v in ticks(x_lo, x_hi):
        if x_lo - 1e-12 <= v <= x_hi + 1e-12:
            out.append(f'<text x="{px(v):.1f}" y="{height - f.bottom + 18}" text-anchor="middle">{escape(x_format(v))}</text>')
    out.append(f'<line x1="{f.left}" x2="{width - f.right}" y1="{height - f.bottom}" y2="{height - f.bottom}" stroke="#333"/>')
    out.append(f'<text x="{f.left + f.plot_w / 2:.1f}" y="{height - f.bottom + 38}" text-anchor="middle">{escape(x_label)}</text>')
    if tangent is not None:
        x0, y0, slope, half = tangent
        a, b = max(x_lo, x0 - half), min(x_hi, x0 + half)
        out.append(f'<line x1="{px(a):.1f}" y1="{f.y(y0 + slope * (a - x0)):.1f}" x2="{px(b):.1f}" y2="{f.y(y0 + slope * (b - x0)):.1f}" '
                   f'stroke="{PALETTE[1]}" stroke-width="2" stroke-dasharray="6 4"/>')
    if points:
        path = " ".join(f"{'M' if j == 0 else 'L'}{px(x):.1f},{f.y(y):.1f}" for j, (x, y) in enumerate(points))
        out.append(f'<path d="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2.5"/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{f.y(y):.1f}" r="3.5" fill="{PALETTE[0]}"/>' for x, y in points]
    if marker is not None:
        mx, my, label = marker
        out.append(f'<line x1="{px(mx):.1f}" x2="{px(mx):.1f}" y1="{f.top}" y2="{height - f.bottom}" stroke="#999" stroke-dasharray="3 3"/>')
        out.append(f'<circle cx="{px(mx):.1f}" cy="{f.y(my):.1f}" r="7" fill="none" stroke="{PALETTE[3]}" stroke-width="2.5"/>')
        anchor = "end" if px(mx) > f.left + f.plot_w * 0.6 else "start"
        dx = -10 if anchor == "end" else 10
        out.append(f'<text x="{px(mx) + dx:.1f}" y="{f.y(my) - 10:.1f}" text-anchor="{anchor}" fill="{PALETTE[3]}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def bar_chart(categories: list[str], series: dict[str, list[float]], *, title: str, y_label: str, stacked: bool = False,
              y_format: Callable[[float], str] = money_short, width: int = 680, height: int = 380) -> str:
    """Bars per category: one bar per series side by side, or ``stacked``."""
    names = list(series)
    values = [series[n] for n in names]
    if stacked:
        tops = [sum(max(0.0, v[c]) for v in values) for c in range(len(categories))]
        bottoms = [sum(min(0.0, v[c]) for v in values) for c in range(len(categories))]
    else:
        tops = [max((v[c] for v in values), default=0.0) for c in range(len(categories))]
        bottoms = [min((v[c] for v in values), default=0.0) for c in range(len(categories))]
    f = _Frame(width, height, min(bottoms + [0.0]), max(tops + [0.0]) or 1.0)
    out = _open(width, height, title) + _y_axis(f, y_label, y_format)
    slot = f.plot_w / max(1, len(categories))
    bar_w = slot * 0.7 / (1 if stacked else max(1, len(names)))
    for c, cat in enumerate(categories):
        x0 = f.left + slot * c + slot * 0.15
        pos = neg = 0.0
        for s, vals in enumerate(values):
            v = vals[c]
            if stacked:
                base = pos if v >= 0 else neg
                lo, hi = (base, base + v) if v >= 0 else (base + v, base)
                pos, neg = (pos + v, neg) if v >= 0 else (pos, neg + v)
                x = x0
            else:
                lo, hi = min(0.0, v), max(0.0, v)
                x = x0 + bar_w * s
            y1, y2 = f.y(hi), f.y(lo)
            out.append(f'<rect x="{x:.1f}" y="{y1:.1f}" width="{bar_w:.1f}" height="{max(0.0, y2 - y1):.1f}" '
                       f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(f"{names[s]}, {cat}: {y_format(v)}")}</title></rect>')
        out.append(f'<text x="{x0 + slot * 0.35:.1f}" y="{height - f.bottom + 16}" text-anchor="middle">{escape(cat[:16])}</text>')
    zero = f.y(0.0)
    out.append(f'<line x1="{f.left}" x2="{width - f.right}" y1="{zero:.1f}" y2="{zero:.1f}" stroke="#333"/>')
    if len(names) > 1 or stacked:
        out += _legend(names, f)
    out.append("</svg>")
    return "\n".join(out)
