"""The knowledge screens: the staff list (filters, ranked search, export), an article's page
with its versions and feedback, writing and moving articles, and categories. Links to
tickets and problems and the pieces shown inside desk pages are in
``views_knowledge_desk``; the customers' portal pages in ``views_knowledge_portal``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from serviceloop.core.exports import Column, export_format, export_response
from serviceloop.core.roles import Capability
from serviceloop.core.views.helpers import paginate
from serviceloop.desk.models import Ticket
from serviceloop.support import queries_knowledge as queries
from serviceloop.support import services_knowledge as services
from serviceloop.support import services_knowledge_feedback as feedback_services
from serviceloop.support import services_knowledge_links as link_services
from serviceloop.support.form_screens import (
    data_without,
    flash_form_errors,
    flash_service_errors,
    form_page_save,
    posted_form_apply,
    status_move_apply,
)
from serviceloop.support.forms_knowledge import (
    ArticleFilterForm,
    ArticleForm,
    ArticleLinkForm,
    ArticleTransitionForm,
    CategoryForm,
    FeedbackForm,
    ReviewedForm,
)
from serviceloop.support.models import (
    ArticleFeedback,
    ArticleStatus,
    KnowledgeCategory,
    article_transitions_from,
)
from serviceloop.support.search_knowledge import (
    MAX_LIMIT,
    search_articles,
    search_results,
)

SEARCH_LIMIT = 100


def _names(objects) -> str:
    return ", ".join(str(o) for o in objects.all())


ARTICLE_COLUMNS = [
    Column(_l("Reference"), "reference"),
    Column(_l("Title"), "title"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Audience"), "get_audience_display"),
    Column(_l("Owner"), "owner"),
    Column(_l("Next review"), "review_due"),
    Column(_l("Review overdue"), "is_review_overdue"),
    Column(_l("Categories"), lambda a: _names(a.categories)),
    Column(_l("Services"), lambda a: _names(a.services)),
    Column(_l("Version"), "current_version.number"),
    Column(_l("Published version"), "published_version.number"),
    Column(_l("Helpful"), "helpful_yes"),
    Column(_l("Not helpful"), "helpful_no"),
    Column(_l("Updated"), "updated_at"),
]
CATEGORY_COLUMNS = [
    Column(_l("Name"), "name"),
    Column(_l("Description"), "description"),
    Column(_l("Articles"), lambda c: c.articles.count()),
    Column(_l("Active"), "is_active"),
]


def _staff_only(user) -> None:
    """The staff screens: to customers they do not exist (404)."""
    if not user.has_capability(Capability.STAFF):
        raise Http404


# --- The staff list ------------------------------------------------------------------------


@login_required
def knowledge_list(request):
    _staff_only(request.user)
    form = ArticleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    articles = queries.articles_for_list(
        request.user,
        status=filters.get("status", ""),
        audience=filters.get("audience", ""),
        category=filters.get("category"),
        service=filters.get("service"),
        overdue=filters.get("overdue", False),
    )
    q = filters.get("q", "").strip()
    fmt = export_format(request)
    if fmt:
        rows = articles
        if q:  # the matches, best first
            order = [
                a.pk for a in search_articles(request.user, q, scope=articles, limit=MAX_LIMIT)
            ]
            by_pk = {a.pk: a for a in articles.filter(pk__in=order)}
            rows = [by_pk[pk] for pk in order if pk in by_pk]
        return export_response(fmt, "knowledge", ARTICLE_COLUMNS, rows)
    results = search_results(request.user, q, scope=articles, limit=SEARCH_LIMIT) if q else None
    context = {
        "form": form,
        "q": q,
        "results": results,
        "page": paginate(request, articles) if results is None else None,
        "can_create": services.knowledge_may_write(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "support/knowledge_list.html", context)


# --- An article ----------------------------------------------------------------------------


@login_required
def knowledge_detail(request, reference):
    article = services.get_article_for(request.user, reference)
    if not request.user.has_capability(Capability.STAFF):
        return redirect("portal_knowledge_detail", reference=article.reference)
    user = request.user
    role = services.knowledge_role(user, article)
    may_review = services.knowledge_may_write(user) and (
        user.pk == article.owner_id or services.knowledge_may_publish(user, article)
    )
    context = {
        "article": article,
        "version": article.current_version,
        "published": article.published_version,
        "versions": article.versions.select_related("created_by", "published_by"),
        "moves": article_transitions_from(article.status, role) if role else [],
        "can_edit": role is not None and article.status != ArticleStatus.RETIRED,
        "can_link": link_services.knowledge_may_link(user)
        and article.status != ArticleStatus.RETIRED,
        "stats": feedback_services.feedback_stats(article),
        "comments": ArticleFeedback.objects.filter(article=article)
        .exclude(comment="")
        .select_related("user", "version")[:20],
        # a confidential ticket the reader is not cleared for is not listed
        "ticket_links": article.ticket_links.filter(
            ticket__in=Ticket.objects.visible_to(user).values("pk")
        ).select_related("ticket", "linked_by", "used_by"),
        "problem_links": article.problem_links.select_related("problem", "linked_by", "used_by"),
        "categories": article.categories.all(),
        "services": article.services.all(),
        "link_form": ArticleLinkForm(),
        "reviewed_form": ReviewedForm() if may_review and article.status != "retired" else None,
        "feedback_form": _feedback_form(user, article),
        "today": timezone.localdate(),
    }
    return render(request, "support/knowledge_detail.html", context)


def _feedback_form(user, article):
    if not (article.is_readable and services.knowledge_may_give_feedback(user)):
        return None
    mine = ArticleFeedback.objects.filter(version=article.published_version, user=user).first()
    initial = (
        {"helpful": "yes" if mine.helpful else "no", "comment": mine.comment} if mine else None
    )
    form = FeedbackForm(initial=initial)
    form.mine = mine
    return form


@login_required
def knowledge_version(request, reference, number):
    _staff_only(request.user)
    article = services.get_article_for(request.user, reference)
    version = article.versions.select_related("created_by", "published_by").filter(number=number)
    version = version.first()
    if version is None:
        raise Http404
    return render(
        request, "support/knowledge_version.html", {"article": article, "version": version}
    )


@login_required
def knowledge_new(request):
    _staff_only(request.user)
    if not services.knowledge_may_write(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    form = ArticleForm(
        request.POST or None,
        initial={"owner": request.user.pk, "review_due": today + services.REVIEW_INTERVAL},
    )
    return form_page_save(
        request,
        form,
        save=lambda data: services.article_create(
            actor=request.user, **data_without(data, "version")
        ),
        saved=lambda article: _("Article %s saved as a draft.") % article.reference,
        done=lambda article: redirect("knowledge_detail", reference=article.reference),
        title=_("New article"),
        template="support/knowledge_form.html",
    )


@login_required
def knowledge_edit(request, reference):
    article = services.get_article_for(request.user, reference, write=True)
    _staff_only(request.user)
    initial = {
        "title": article.current_version.title,
        "body": article.current_version.body,
        "audience": article.audience,
        "owner": article.owner_id,
        "review_due": article.review_due,
        "categories": list(article.categories.values_list("pk", flat=True)),
        "services": list(article.services.values_list("pk", flat=True)),
        "version": article.version,
    }
    published_edit = article.current_version.published_at is not None
    return form_page_save(
        request,
        ArticleForm(request.POST or None, initial=initial),
        save=lambda data: services.article_update(
            actor=request.user,
            article=article,
            expected_version=data.get("version"),
            **data_without(data, "version"),
        ),
        saved=_("Changes saved."),
        done=lambda saved: redirect("knowledge_detail", reference=saved.reference),
        title=_("Edit %s") % article.reference,
        template="support/knowledge_form.html",
        context={
            "article": article,
            "new_version_note": published_edit,
            "publishes": published_edit and services.knowledge_may_publish(request.user, article),
        },
    )


@login_required
@require_POST
def knowledge_move(request, reference):
    article = services.get_article_for(request.user, reference, write=True)
    status_move_apply(
        request,
        ArticleTransitionForm(request.POST),
        lambda data: services.article_transition(
            actor=request.user,
            article=article,
            target=data["target"],
            expected_version=data.get("version"),
        ),
    )
    return redirect("knowledge_detail", reference=article.reference)


@login_required
@require_POST
def knowledge_reviewed(request, reference):
    article = services.get_article_for(request.user, reference, write=True)
    posted_form_apply(
        request,
        ReviewedForm(request.POST),
        save=lambda data: services.article_mark_reviewed(
            actor=request.user, article=article, next_review=data["next_review"]
        ),
        saved=_("Review recorded."),
    )
    return redirect("knowledge_detail", reference=article.reference)


@login_required
@require_POST
def knowledge_feedback(request, reference):
    article = services.get_article_for(request.user, reference)
    if not services.knowledge_may_give_feedback(request.user):
        raise PermissionDenied
    back = (
        "knowledge_detail"
        if request.user.has_capability(Capability.STAFF)
        else "portal_knowledge_detail"
    )
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        flash_form_errors(request, form)
        return redirect(back, reference=article.reference)
    try:
        feedback_services.article_feedback_give(
            actor=request.user,
            article=article,
            helpful=form.cleaned_data["helpful"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        flash_service_errors(request, error)
    else:
        messages.success(request, _("Thank you for your feedback."))
    return redirect(back, reference=article.reference)


# --- Categories ----------------------------------------------------------------------------


@login_required
def knowledge_categories(request):
    _staff_only(request.user)
    categories = KnowledgeCategory.objects.all()
    fmt = export_format(request)
    if fmt:
        return export_response(
            fmt, "knowledge-categories", CATEGORY_COLUMNS, categories.prefetch_related("articles")
        )
    from django.db.models import Count

    context = {
        "categories": categories.annotate(article_count=Count("articles")),
        "can_edit": services.knowledge_may_write(request.user),
    }
    return render(request, "support/knowledge_categories.html", context)


@login_required
def knowledge_category_new(request):
    _staff_only(request.user)
    if not services.knowledge_may_write(request.user):
        raise PermissionDenied
    return form_page_save(
        request,
        CategoryForm(request.POST or None),
        save=lambda data: services.category_create(
            actor=request.user, name=data["name"], description=data["description"]
        ),
        saved=_("Category saved."),
        done=lambda _saved: redirect("knowledge_categories"),
        title=_("New category"),
    )


@login_required
def knowledge_category_edit(request, pk):
    category = services.get_category_for(request.user, pk, write=True)
    form = CategoryForm(
        request.POST or None,
        initial={
            "name": category.name,
            "description": category.description,
            "is_active": category.is_active,
        },
    )
    return form_page_save(
        request,
        form,
        save=lambda data: services.category_update(actor=request.user, category=category, **data),
        saved=_("Category saved."),
        done=lambda _saved: redirect("knowledge_categories"),
        title=_("Edit category %s") % category.name,
    )
