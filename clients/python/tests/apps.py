"""The same small application on Flask, FastAPI, Starlette and Django, each with its
framework's test client: every relay helper mounted, resources counting how often their
handler ran. `public_url` is PUBLIC_URL, so proofs name https://api.test/..."""

import json
import types
from dataclasses import asdict, dataclass, field

from support import PUBLIC_URL

FRAMEWORKS = ["flask", "fastapi", "starlette", "django"]
# The frameworks served over WSGI, which joins repeated request headers into one value.
WSGI = {"flask", "django"}

#: How the user of `/authorize-openid` ("alice") authenticated, and their claim values (a dict:
#: sent as its JSON text).
OPENID_GRANT = {
    "auth_time": 1_700_000_000,
    "acr": "urn:example:loa:2",
    "amr": ["pwd", "otp"],
    "sid": "session-1",
    "claims": {"email": "alice@example.com", "email_verified": True, "phone_number": "+15550100"},
}
#: `/authorize-silent` shows this login page to a user who is not logged in; with `prompt=none`
#: it must not be shown, and the request fails with login_required (OIDC Core §3.1.2.6).
LOGIN_PAGE = "login page"


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    body: str

    def json(self):
        return json.loads(self.body)


@dataclass
class App:
    relay: object = None
    handler_runs: int = 0
    send_raw: object = None
    close: object = field(default=lambda: None)

    def send(self, method: str, path: str, headers=(), body: str | None = None) -> Result:
        """`headers`: (name, value) pairs; a repeated name is sent as the framework's server would."""
        return self.send_raw(method, path, list(headers), body)

    def served(self, principal) -> dict:
        self.handler_runs += 1
        data = asdict(principal)
        data["served"] = True
        return data


def _lower(items) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


def make_app(framework: str, **relay_settings) -> App:
    relay_settings.setdefault("public_url", PUBLIC_URL)
    return {"flask": _flask, "fastapi": _fastapi, "starlette": _starlette, "django": _django}[framework](relay_settings)


def _flask(settings) -> App:
    from flask import Flask, g, jsonify

    from dpopd_relay.flask import FlaskRelay

    app = Flask("relay-test")
    dpopd = FlaskRelay(**settings)
    state = App(relay=dpopd.relay)
    app.post("/token")(dpopd.token)
    app.post("/par")(dpopd.par)
    app.post("/revoke")(dpopd.revocation)
    app.add_url_rule(
        "/authorize",
        "authorize",
        methods=["GET", "POST"],
        view_func=lambda: dpopd.authorize(lambda i: dpopd.issue(i.ticket, "alice")),
    )
    app.add_url_rule(
        "/authorize-deny", "deny", view_func=lambda: dpopd.authorize(lambda i: dpopd.fail(i.ticket, "DENIED"))
    )
    app.add_url_rule("/authorize-show", "show", view_func=lambda: dpopd.authorize(lambda i: jsonify(asdict(i))))
    app.add_url_rule(
        "/authorize-openid",
        "openid",
        view_func=lambda: dpopd.authorize(lambda i: dpopd.issue(i.ticket, "alice", **OPENID_GRANT)),
    )
    app.add_url_rule(
        "/authorize-silent",
        "silent",
        view_func=lambda: dpopd.authorize(
            lambda i: dpopd.fail(i.ticket, "NOT_LOGGED_IN") if i.no_interaction else LOGIN_PAGE
        ),
    )

    @app.route("/resource", methods=["GET", "POST"])
    @dpopd.protect(scopes=["read"])
    def resource():
        return jsonify(state.served(g.dpopd))

    @app.get("/write-resource")
    @dpopd.protect(scopes=["write"])
    def write_resource():
        return jsonify(state.served(g.dpopd))

    @app.post("/parsed/token")
    def parsed_token():
        _ = __import__("flask").request.form
        return dpopd.token()

    client = app.test_client()

    def send(method, path, headers, body):
        response = client.open(path, method=method, headers=headers, data=body)
        return Result(response.status_code, _lower(response.headers.items()), response.get_data(as_text=True))

    state.send_raw = send
    state.close = dpopd.relay.close
    return state


def _asgi_send(app):
    from starlette.testclient import TestClient

    # One event loop for the app's life, as a server has: the relay's connections belong to it.
    client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    client.__enter__()

    def send(method, path, headers, body):
        response = client.request(method, path, headers=headers, content=body)
        return Result(response.status_code, _lower(response.headers.multi_items()), response.text)

    return send, client


def _fastapi(settings) -> App:
    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import PlainTextResponse

    from dpopd_relay import Principal
    from dpopd_relay.starlette import StarletteRelay

    app = FastAPI()
    dpopd = StarletteRelay(**settings)
    dpopd.install(app)
    state = App(relay=dpopd.relay)
    app.post("/token")(dpopd.token)
    app.post("/par")(dpopd.par)
    app.post("/revoke")(dpopd.revocation)

    async def issue(interaction):
        return await dpopd.issue(interaction.ticket, "alice")

    async def deny(interaction):
        return await dpopd.fail(interaction.ticket, "DENIED")

    async def show(interaction):
        return asdict(interaction)

    async def openid(interaction):
        return await dpopd.issue(interaction.ticket, "alice", **OPENID_GRANT)

    async def silent(interaction):
        if interaction.no_interaction:
            return await dpopd.fail(interaction.ticket, "NOT_LOGGED_IN")
        return PlainTextResponse(LOGIN_PAGE)

    @app.api_route("/authorize", methods=["GET", "POST"])
    async def authorize(request: Request):
        return await dpopd.authorize(request, issue)

    @app.get("/authorize-deny")
    async def authorize_deny(request: Request):
        return await dpopd.authorize(request, deny)

    @app.get("/authorize-show")
    async def authorize_show(request: Request):
        return await dpopd.authorize(request, show)

    @app.get("/authorize-openid")
    async def authorize_openid(request: Request):
        return await dpopd.authorize(request, openid)

    @app.get("/authorize-silent")
    async def authorize_silent(request: Request):
        return await dpopd.authorize(request, silent)

    read = dpopd.protect(scopes=["read"])

    @app.api_route("/resource", methods=["GET", "POST"])
    async def resource(principal: Principal = Depends(read)):
        return state.served(principal)

    @app.get("/write-resource")
    async def write_resource(principal: Principal = Depends(dpopd.protect(scopes=["write"]))):
        return state.served(principal)

    state.send_raw, client = _asgi_send(app)
    state.close = lambda: client.__exit__(None, None, None)
    return state


