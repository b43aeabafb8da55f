"""Home, the user's own profile and language."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from serviceloop.core.audit_sentences import audit_lines
from serviceloop.core.forms import LoginForm, ProfileForm
from serviceloop.core.models import AuditEvent, Notification, Organisation, Team, User
from serviceloop.core.roles import Capability
from serviceloop.core.services.organisations import person_update
from serviceloop.core.views.helpers import apply_service_errors


class SignInView(LoginView):
    """Sign-in; the person's own language is set for the session and kept after sign-out."""

    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", httponly=True
            )
        return response


@login_required
def home(request):
    """The home dashboard; later areas add their widgets here."""
    user = request.user
    context = {
        "recent_notifications": Notification.objects.visible_to(user)[:5],
    }
    if user.has_capability(Capability.STAFF):
        context["counts"] = {
            "customers": Organisation.objects.customers().filter(is_active=True).count(),
            "people": User.objects.filter(is_active=True).count(),
            "teams": Team.objects.filter(is_active=True).count(),
        }
    if user.has_capability(Capability.READ_AUDIT_TRAIL):
        # as sentences, redacted where the reader may not see the record
        context["recent_audit"] = audit_lines(
            user, AuditEvent.objects.visible_to(user).select_related("actor", "organisation")[:8]
        )
    return render(request, "core/home.html", context)


@login_required
def profile(request):
    user = request.user
    form = ProfileForm(request.POST or None, instance=User.objects.get(pk=user.pk))
    if request.method == "POST" and form.is_valid():
        try:
            person_update(actor=user, person=user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Your profile is saved."))
            response = redirect("profile")
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["language"], samesite="Lax"
            )
            return response
    return render(request, "core/profile.html", {"form": form})


@require_POST
def language_switch(request):
    """Switch the interface language; a signed-in user's choice is kept in his profile."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    if request.user.is_authenticated and request.user.language != language:
        person_update(actor=request.user, person=request.user, language=language)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    translation.activate(language)
    response = redirect(target)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", httponly=True)
    return response
