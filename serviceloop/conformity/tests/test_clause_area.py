"""A clause page names the area of ServiceLoop that holds its evidence by the area's name in
the reader's language (found on the set-up journey of issue 7: it showed the code
"planning" in the Chinese UI)."""

from django.urls import reverse
from django.utils import translation

from serviceloop.conformity.models import Clause


def test_the_area_is_named_in_the_readers_language(people, clauses, client_for):
    people.owner.language = "en"
    people.owner.save(update_fields=["language"])
    people.top.language = "zh-hans"
    people.top.save(update_fields=["language"])

    english = client_for(people.owner).get(reverse("clause_detail", args=["4.3"]))
    chinese = client_for(people.top).get(reverse("clause_detail", args=["7.5.1"]))

    with translation.override("zh-hans"):
        support_zh = str(translation.gettext("Support"))
    assert english.status_code == chinese.status_code == 200
    assert '<span data-testid="area">Planning</span>' in english.content.decode()
    assert f'<span data-testid="area">{support_zh}</span>' in chinese.content.decode()


def test_an_unknown_area_shows_its_code_and_none_shows_nothing(db):
    with translation.override("en"):
        assert Clause(number="99", area="planning").area_label == "Planning"
        assert Clause(number="99", area="elsewhere").area_label == "elsewhere"
        assert Clause(number="99", area="").area_label == ""
