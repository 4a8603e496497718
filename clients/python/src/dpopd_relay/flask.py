"""Flask views on the relay: the token, PAR and revocation endpoints as views, the
authorization endpoint as a helper, and `protect(scopes=...)` for resources, which puts the
token's subject, client id and scopes on `flask.g.dpopd`. WSGI joins repeated headers with
commas; the relay counts a comma-joined `DPoP` value as that many headers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from flask import Response, g, make_response, request

from ._answers import TOO_LARGE, Allowed, Interaction, Reply
from ._core import check_requirements
from ._request import RelayRequest, wsgi_headers, wsgi_target
from .sync import Relay


class BodyAlreadyParsed(RuntimeError):
    """The form was parsed before the relay read it; it cannot be relayed verbatim."""


class FlaskRelay:
    """`FlaskRelay(public_url=...)` takes `Relay`'s keyword arguments, or `relay=` a `Relay`."""

    def __init__(self, relay: Relay | None = None, **settings: Any):
        self.relay = relay or Relay(**settings)

    def token(self) -> Response:
        """View of `POST /token`."""
        return self._with_form(self.relay.token)

    def par(self) -> Response:
        """View of `POST /par`."""
        return self._with_form(self.relay.pushed_authorization_request)

    def revocation(self) -> Response:
        """View of `POST /revoke`."""
        return self._with_form(self.relay.revocation)

    def authorize(self, on_interaction: Callable[[Interaction], Any]) -> Any:
        """For the view of `GET`/`POST /authorize`: returns the redirect or error to send, or
        what `on_interaction(interaction)` returns (the login and consent page; with
        `interaction.no_interaction`, the issue or fail response, no page)."""
        body = self._form_body() if request.method == "POST" else None
        outcome = body if isinstance(body, Reply) else self.relay.authorization(self._request(body))
        if isinstance(outcome, Interaction):
            return on_interaction(outcome)
        return _response(outcome)

    def issue(self, ticket: str, subject: str, **grant: Any) -> Response:
        """The redirect with the code (or the error page) for a ticket."""
        return _response(self.relay.issue(ticket, subject, **grant))

    def fail(self, ticket: str, reason: str, **failure: Any) -> Response:
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
        """Decorator: the view runs only when dpopd says `OK`; then `g.dpopd` is the `Principal`
        and a fresh `DPoP-Nonce`, if any, is added to the view's response."""
        check_requirements(scopes, subject, resources)

        def decorator(view: Callable) -> Callable:
            @functools.wraps(view)
            def protected(*args: Any, **kwargs: Any) -> Any:
                outcome = self.relay.introspect(
                    self._request(),
                    scopes=scopes,
                    subject=subject,
                    resources=resources,
                    dpop_nonce_required=dpop_nonce_required,
                )
                if not isinstance(outcome, Allowed):
                    return _response(outcome)
                g.dpopd = outcome.principal
                response = make_response(view(*args, **kwargs))
                response.headers.update(outcome.headers)
                return response

            return protected

        return decorator

    def _with_form(self, relay: Callable[[RelayRequest], Reply]) -> Response:
        body = self._form_body()
        return _response(body if isinstance(body, Reply) else relay(self._request(body)))

    def _form_body(self) -> str | Reply:
        # Bodies without a length are bounded by Flask's MAX_CONTENT_LENGTH.
        if (request.content_length or 0) > self.relay.settings.max_body_bytes:
            return TOO_LARGE
        if "form" in request.__dict__ and request.get_data(cache=True) == b"":
            raise BodyAlreadyParsed(
                "the form body was parsed before dpopd_relay read it: call the relay before touching request.form"
            )
        return request.get_data(cache=True).decode("utf-8", errors="replace")

    @staticmethod
    def _request(body: str | None = None) -> RelayRequest:
        environ = request.environ
        return RelayRequest(
            method=request.method,
            url=wsgi_target(environ),
            headers=wsgi_headers(environ),
            body=body,
            encrypted=environ.get("wsgi.url_scheme") == "https",
            headers_joined=True,
        )


def _response(reply: Reply) -> Response:
    return Response(reply.body, status=reply.status, headers=reply.headers)
