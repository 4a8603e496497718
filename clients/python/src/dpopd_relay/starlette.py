"""Starlette and FastAPI on the async relay: the token, PAR and revocation endpoints as
endpoints (`Route("/token", dpopd.token, methods=["POST"])` or `app.post("/token")(dpopd.token)`),
the authorization endpoint as a helper, and for resources either `protect(scopes=...)`, a FastAPI
dependency returning the `Principal`, or `protected(scopes=...)`, a decorator for Starlette
endpoints. Both put the principal on `request.state.dpopd`. ASGI gives every header line, so
repeated `DPoP` headers are counted as sent."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ._answers import TOO_LARGE, Allowed, Interaction, Principal, Reply
from ._core import check_requirements
from ._request import _PATH_SAFE, RelayRequest
from .aio import AsyncRelay


class DpopdRefusal(HTTPException):
    """A refused resource request, raised by the `protect` dependency. `StarletteRelay.install(app)`
    sends `reply` as it is; without it FastAPI's own handler keeps its status and headers."""

    def __init__(self, reply: Reply):
        super().__init__(reply.status, detail=reply.body or None, headers=reply.headers)
        self.reply = reply


class StarletteRelay:
    """`StarletteRelay(public_url=...)` takes `Relay`'s keyword arguments, or `relay=` an `AsyncRelay`."""

    def __init__(self, relay: AsyncRelay | None = None, **settings: Any):
        self.relay = relay or AsyncRelay(**settings)

    def install(self, app: Any) -> None:
        """Sends refusals of `protect` exactly as dpopd's answer says (the body included)."""

        async def refused(_request: Request, exc: Exception) -> Response:
            assert isinstance(exc, DpopdRefusal)
            return _response(exc.reply)

        app.add_exception_handler(DpopdRefusal, refused)

    async def token(self, request: Request) -> Response:
        """Endpoint of `POST /token`."""
        return await self._with_form(request, self.relay.token)

    async def par(self, request: Request) -> Response:
        """Endpoint of `POST /par`."""
        return await self._with_form(request, self.relay.pushed_authorization_request)

    async def revocation(self, request: Request) -> Response:
        """Endpoint of `POST /revoke`."""
        return await self._with_form(request, self.relay.revocation)

    async def authorize(self, request: Request, on_interaction: Callable[[Interaction], Awaitable[Any]]) -> Any:
        """For the endpoint of `GET`/`POST /authorize`: the redirect or error to send, or what
        `await on_interaction(interaction)` returns (the login and consent page; with
        `interaction.no_interaction`, the issue or fail response, no page)."""
        body = await self._form_body(request) if request.method == "POST" else None
        outcome = body if isinstance(body, Reply) else await self.relay.authorization(_relay_request(request, body))
        if isinstance(outcome, Interaction):
            return await on_interaction(outcome)
        return _response(outcome)

    async def issue(self, ticket: str, subject: str, **grant: Any) -> Response:
        """The redirect with the code (or the error page) for a ticket."""
        return _response(await self.relay.issue(ticket, subject, **grant))

    async def fail(self, ticket: str, reason: str, **failure: Any) -> Response:
        """The redirect with an error for the client for a ticket."""
        return _response(await self.relay.fail(ticket, reason, **failure))

    def protect(
        self,
        scopes: Sequence[str] | None = None,
        *,
        subject: str | None = None,
        resources: Sequence[str] | None = None,
        dpop_nonce_required: bool | None = None,
    ) -> Callable[[Request, Response], Awaitable[Principal]]:
        """FastAPI dependency: `principal: Principal = Depends(dpopd.protect(scopes=["read"]))`.
        Refusals raise `DpopdRefusal`; a fresh `DPoP-Nonce` goes on the endpoint's response
        (FastAPI merges it when the endpoint returns data rather than its own `Response`)."""
        check_requirements(scopes, subject, resources)

        async def dependency(request: Request, response: Response) -> Principal:
            outcome = await self.relay.introspect(
                _relay_request(request),
                scopes=scopes,
                subject=subject,
                resources=resources,
                dpop_nonce_required=dpop_nonce_required,
            )
            if not isinstance(outcome, Allowed):
                raise DpopdRefusal(outcome)
            response.headers.update(outcome.headers)
            request.state.dpopd = outcome.principal
            return outcome.principal

        return dependency

    def protected(
        self,
        scopes: Sequence[str] | None = None,
        *,
        subject: str | None = None,
        resources: Sequence[str] | None = None,
        dpop_nonce_required: bool | None = None,
    ) -> Callable:
        """Decorator for a Starlette endpoint `async def endpoint(request)`: it runs only when
        dpopd says `OK`, with `request.state.dpopd` the `Principal`."""
        check_requirements(scopes, subject, resources)

        def decorator(endpoint: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
            @functools.wraps(endpoint)
            async def guarded(request: Request) -> Response:
                outcome = await self.relay.introspect(
                    _relay_request(request),
                    scopes=scopes,
                    subject=subject,
                    resources=resources,
                    dpop_nonce_required=dpop_nonce_required,
                )
                if not isinstance(outcome, Allowed):
                    return _response(outcome)
                request.state.dpopd = outcome.principal
                response = await endpoint(request)
                response.headers.update(outcome.headers)
                return response

            return guarded

        return decorator

    async def _with_form(self, request: Request, relay: Callable[[RelayRequest], Awaitable[Reply]]) -> Response:
        body = await self._form_body(request)
        return _response(body if isinstance(body, Reply) else await relay(_relay_request(request, body)))

    async def _form_body(self, request: Request) -> str | Reply:
        limit = self.relay.settings.max_body_bytes
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return TOO_LARGE
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", errors="replace")


def _relay_request(request: Request, body: str | None = None) -> RelayRequest:
    scope = request.scope
    raw_path = scope.get("raw_path")
    path = (
        raw_path.decode("latin-1") if raw_path else quote(scope.get("root_path", "") + scope["path"], safe=_PATH_SAFE)
    )
    query = scope.get("query_string", b"").decode("latin-1")
    return RelayRequest(
        method=request.method,
        url=path + ("?" + query if query else ""),
        headers=[(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]],
        body=body,
        encrypted=scope.get("scheme") in ("https", "wss"),
    )


def _response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, headers=reply.headers)