def _starlette(settings) -> App:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    from dpopd_relay.starlette import StarletteRelay

    dpopd = StarletteRelay(**settings)
    state = App(relay=dpopd.relay)

    async def issue(interaction):
        return await dpopd.issue(interaction.ticket, "alice")

    async def deny(interaction):
        return await dpopd.fail(interaction.ticket, "DENIED")

    async def show(interaction):
        return JSONResponse(asdict(interaction))

    async def openid(interaction):
        return await dpopd.issue(interaction.ticket, "alice", **OPENID_GRANT)

    async def silent(interaction):
        if interaction.no_interaction:
            return await dpopd.fail(interaction.ticket, "NOT_LOGGED_IN")
        return PlainTextResponse(LOGIN_PAGE)

    async def authorize(request):
        return await dpopd.authorize(request, issue)

    async def authorize_deny(request):
        return await dpopd.authorize(request, deny)

    async def authorize_show(request):
        return await dpopd.authorize(request, show)

    async def authorize_openid(request):
        return await dpopd.authorize(request, openid)

    async def authorize_silent(request):
        return await dpopd.authorize(request, silent)

    @dpopd.protected(scopes=["read"])
    async def resource(request):
        return JSONResponse(state.served(request.state.dpopd))

    @dpopd.protected(scopes=["write"])
    async def write_resource(request):
        return JSONResponse(state.served(request.state.dpopd))

    app = Starlette(
        routes=[
            Route("/token", dpopd.token, methods=["POST"]),
            Route("/par", dpopd.par, methods=["POST"]),
            Route("/revoke", dpopd.revocation, methods=["POST"]),
            Route("/authorize", authorize, methods=["GET", "POST"]),
            Route("/authorize-deny", authorize_deny),
            Route("/authorize-show", authorize_show),
            Route("/authorize-openid", authorize_openid),
            Route("/authorize-silent", authorize_silent),
            Route("/resource", resource, methods=["GET", "POST"]),
            Route("/write-resource", write_resource),
        ]
    )
    state.send_raw, client = _asgi_send(app)
    state.close = lambda: client.__exit__(None, None, None)
    return state


def _django(settings) -> App:
    import django
    from django.conf import settings as django_settings

    if not django_settings.configured:
        django_settings.configure(
            DEBUG=False,
            SECRET_KEY="test-only",
            ALLOWED_HOSTS=["*"],
            ROOT_URLCONF=None,
            USE_TZ=True,
            MIDDLEWARE=["django.middleware.common.CommonMiddleware", "django.middleware.csrf.CsrfViewMiddleware"],
            INSTALLED_APPS=[],
        )
        django.setup()
    from django.http import HttpResponse, JsonResponse
    from django.test import Client, override_settings
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    from dpopd_relay.django import DjangoRelay

    dpopd = DjangoRelay(**settings)
    state = App(relay=dpopd.relay)

    @dpopd.protect(scopes=["read"])
    def resource(request):
        return JsonResponse(state.served(request.dpopd))

    @dpopd.protect(scopes=["write"])
    def write_resource(request):
        return JsonResponse(state.served(request.dpopd))

    urls = types.ModuleType("relay_test_urls")
    urls.urlpatterns = [
        path("token", dpopd.token),
        path("par", dpopd.par),
        path("revoke", dpopd.revocation),
        path(
            "authorize", csrf_exempt(lambda request: dpopd.authorize(request, lambda i: dpopd.issue(i.ticket, "alice")))
        ),
        path("authorize-deny", lambda request: dpopd.authorize(request, lambda i: dpopd.fail(i.ticket, "DENIED"))),
        path("authorize-show", lambda request: dpopd.authorize(request, lambda i: JsonResponse(asdict(i)))),
        path(
            "authorize-openid",
            lambda request: dpopd.authorize(request, lambda i: dpopd.issue(i.ticket, "alice", **OPENID_GRANT)),
        ),
        path(
            "authorize-silent",
            lambda request: dpopd.authorize(
                request,
                lambda i: dpopd.fail(i.ticket, "NOT_LOGGED_IN") if i.no_interaction else HttpResponse(LOGIN_PAGE),
            ),
        ),
        path("resource", csrf_exempt(resource)),
        path("write-resource", write_resource),
    ]
    override = override_settings(ROOT_URLCONF=urls)
    override.enable()
    client = Client(raise_request_exception=False)

    def send(method, path_, headers, body):
        # As a WSGI server does: repeated headers become one comma-joined value.
        joined: dict[str, str] = {}
        for name, value in headers:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
        content_type = joined.pop("Content-Type", "application/x-www-form-urlencoded")
        response = client.generic(method, path_, data=body or "", content_type=content_type, headers=joined)
        return Result(response.status_code, _lower(response.headers.items()), response.content.decode())

    def close():
        override.disable()
        dpopd.relay.close()

    state.send_raw = send
    state.close = close
    return state
