"""The readers' knowledge pages in the customers' portal: the published articles a reader
may read (searchable, by category, exportable) and one article with its feedback form."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _l

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.views.helpers import paginate
from serviceloop.support import queries_knowledge as queries
from serviceloop.support import services_knowledge as services
from serviceloop.support.forms_knowledge import (
    KnowledgeSearchForm,
)
from serviceloop.support.models import (
    Article,
    KnowledgeCategory,
)
from serviceloop.support.search_knowledge import (
    search_results,
)
from serviceloop.support.views_knowledge import SEARCH_LIMIT, _feedback_form, _names

READER_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Title"), "published_version.title"),
    Column(_l("Categories"), lambda a: _names(a.categories)),
    Column(_l("Published"), "published_version.published_at"),
]


# --- The portal ---------------------------------------------------------------------------


@login_required
def portal_knowledge(request):
    """The readers' knowledge page: published articles the user may read, searchable."""
    form = KnowledgeSearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "").strip() if form.is_valid() else ""
    category = None
    category_id = request.GET.get("category", "")
    if category_id.isdigit():
        category = KnowledgeCategory.objects.filter(pk=category_id, is_active=True).first()
    articles = queries.articles_for_readers(request.user, category=category)
    results = (
        search_results(request.user, q, scope=articles, limit=SEARCH_LIMIT, readable_only=True)
        if q
        else None
    )
    fmt = export_format(request)
    if fmt:
        rows = [r.article for r in results] if results is not None else articles
        return export_response(fmt, "knowledge", READER_COLUMNS, rows)
    visible = Article.objects.visible_to(request.user).readable()
    context = {
        "form": form,
        "q": q,
        "results": results,
        "page": paginate(request, articles, 25) if results is None else None,
        "category": category,
        "categories": KnowledgeCategory.objects.filter(
            is_active=True, articles__in=visible
        ).distinct(),
    }
    return render(request, "support/knowledge_portal_list.html", context)


@login_required
def portal_knowledge_detail(request, reference):
    article = services.get_article_for(request.user, reference)
    if not article.is_readable:
        raise Http404
    context = {
        "article": article,
        "version": article.published_version,
        "categories": article.categories.all(),
        "feedback_form": _feedback_form(request.user, article),
    }
    return render(request, "support/knowledge_portal_detail.html", context)
