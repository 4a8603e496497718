"""`AsyncRelay`: the relay steps run with an async httpx client, for ASGI applications
(Starlette, FastAPI). Every method returns what to send the client; none raises for a dpopd
failure. The whole dpopd call is bounded by `timeout` (anyio, so asyncio and trio alike)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import anyio
import httpx

from ._answers import MAX_ANSWER_BYTES, UNAVAILABLE, Allowed, DpopdUnavailable, Interaction, Reply, parse_answer
from ._core import Authentication, Call, Settings, Step, Steps
from ._request import RelayRequest

T = TypeVar("T")


class AsyncRelay(Steps):
    """The relay to dpopd, async; the same keyword arguments as `Relay`."""

    def __init__(self, *, client: httpx.AsyncClient | None = None, **settings):
        self.settings = Settings(**settings)
        self._client = client or httpx.AsyncClient(timeout=self.settings.timeout, follow_redirects=False)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def call(self, path: str, body: dict) -> dict:
        """dpopd's answer to any API call, for what the relay does not wrap; raises DpopdUnavailable."""
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(self.settings.timeout):
                async with self._client.stream(
                    "POST",
                    self.settings.dpopd_url + path,
                    json=body,
                    headers={"Authorization": self.settings.caller_authorization, "Accept": "application/json"},
                ) as response:
                    async for chunk in response.aiter_bytes():
                        size += len(chunk)
                        if size > MAX_ANSWER_BYTES:
                            raise DpopdUnavailable(path, "answer too large")
                        chunks.append(chunk)
                    status = response.status_code
        except (TimeoutError, httpx.TimeoutException):
            raise DpopdUnavailable(path, f"no answer within {self.settings.timeout:g} s") from None
        except httpx.HTTPError as err:
            raise DpopdUnavailable(path, f"unreachable ({type(err).__name__}: {err})") from None
        return parse_answer(path, status, b"".join(chunks))

    async def _run(self, path: str, build: Callable[[], Step[T]]) -> T:
        step: Step[T] | None = None
        try:
            step = build()
            if not isinstance(step, Call):
                return step
            return step.finish(await self.call(step.path, step.body))
        except Exception as err:  # a dpopd failure, or any fault of ours: never "serve"
            self.failed(path, err)
            return step.on_failure(UNAVAILABLE) if isinstance(step, Call) else UNAVAILABLE  # type: ignore[return-value]

    async def token(self, request: RelayRequest) -> Reply:
        return await self._run("/auth/token", lambda: self.token_step(request))

    async def pushed_authorization_request(self, request: RelayRequest) -> Reply:
        return await self._run("/pushed_auth_req", lambda: self.par_step(request))

    async def revocation(self, request: RelayRequest) -> Reply:
        return await self._run("/auth/revocation", lambda: self.revocation_step(request))

    async def authorization(self, request: RelayRequest) -> Interaction | Reply:
        return await self._run("/auth/authorization", lambda: self.authorization_step(request))

    async def issue(
        self,
        ticket: str,
        subject: str,
        *,
        scopes: Sequence[str] | None = None,
        properties: Sequence[dict] | None = None,
        jwt_at_claims: str | None = None,
        auth_time: int | None = None,
        acr: str | None = None,
        amr: Sequence[str] | None = None,
        sid: str | None = None,
        claims: str | Mapping[str, Any] | None = None,
    ) -> Reply:
        """The code goes to the client (302). For an `openid` request, `auth_time` (seconds since
        the epoch), `acr`, `amr`, `sid` and `claims` (the user's claim values, a mapping or the
        text of a JSON object) become the ID token's; dpopd keeps the claims the request asked for."""
        authentication = Authentication(auth_time, acr, amr, sid, claims)
        return await self._run(
            "/auth/authorization/issue",
            lambda: self.issue_step(ticket, subject, scopes, properties, jwt_at_claims, authentication),
        )

    async def fail(self, ticket: str, reason: str, *, description: str | None = None) -> Reply:
        return await self._run("/auth/authorization/fail", lambda: self.fail_step(ticket, reason, description))

    async def introspect(
        self,
        request: RelayRequest,
        *,
        scopes: Sequence[str] | None = None,
        subject: str | None = None,
        resources: Sequence[str] | None = None,
        dpop_nonce_required: bool | None = None,
    ) -> Allowed | Reply:
        return await self._run(
            "/auth/introspection",
            lambda: self.introspection_step(request, scopes, subject, resources, dpop_nonce_required),
        )
