"""OpenID Connect through the relay on Flask, FastAPI, Starlette and Django, in front of a real
dpopd whose client may ask for `openid` and `email`: `prompt=none` reaches the application
marked `no_interaction`, the request's OpenID Connect parameters reach it too, and what it gives
`issue` about the authentication comes back in the ID token of the token answer, with the
request's nonce."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from apps import FRAMEWORKS, LOGIN_PAGE, OPENID_GRANT
from conftest import OPENID_CLIENT, OPENID_REDIRECT_URI
from support import CALLER, PUBLIC_URL, DpopKey

FORM = ("Content-Type", "application/x-www-form-urlencoded")
TOKEN_URL = f"{PUBLIC_URL}/token"
PKCE_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
PKCE_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
NONCE = "n-0S6_WzA2Mj ~!'()*"

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)


@pytest.fixture
def app(framework, openid_dpopd, app_factory):
    return app_factory(framework, dpopd_url=openid_dpopd.url, **CALLER)


def query(**extra: str) -> str:
    """An authorization request of the OpenID client with `extra` parameters."""
    return urlencode(
        {
            "response_type": "code",
            "client_id": OPENID_CLIENT,
            "state": "s1",
            "code_challenge": PKCE_CHALLENGE,
            "code_challenge_method": "S256",
            "redirect_uri": OPENID_REDIRECT_URI,
            **extra,
        }
    )


def payload(jwt: str) -> dict:
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def redirected(app, path: str, **extra: str) -> dict[str, list[str]]:
    """The 302 of `path` with `extra` request parameters, as its redirect's query."""
    response = app.send("GET", f"{path}?{query(**extra)}")
    assert response.status == 302, response.body
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == OPENID_REDIRECT_URI
    params = parse_qs(location.query)
    assert params["state"] == ["s1"]
    return params


def test_prompt_none_reaches_the_application_marked_no_interaction_with_the_openid_parameters(app):
    shown = app.send(
        "GET",
        "/authorize-show?"
        + query(
            scope="openid email",
            prompt="none",
            nonce=NONCE,
            max_age="300",
            acr_values="urn:example:loa:2 urn:example:loa:1",
            login_hint="alice@example.com",
            ui_locales="fr-CA en",
            claims=json.dumps({"id_token": {"birthdate": {"essential": True}}}),
        ),
    )
    assert shown.status == 200, shown.body
    interaction = shown.json()
    assert interaction["no_interaction"] is True
    assert interaction["prompts"] == ["NONE"], "Authlete's names"
    assert isinstance(interaction["ticket"], str)
    assert interaction["client_id"] == OPENID_CLIENT
    assert interaction["scopes"] == ["openid", "email"]
    assert interaction["max_age"] == 300
    assert interaction["acrs"] == ["urn:example:loa:2", "urn:example:loa:1"]
    assert interaction["claims"] == ["email", "email_verified", "birthdate"]
    assert interaction["login_hint"] == "alice@example.com"
    assert interaction["ui_locales"] == ["fr-CA", "en"]
    assert interaction["nonce"] == NONCE


def test_without_prompt_none_the_interaction_is_not_marked_and_without_openid_has_no_openid_parameters(app):
    shown = app.send("GET", "/authorize-show?" + query(scope="read", nonce=NONCE, max_age="300"))
    assert shown.status == 200, shown.body
    interaction = shown.json()
    assert interaction["no_interaction"] is False
    assert interaction["scopes"] == ["read"]
    assert interaction["max_age"] is None
    assert interaction["nonce"] is None
    assert interaction["claims"] == []
    assert interaction["acrs"] == []
    assert interaction["ui_locales"] == []


def test_prompt_none_for_a_user_not_logged_in_shows_nothing_and_fails_with_login_required(app):
    params = redirected(app, "/authorize-silent", scope="openid", prompt="none")
    assert params["error"] == ["login_required"]
    assert "code" not in params
    page = app.send("GET", "/authorize-silent?" + query(scope="openid"))
    assert page.status == 200, "the same request without prompt=none shows the login page"
    assert page.body == LOGIN_PAGE


@pytest.mark.parametrize("prompt", [{}, {"prompt": "none"}], ids=["login", "prompt-none-logged-in"])
def test_issue_with_auth_time_acr_amr_sid_and_claims_gives_a_token_answer_with_the_id_token_and_the_nonce(app, prompt):
    params = redirected(app, "/authorize-openid", scope="openid email", nonce=NONCE, **prompt)
    key = DpopKey()
    redeemed = app.send(
        "POST",
        "/token",
        [FORM, ("DPoP", key.proof("POST", TOKEN_URL))],
        urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": OPENID_CLIENT,
                "code": params["code"][0],
                "code_verifier": PKCE_VERIFIER,
                "redirect_uri": OPENID_REDIRECT_URI,
            }
        ),
    )
    assert redeemed.status == 200, redeemed.body
    assert redeemed.headers["cache-control"] == "no-store"
    body = redeemed.json()
    assert body["token_type"] == "DPoP"
    assert isinstance(body.get("id_token"), str), redeemed.body
    claims = payload(body["id_token"])
    assert claims["nonce"] == NONCE, "the nonce exactly as the request sent it"
    assert claims["sub"] == "alice"
    assert claims["aud"] == OPENID_CLIENT
    assert claims["auth_time"] == OPENID_GRANT["auth_time"]
    assert claims["acr"] == OPENID_GRANT["acr"]
    assert claims["amr"] == OPENID_GRANT["amr"]
    assert claims["sid"] == OPENID_GRANT["sid"]
    assert claims["email"] == "alice@example.com", "asked for by the email scope"
    assert claims["email_verified"] is True
    assert "phone_number" not in claims, "given, but not asked for"
