"""The fast select renderer writes exactly what Django's templates write."""

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from serviceloop.core.form_renderer import FormRenderer


class Sample(forms.Form):
    plain = forms.ChoiceField(choices=[("", "— any —"), ("a", "A & <b>"), ("2", "二")])
    grouped = forms.ChoiceField(
        choices=[("Group <1>", [("x", "X"), ("y", 'Y "q"')]), ("z", "Z")], required=False
    )
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two"), (3, "three")])
    disabled = forms.ChoiceField(choices=[("a", "A")], disabled=True)


@pytest.mark.parametrize(
    "data", [None, {"plain": "a", "grouped": "y", "many": ["1", "3"], "disabled": "a"}]
)
def test_select_html_equals_djangos_templates(data):
    ours = Sample(data, renderer=FormRenderer())
    djangos = Sample(data, renderer=DjangoTemplates())
    for name in ("plain", "grouped", "many", "disabled"):
        expected = str(djangos[name])
        assert str(ours[name]) == expected
        assert "<select" in expected


def test_project_forms_use_the_fast_renderer(settings):
    from django.forms.renderers import get_default_renderer

    get_default_renderer.cache_clear()
    assert isinstance(get_default_renderer(), FormRenderer)
