"""Bar charts as plain SVG geometry, rendered by ``templates/partials/charts.html``.

Server-side SVG needs no JavaScript, prints, scales to a phone, and carries a text alternative:
every chart also renders its numbers as a table for screen readers.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass
class Label:
    x: float
    y: float
    text: str
    anchor: str = "start"


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    labels: list[Label]
    axis: tuple[float, float, float, float] | None = None


def horizontal(rows: list[tuple[str, Decimal | int, str, str]], width: int = 560, row: int = 30) -> Chart:
    """One bar per row: ``(label, value, value_text, css_class)``; labels left, values right."""
    label_w, value_w = 170, 80
    plot = width - label_w - value_w
    top = max((float(v) for _, v, _, _ in rows), default=0) or 1
    bars, labels = [], []
    for i, (label, value, text, css) in enumerate(rows):
        y = i * row
        length = max(float(value) / top * plot, 2 if float(value) else 0)
        bars.append(Bar(label_w, y + 6, length, row - 12, css, f"{label}: {text}"))
        labels.append(Label(label_w - 8, y + row / 2 + 4, label[:24], "end"))
        labels.append(Label(label_w + length + 6, y + row / 2 + 4, text))
    return Chart(width, max(len(rows) * row, row), bars, labels)


def grouped(groups: list[tuple[str, list[tuple[int, str, str]]]], width: int = 560, height: int = 220) -> Chart:
    """Vertical bars in groups: ``(group_label, [(value, css_class, title), ...])``."""
    left, bottom, top_pad = 28, 24, 16
    plot_h = height - bottom - top_pad
    top = max((v for _, series in groups for v, _, _ in series), default=0) or 1
    slot = (width - left) / max(len(groups), 1)
    per = max(len(groups[0][1]) if groups else 1, 1)
    bar_w = min(28.0, slot * 0.7 / per)
    bars, labels = [], []
    for gi, (group, series) in enumerate(groups):
        start = left + gi * slot + (slot - bar_w * per) / 2
        for si, (value, css, title) in enumerate(series):
            h = value / top * plot_h
            x = start + si * bar_w
            bars.append(Bar(x, top_pad + plot_h - h, bar_w - 2, h, css, title))
            if value:
                labels.append(Label(x + (bar_w - 2) / 2, top_pad + plot_h - h - 4, str(value), "middle"))
        labels.append(Label(left + gi * slot + slot / 2, height - 6, group, "middle"))
    labels.append(Label(left - 6, top_pad + 4, str(top), "end"))
    labels.append(Label(left - 6, top_pad + plot_h + 4, "0", "end"))
    return Chart(width, height, bars, labels, axis=(left, top_pad + plot_h, width, top_pad + plot_h))
