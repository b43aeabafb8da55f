"""Ticket search: one page for agents and customers, scoped by ``Ticket.objects.visible_to``."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from serviceloop.core.roles import Capability
from serviceloop.desk.search import MAX_QUERY_CHARS, query_parse, search_results

RESULT_LIMIT = 50


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search tickets"),
        max_length=MAX_QUERY_CHARS,
        required=False,
        strip=True,
    )

    def clean_q(self):
        query = self.cleaned_data["q"]
        parsed = query_parse(query)
        if query and not (parsed.words or parsed.references):
            raise forms.ValidationError(
                _("Nothing to search for in “%(query)s”: type a word or a ticket reference.")
                % {"query": query}
            )
        return query


@login_required
def search(request):
    """``/desk/search/?q=``: the tickets the user may see that match, best first, with the
    matching words highlighted. Customers find only their tickets and never by the words of
    an internal note."""
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = search_results(request.user, query, RESULT_LIMIT) if query else []
    context = {
        "form": form,
        "query": query,
        "results": results,
        "limit": RESULT_LIMIT,
        "is_staff": request.user.has_capability(Capability.STAFF),
    }
    return render(request, "desk/search.html", context)
