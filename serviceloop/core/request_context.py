"""Who is asking and from where, for the audit trail.

The web middleware sets these for each request; the queue and the CLI leave them empty.
Services read them when they write an audit row, so callers need not pass the request.
"""

import contextvars
from contextlib import contextmanager

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
ip_address_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ip_address", default=None
)


@contextmanager
def request_context(*, request_id: str = "", ip_address: str | None = None):
    tokens = (request_id_var.set(request_id), ip_address_var.set(ip_address))
    try:
        yield
    finally:
        request_id_var.reset(tokens[0])
        ip_address_var.reset(tokens[1])
