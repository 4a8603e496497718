"""A relay must never serve a request dpopd did not clear: dpopd stopped, answering HTTP 500,
garbage or an answer it never gives, or not answering in time is 503 with a JSON error, and the
protected handler never runs. dpopd's own INTERNAL_SERVER_ERROR is 500 with a JSON error."""

from __future__ import annotations

import time

import pytest

from apps import FRAMEWORKS
from support import CALLER, PUBLIC_URL, Dpopd, DpopKey, Fake, basic

CLIENT = basic("demo-client", "demo-client-secret")
FORM = ("Content-Type", "application/x-www-form-urlencoded")

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)


def expect_unavailable(app, skip=()):
    """The token endpoint, a protected resource and the authorization endpoint answer 503."""
    if "token" not in skip:
        token = app.send("POST", "/token", [FORM, ("Authorization", CLIENT)], "grant_type=client_credentials")
        assert token.status == 503, token.body
        assert token.json()["error"] == "temporarily_unavailable"
        assert token.headers["cache-control"] == "no-store"
    if "resource" not in skip:
        resource = app.send("GET", "/resource", [("Authorization", "DPoP some.token.value"), ("DPoP", "a.b.c")])
        assert resource.status == 503, resource.body
        assert resource.headers["content-type"].startswith("application/json")
        assert resource.json()["error"] == "temporarily_unavailable"
        assert "www-authenticate" not in resource.headers
    if "authorize" not in skip:
        assert app.send("GET", "/authorize?response_type=code&client_id=demo-public-client").status == 503
    assert app.handler_runs == 0, "the protected handler never ran"


def test_dpopd_stopped_is_503_json_and_the_handler_never_runs(framework, app_factory):
    dpopd = Dpopd()
    try:
        app = app_factory(framework, dpopd_url=dpopd.url, **CALLER)
        key = DpopKey()
        before = app.send(
            "POST",
            "/token",
            [FORM, ("Authorization", CLIENT), ("DPoP", key.proof("POST", f"{PUBLIC_URL}/token"))],
            "grant_type=client_credentials&scope=read",
        )
        assert before.status == 200
    finally:
        dpopd.stop()
    expect_unavailable(app)


BROKEN = [
    ("http-500", "http500", ()),
    ("garbage", "garbage", ()),
    ("no-action", lambda call: {"resultCode": "A001101"}, ()),
    (
        "action-never-answered",
        lambda call: {"action": "LOCATION", "responseContent": "https://x.example/"},
        ("authorize",),
    ),
    ("ok-without-sufficient", lambda call: {"action": "OK", "responseContent": "{}", "sufficient": False}, ("token",)),
    (
        "ok-without-subject",
        lambda call: {"action": "OK", "sufficient": True, "clientId": "c", "scopes": ["read"]},
        ("token", "authorize"),
    ),
    ("refusal-without-challenge", lambda call: {"action": "UNAUTHORIZED"}, ("authorize",)),
    ("no-interaction-without-ticket", lambda call: {"action": "NO_INTERACTION", "clientId": "c"}, ()),
    (
        "challenge-splitting-the-header",
        lambda call: {"action": "UNAUTHORIZED", "responseContent": "DPoP\r\nSet-Cookie: x=1"},
        ("authorize",),
    ),
    (
        "nonce-that-is-not-one",
        lambda call: {"action": "BAD_REQUEST", "responseContent": '{"error":"invalid_request"}', "dpopNonce": "a b"},
        ("authorize",),
    ),
    (
        "token-body-not-json",
        lambda call: {"action": "OK", "responseContent": "access_token=x"},
        ("resource", "authorize"),
    ),
    (
        "redirect-splitting-the-header",
        lambda call: {"action": "LOCATION", "responseContent": "https://x.example/\r\nSet-Cookie: x"},
        ("token", "resource"),
    ),
]


@pytest.mark.parametrize("mode, skip", [(mode, skip) for _, mode, skip in BROKEN], ids=[name for name, _, _ in BROKEN])
def test_dpopd_answering_what_it_never_answers_is_503(framework, app_factory, mode, skip):
    fake = Fake(mode)
    try:
        expect_unavailable(app_factory(framework, dpopd_url=fake.url, **CALLER), skip)
    finally:
        fake.stop()


def test_dpopd_not_answering_within_the_timeout_is_503_in_about_that_time(framework, app_factory):
    fake = Fake("silent")
    try:
        app = app_factory(framework, dpopd_url=fake.url, timeout=0.3, **CALLER)
        started = time.monotonic()
        expect_unavailable(app)
        elapsed = time.monotonic() - started
        assert 3 * 0.3 <= elapsed < 3 * 0.3 + 2, f"{elapsed:.2f} s for three calls"
    finally:
        fake.stop()


def test_dpopds_internal_server_error_is_500_server_error_without_a_challenge(framework, app_factory):
    fake = Fake(
        lambda call: {"action": "INTERNAL_SERVER_ERROR", "resultCode": "A056101", "resultMessage": "[A056101] store"}
    )
    try:
        app = app_factory(framework, dpopd_url=fake.url, **CALLER)
        token = app.send("POST", "/token", [FORM, ("Authorization", CLIENT)], "grant_type=client_credentials")
        assert (token.status, token.json()["error"]) == (500, "server_error")
        resource = app.send("GET", "/resource", [("Authorization", "DPoP t"), ("DPoP", "a.b.c")])
        assert (resource.status, resource.json()["error"]) == (500, "server_error")
        assert "www-authenticate" not in resource.headers
        assert app.handler_runs == 0
    finally:
        fake.stop()


def test_wrong_caller_credentials_are_503_and_the_handler_never_runs(framework, dpopd, app_factory):
    expect_unavailable(app_factory(framework, dpopd_url=dpopd.url, caller="demo-caller", secret="wrong"))
