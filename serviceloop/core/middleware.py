"""Request id and client address for the audit trail; the signed-in user's language; the
gate that closes the pages of modules switched off (``core.navigation.page_switched_off``)."""

import ipaddress
import re
import uuid

from django.conf import settings
from django.http import Http404, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _

from serviceloop.core.navigation import page_switched_off
from serviceloop.core.request_context import request_context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the proxy's X-Forwarded-For entry when we run behind a known proxy."""
    address = request.META.get("REMOTE_ADDR")
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        return str(ipaddress.ip_address(address)) if address else None
    except ValueError:
        return None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        with request_context(request_id=request.request_id, ip_address=client_ip(request)):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


MODULE_GATE = "serviceloop.core.middleware.ModuleGateMiddleware"


def module_gate(request):
    """404 for a page of a module switched off (JSON under ``/api/``), else None."""
    if not page_switched_off(request):
        return None
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    raise Http404


class ModuleGateMiddleware:
    """Pages of a module switched off answer 404, for everyone: hiding the navigation entry
    is not enough (a bookmark, a link in an e-mail, the API). List it after authentication."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        return module_gate(request)


class UserLanguageMiddleware:
    """A signed-in user reads the product in the language of his profile."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Until settings.MIDDLEWARE lists ModuleGateMiddleware, the gate runs from here (this
        # middleware already sits after authentication), so switched-off pages are closed.
        if MODULE_GATE not in settings.MIDDLEWARE:
            return module_gate(request)
        return None
