"""Django views on the relay: the token, PAR and revocation endpoints as views (CSRF-exempt,
POST only), the authorization endpoint as a helper, and `protect(scopes=...)` for resources,
which puts the token's subject, client id and scopes on `request.dpopd`. Django gives one
value per header with repeated headers joined by commas (`request.META`); the relay counts a
comma-joined `DPoP` value as that many headers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ._answers import TOO_LARGE, Allowed, Interaction, Reply
from ._core import check_requirements
from ._request import RelayRequest, wsgi_headers, wsgi_target
from .sync import Relay


class DjangoRelay:
    """`DjangoRelay(public_url=...)` takes `Relay`'s keyword arguments, or `relay=` a `Relay`.
    Its `token`, `par` and `revocation` are views for `path(...)`."""

    def __init__(self, relay: Relay | None = None, **settings: Any):
        self.relay = relay or Relay(**settings)
        # Clients post to these without a CSRF token: they authenticate themselves (RFC 6749 §2.3).
        self.token = csrf_exempt(require_POST(lambda request: self._with_form(request, self.relay.token)))
        self.par = csrf_exempt(
            require_POST(lambda request: self._with_form(request, self.relay.pushed_authorization_request))
        )
        self.revocation = csrf_exempt(require_POST(lambda request: self._with_form(request, self.relay.revocation)))

    def authorize(self, request: HttpRequest, on_interaction: Callable[[Interaction], Any]) -> Any:
        """For the view of `GET`/`POST /authorize` (make it `csrf_exempt` to take POSTs): the
        redirect or error to send, or what `on_interaction(interaction)` returns (the login and
        consent page; with `interaction.no_interaction`, the issue or fail response, no page)."""
        body = self._form_body(request) if request.method == "POST" else None
        outcome = body if isinstance(body, Reply) else self.relay.authorization(_relay_request(request, body))
        if isinstance(outcome, Interaction):
            return on_interaction(outcome)
        return _response(outcome)

    def issue(self, ticket: str, subject: str, **grant: Any) -> HttpResponse:
        """The redirect with the code (or the error page) for a ticket."""
        return _response(self.relay.issue(ticket, subject, **grant))

    def fail(self, ticket: str, reason: str, **failure: Any) -> HttpResponse:
        """The redirect with an error for the client for a ticket."""
        return _response(self.relay.fail(ticket, reason, **failure))

    def protect(
        self,
        scopes: Sequence[str] | None = None,
        *,
        subject: str | None = None,
        resources: Sequence[str] | None = None,
        dpop_nonce_required: bool | None = None,
    ) -> Callable:
        """Decorator: the view runs only when dpopd says `OK`; then `request.dpopd` is the
        `Principal` and a fresh `DPoP-Nonce`, if any, is added to the view's response."""
        check_requirements(scopes, subject, resources)

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def protected(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
                outcome = self.relay.introspect(
                    _relay_request(request),
                    scopes=scopes,
                    subject=subject,
                    resources=resources,
                    dpop_nonce_required=dpop_nonce_required,
                )
                if not isinstance(outcome, Allowed):
                    return _response(outcome)
                request.dpopd = outcome.principal  # type: ignore[attr-defined]
                response = view(request, *args, **kwargs)
                for name, value in outcome.headers.items():
                    response[name] = value
                return response

            return protected

        return decorator

    def _with_form(self, request: HttpRequest, relay: Callable[[RelayRequest], Reply]) -> HttpResponse:
        body = self._form_body(request)
        return _response(body if isinstance(body, Reply) else relay(_relay_request(request, body)))

    def _form_body(self, request: HttpRequest) -> str | Reply:
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not length.isdigit() or int(length) > self.relay.settings.max_body_bytes:
            return TOO_LARGE
        return request.body.decode("utf-8", errors="replace")


def _relay_request(request: HttpRequest, body: str | None = None) -> RelayRequest:
    meta = request.META
    return RelayRequest(
        method=request.method or "GET",
        url=wsgi_target(meta),
        headers=wsgi_headers(meta),
        body=body,
        encrypted=request.is_secure(),
        headers_joined=True,
    )


def _response(reply: Reply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers.items():
        response[name] = value
    return response


__all__ = ["DjangoRelay"]
