from decimal import Decimal

from serviceloop.core.svg_charts import bar_chart, line_chart


def test_line_chart_draws_each_point_and_the_target_line():
    svg = line_chart(
        ["2026-01", "2026-02", "2026-03"],
        [("Response <SLA>", [Decimal("96.5"), None, 90])],
        target=95,
        target_label="target",
        unit="%",
        title="Trend 趋势",
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 2  # the missing month has no point
    assert "stroke-dasharray" in svg  # the target line
    assert "Response &lt;SLA&gt;" in svg and "<SLA>" not in svg  # labels escaped
    assert "<title>Trend 趋势</title>" in svg


def test_bar_chart_draws_one_bar_per_value_from_zero():
    svg = bar_chart(["P1", "P2", "P3"], [("Tickets", [3, 0, 12])])
    assert svg.count("<rect") == 3
    assert ">12<" in svg


def test_charts_without_values_still_render():
    assert "<svg" in line_chart([], [("none", [])])
    assert "<svg" in bar_chart(["a"], [("x", [None])])
