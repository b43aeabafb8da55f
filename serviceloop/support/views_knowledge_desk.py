"""The knowledge base inside the desk: linking articles to tickets and problems (from the
article page and from the ticket page's knowledge panel, with its search), marking a link
as used to resolve or removing it, and the suggestions shown while a ticket is written."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from serviceloop.desk.models import Problem, Ticket
from serviceloop.desk.permissions import get_ticket_for
from serviceloop.support import services_knowledge as services
from serviceloop.support import services_knowledge_links as link_services
from serviceloop.support.form_screens import (
    flash_form_errors,
    flash_service_errors,
)
from serviceloop.support.forms_knowledge import (
    ArticleLinkForm,
    KnowledgeSearchForm,
    LinkUsedForm,
    TicketArticleLinkForm,
)
from serviceloop.support.models import (
    Article,
    ArticleProblemLink,
    ArticleStatus,
    ArticleTicketLink,
)
from serviceloop.support.search_knowledge import (
    search_results,
    suggestions_for,
)
from serviceloop.support.views_knowledge import _staff_only

TICKET_SEARCH_LIMIT = 5

# --- Links ---------------------------------------------------------------------------------


@login_required
@require_POST
def knowledge_link(request, reference):
    """From the article page: link a ticket or a problem by its reference."""
    article = services.get_article_for(request.user, reference, write=True)
    if not link_services.knowledge_may_link(request.user):
        raise PermissionDenied
    form = ArticleLinkForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect("knowledge_detail", reference=article.reference)
    target_ref = form.cleaned_data["reference"]
    used = form.cleaned_data["used_to_resolve"]
    ticket = Ticket.objects.visible_to(request.user).filter(reference=target_ref).first()
    problem = None
    if ticket is None:
        problem = Problem.objects.visible_to(request.user).filter(reference=target_ref).first()
    try:
        if ticket is not None:
            _link, created = link_services.article_link_ticket(
                actor=request.user, article=article, ticket=ticket, used_to_resolve=used
            )
        elif problem is not None:
            _link, created = link_services.article_link_problem(
                actor=request.user, article=article, problem=problem, used_to_resolve=used
            )
        else:
            messages.error(request, _("No ticket or problem %s.") % target_ref)
            return redirect("knowledge_detail", reference=article.reference)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        if created:
            messages.success(request, _("Linked to %s.") % target_ref)
        else:
            messages.info(request, _("Already linked to %s.") % target_ref)
    return redirect("knowledge_detail", reference=article.reference)


LINK_MODELS = {"ticket": ArticleTicketLink, "problem": ArticleProblemLink}


def _get_link_for(user, kind: str, pk: int):
    """A link the user may change: staff only (404 otherwise), the operate capability
    (403 otherwise)."""
    _staff_only(user)
    model = LINK_MODELS.get(kind)
    if model is None:
        raise Http404
    link = model.objects.select_related("article", kind).filter(pk=pk).first()
    if link is None:
        raise Http404
    if not link_services.knowledge_may_link(user):
        raise PermissionDenied
    return link


def _back_from_link(link, back: str):
    if back == "ticket" and isinstance(link, ArticleTicketLink):
        return redirect("ticket_detail", reference=link.ticket.reference)
    if back == "problem" and isinstance(link, ArticleProblemLink):
        return redirect("problem_detail", reference=link.problem.reference)
    return redirect("knowledge_detail", reference=link.article.reference)


@login_required
@require_POST
def knowledge_link_used(request, kind, pk):
    link = _get_link_for(request.user, kind, pk)
    form = LinkUsedForm(request.POST)
    back = request.POST.get("back", "article")
    if form.is_valid():
        link_services.article_link_mark_used(
            actor=request.user, link=link, used=form.cleaned_data["used"]
        )
        messages.success(request, _("Saved."))
    return _back_from_link(link, back)


@login_required
@require_POST
def knowledge_link_remove(request, kind, pk):
    link = _get_link_for(request.user, kind, pk)
    back = request.POST.get("back", "article")
    try:
        link_services.article_unlink(actor=request.user, link=link)
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Link removed."))
    return _back_from_link(link, back)


# --- Inside desk pages: the ticket's knowledge panel and suggestions ------------------------


@login_required
@require_GET
def knowledge_ticket_search(request, reference):
    """Search articles to link to a ticket: the htmx answer inside the ticket page's panel,
    or a page of its own without JavaScript."""
    _staff_only(request.user)
    ticket = get_ticket_for(request.user, reference)
    form = KnowledgeSearchForm(request.GET or None)
    q = form.cleaned_data.get("q", "").strip() if form.is_valid() else ""
    results = []
    if q:
        scope = Article.objects.exclude(status=ArticleStatus.RETIRED)
        results = search_results(request.user, q, scope=scope, limit=TICKET_SEARCH_LIMIT)
    linked = set(
        ArticleTicketLink.objects.filter(ticket=ticket).values_list("article_id", flat=True)
    )
    context = {
        "ticket": ticket,
        "q": q,
        "form": form,
        "results": results,
        "linked": linked,
        "can_link": link_services.knowledge_may_link(request.user),
    }
    template = (
        "support/knowledge_ticket_results.html"
        if request.htmx
        else "support/knowledge_ticket_search.html"
    )
    return render(request, template, context)


@login_required
@require_POST
def knowledge_ticket_link(request, reference):
    """From the ticket page: link an article (optionally as used to resolve the ticket)."""
    _staff_only(request.user)
    ticket = get_ticket_for(request.user, reference, write=True)
    if not link_services.knowledge_may_link(request.user):
        raise PermissionDenied
    form = TicketArticleLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an article."))
        return redirect("ticket_detail", reference=ticket.reference)
    article = services.get_article_for(request.user, form.cleaned_data["article"])
    try:
        _link, created = link_services.article_link_ticket(
            actor=request.user,
            article=article,
            ticket=ticket,
            used_to_resolve=form.cleaned_data["used_to_resolve"],
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        if created:
            messages.success(request, _("Article %s linked.") % article.reference)
        else:
            messages.info(request, _("Article %s was already linked.") % article.reference)
    return redirect("ticket_detail", reference=ticket.reference)


@login_required
@require_GET
def knowledge_suggest(request):
    """The articles that may answer a ticket being written (its title and description):
    an htmx fragment for the new-ticket forms. Readable articles only, in the user's
    audience (customers: published for them)."""
    results = suggestions_for(
        request.user, request.GET.get("title", ""), request.GET.get("description", "")
    )
    return render(
        request,
        "support/knowledge_suggestion_items.html",
        {"knowledge_suggestions": results, "asked": True},
    )
