"""BootstrapMixin: every widget gets Bootstrap's classes; radio buttons and checkbox lists are
drawn as checks, never as text boxes."""

import re

from django import forms
from django.template import Context, Template

from serviceloop.core.forms import BootstrapMixin

CHOICES = [("a", "甲 Alpha"), ("b", "乙 Beta")]


class OwnTemplates(forms.RadioSelect):
    template_name = "django/forms/widgets/select.html"  # a widget that draws itself


class SampleForm(BootstrapMixin, forms.Form):
    name = forms.CharField()
    kind = forms.ChoiceField(choices=CHOICES)
    decision = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)
    modules = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(required=False)
    already = forms.ChoiceField(
        choices=CHOICES, widget=forms.RadioSelect(attrs={"class": "form-check-input"})
    )
    custom = forms.ChoiceField(choices=CHOICES, widget=OwnTemplates)


def inputs(html: str, name: str) -> list[str]:
    return re.findall(rf'<input type="\w+" name="{name}"[^>]*>', html)


def test_radio_buttons_are_drawn_as_bootstrap_checks():
    html = str(SampleForm()["decision"])

    buttons = inputs(html, "decision")
    assert len(buttons) == 2 and all('class="form-check-input"' in b for b in buttons)
    assert "form-control" not in html
    assert html.startswith('<div id="id_decision">')  # the list around them: no class
    assert html.count('<div class="form-check">') == 2
    assert '<label class="form-check-label" for="id_decision_1">乙 Beta</label>' in html


def test_checkbox_lists_are_drawn_as_bootstrap_checks_and_keep_their_choices():
    form = SampleForm({"name": "x", "kind": "a", "decision": "a", "modules": ["a", "b"],
                       "already": "a", "custom": "a"})  # fmt: skip
    html = str(form["modules"])

    boxes = inputs(html, "modules")
    assert [('type="checkbox"' in b, "checked" in b) for b in boxes] == [(True, True)] * 2
    assert all('class="form-check-input"' in b for b in boxes) and "form-control" not in html
    assert form.is_valid() and form.cleaned_data["modules"] == ["a", "b"]


def test_other_widgets_keep_their_classes_and_a_class_is_never_doubled():
    form = SampleForm()

    assert form.fields["name"].widget.attrs["class"] == "form-control"
    assert form.fields["kind"].widget.attrs["class"] == "form-select"
    assert form.fields["active"].widget.attrs["class"] == "form-check-input"
    assert form.fields["already"].widget.attrs["class"] == "form-check-input"
    # a widget with templates of its own keeps them
    assert form.fields["custom"].widget.template_name == "django/forms/widgets/select.html"


def test_the_form_fields_partial_labels_a_checkbox_list_above_it():
    html = Template('{% include "_form_fields.html" %}').render(Context({"form": SampleForm()}))

    assert re.search(r'<div class="mb-3">\s*<label class="form-label"[^>]*>Modules', html)
    # a single checkbox is still drawn with its label after it
    assert re.search(r'<div class="mb-3 form-check">\s*<input type="checkbox" name="active"', html)
