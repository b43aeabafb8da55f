"""Small SVG charts for documents (PDF reports, review packs), drawn on the server.

Browsers get ECharts; WeasyPrint runs no JavaScript, so printed documents draw their charts
here as inline SVG. Two kinds cover the reports: ``line_chart`` (a trend, with optional
target and warning lines) and ``bar_chart`` (values per category). Both return markup safe
to put in a template (every label is escaped) and take plain numbers (``None``: no value).

    line_chart(["2026-01", "2026-02"], [("Response within SLA", [96.5, 94.0])], target=95, unit="%")
"""

from collections.abc import Sequence
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997")
FONT = 'font-family="Noto Sans CJK SC, sans-serif"'


def _number(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int | float):
        return float(value)
    return None


def _format(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:.0f}"
    return f"{value:.1f}"


def _scale(points: Sequence[float | None], *, from_zero: bool) -> tuple[float, float]:
    """The axis range: the values with a small margin (from zero for bars)."""
    values = [v for v in points if v is not None]
    if not values:
        return 0.0, 1.0
    low, high = min(values), max(values)
    if from_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        return low - 1, high + 1
    margin = (high - low) * 0.08
    return (low if from_zero and low == 0 else low - margin), high + margin


class _Frame:
    """The plot area of a chart and its axis scale."""

    def __init__(self, width, height, low, high, n, *, left=44, right=12, top=12, bottom=40):
        self.width, self.height = width, height
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.low, self.high, self.n = low, high, max(n, 1)

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float) -> float:
        return self.top + self.plot_height * (1 - (value - self.low) / (self.high - self.low))

    def slot_x(self, index: int) -> float:
        """The centre of category ``index``."""
        return self.left + self.plot_width * (index + 0.5) / self.n

    def axes(self, labels: Sequence[str], unit: str) -> list[str]:
        parts = [
            f'<line x1="{self.left}" y1="{self.top}" x2="{self.left}" '
            f'y2="{self.height - self.bottom}" stroke="#adb5bd" stroke-width="1"/>',
            f'<line x1="{self.left}" y1="{self.height - self.bottom}" '
            f'x2="{self.width - self.right}" y2="{self.height - self.bottom}" '
            f'stroke="#adb5bd" stroke-width="1"/>',
        ]
        for step in range(5):
            value = self.low + (self.high - self.low) * step / 4
            y = self.y(value)
            parts.append(
                f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.width - self.right}" '
                f'y2="{y:.1f}" stroke="#e9ecef" stroke-width="0.5"/>'
                f'<text x="{self.left - 4}" y="{y + 3:.1f}" text-anchor="end" font-size="8" '
                f'{FONT} fill="#6c757d">{escape(_format(value))}{escape(unit)}</text>'
            )
        every = max(1, (len(labels) + 11) // 12)  # at most 12 labels on the axis
        for index, label in enumerate(labels):
            if index % every:
                continue
            parts.append(
                f'<text x="{self.slot_x(index):.1f}" y="{self.height - self.bottom + 12}" '
                f'text-anchor="middle" font-size="8" {FONT} fill="#495057">'
                f"{escape(label)}</text>"
            )
        return parts

    def reference_line(self, value, colour: str, label: str) -> list[str]:
        if value is None:
            return []
        y = self.y(value)
        return [
            f'<line x1="{self.left}" y1="{y:.1f}" x2="{self.width - self.right}" y2="{y:.1f}" '
            f'stroke="{colour}" stroke-width="1" stroke-dasharray="4 3"/>',
            f'<text x="{self.width - self.right}" y="{y - 2:.1f}" text-anchor="end" '
            f'font-size="7" {FONT} fill="{colour}">{escape(label)}</text>',
        ]


def _legend(names: Sequence[str], width: int, y: float) -> list[str]:
    parts, x = [], 8.0
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{x:.1f}" y="{y - 7:.1f}" width="8" height="8" fill="{colour}"/>'
            f'<text x="{x + 11:.1f}" y="{y:.1f}" font-size="8" {FONT} fill="#212529">'
            f"{escape(name)}</text>"
        )
        x += 20 + 7 * len(name)
        if x > width - 40:
            break
    return parts


def _svg(width: int, height: int, title: str, parts: list[str]) -> SafeString:
    return mark_safe(  # noqa: S308 - every text part above is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img"><title>{escape(title)}</title>'
        + "".join(parts)
        + "</svg>"
    )


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence]],
    *,
    target=None,
    warning=None,
    target_label: str = "",
    warning_label: str = "",
    unit: str = "",
    title: str = "",
    width: int = 480,
    height: int = 200,
) -> SafeString:
    """A trend per series over ``labels`` (periods); a gap where a value is None."""
    values = [[_number(v) for v in points] for _name, points in series]
    flat = [v for points in values for v in points if v is not None]
    low, high = _scale([*flat, _number(target), _number(warning)], from_zero=False)
    frame = _Frame(width, height, low, high, len(labels))
    parts = frame.axes(labels, unit)
    parts += frame.reference_line(_number(warning), "#fd7e14", warning_label)
    parts += frame.reference_line(_number(target), "#198754", target_label)
    for index, points in enumerate(values):
        colour = PALETTE[index % len(PALETTE)]
        path, pen_down = [], False
        for position, value in enumerate(points):
            if value is None:
                pen_down = False
                continue
            x, y = frame.slot_x(position), frame.y(value)
            path.append(f"{'L' if pen_down else 'M'}{x:.1f} {y:.1f}")
            pen_down = True
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}"/>')
        if path:
            parts.append(
                f'<path d="{" ".join(path)}" fill="none" stroke="{colour}" stroke-width="1.5"/>'
            )
    parts += _legend([name for name, _points in series], width, height - 8)
    return _svg(width, height, title, parts)


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence]],
    *,
    unit: str = "",
    title: str = "",
    width: int = 480,
    height: int = 200,
) -> SafeString:
    """Bars per category, one bar per series side by side, each with its value on top."""
    values = [[_number(v) for v in points] for _name, points in series]
    flat = [v for points in values for v in points if v is not None]
    low, high = _scale(flat, from_zero=True)
    frame = _Frame(width, height, low, high, len(labels))
    parts = frame.axes(labels, unit)
    count = max(len(values), 1)
    slot = frame.plot_width / frame.n
    bar = max(2.0, slot * 0.7 / count)
    base = frame.y(max(frame.low, 0.0))
    for index, points in enumerate(values):
        colour = PALETTE[index % len(PALETTE)]
        for position, value in enumerate(points):
            if value is None:
                continue
            x = frame.slot_x(position) - bar * count / 2 + bar * index
            y = frame.y(value)
            top, size = min(y, base), abs(base - y)
            parts.append(
                f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar:.1f}" height="{size:.1f}" '
                f'fill="{colour}"/>'
            )
            if len(labels) <= 16:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{top - 2:.1f}" text-anchor="middle" '
                    f'font-size="7" {FONT} fill="#212529">{escape(_format(value))}</text>'
                )
    if len(series) > 1:
        parts += _legend([name for name, _points in series], width, height - 8)
    return _svg(width, height, title, parts)
