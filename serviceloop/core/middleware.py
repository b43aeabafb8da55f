"""Request id and client address for the audit trail; the signed-in user's language."""

import ipaddress
import re
import uuid

from django.conf import settings
from django.utils import translation

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
