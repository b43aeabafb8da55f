"""The core slot mechanism the knowledge panels use: ``{% slot %}`` renders every panel
registered for a name, with the page's context and what the panel's function adds."""

import pytest
from django.template import Context, Template

from serviceloop.core import slots
from serviceloop.core.slots import slot_name, slot_panels, slot_register, slot_unregister


@pytest.fixture
def test_slot():
    name = "tests.page.side"
    yield name
    for panel in slot_panels(name):
        slot_unregister(name, panel.template)


def render(source: str, **context) -> str:
    return Template("{% load slots %}" + source).render(Context(context))


def test_a_slot_nobody_fills_renders_nothing():
    assert render('{% slot "nobody.fills.this" %}') == ""
    assert render('{% slot "form_page" missing %}') == ""


def test_panels_render_in_order_with_the_page_context(test_slot, settings, tmp_path):
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    (tmp_path / "first.html").write_text("[first {{ ticket }} {{ extra }}]")
    (tmp_path / "second.html").write_text("[second {{ ticket }}]")
    (tmp_path / "hidden.html").write_text("[hidden]")
    slot_register(test_slot, "second.html", order=20)
    slot_register(test_slot, "first.html", context=lambda c: {"extra": c["ticket"] * 2}, order=10)
    slot_register(test_slot, "hidden.html", context=lambda c: None)
    slot_register(test_slot, "first.html")  # once only

    html = Template('{% load slots %}{% slot "tests.page" "side" %}').render(
        Context({"ticket": "T"})
    )

    assert html == "[first T TT][second T]"


def test_a_failing_panel_is_left_out_and_logged(test_slot, settings, tmp_path, caplog):
    settings.DEBUG = False
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    (tmp_path / "ok.html").write_text("ok")

    def broken(context):
        raise RuntimeError("boom")

    slot_register(test_slot, "broken.html", context=broken)
    slot_register(test_slot, "ok.html")

    assert render(f'{{% slot "{test_slot}" %}}') == "ok"
    assert "broken.html failed" in caplog.text


def test_slot_names_join_their_parts():
    assert slot_name("form_page", "ticket_new") == "form_page.ticket_new"
    assert slot_name("form_page", None) == ""
    assert slots.slot_panels("form_page.ticket_new")  # the knowledge suggestions
    assert slots.slot_panels("desk.ticket_detail.side")  # the ticket's knowledge panel
