"""Flask, FastAPI, Starlette and Django applications on the relay, in front of a real dpopd:
tokens with and without proofs, server nonces, refused proofs, protected resources, PAR and
the authorization code flow. What the client gets is compared with what dpopd said."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from apps import FRAMEWORKS, WSGI
from support import CALLER, PUBLIC_URL, DpopKey, ath, basic, call_dpopd

CLIENT = basic("demo-client", "demo-client-secret")
FORM = ("Content-Type", "application/x-www-form-urlencoded")
TOKEN_URL = f"{PUBLIC_URL}/token"
RESOURCE_URL = f"{PUBLIC_URL}/resource"
PKCE_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B
PKCE_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
REDIRECT_URI = "http://127.0.0.1:3000/callback"
AUTHORIZATION_QUERY = (
    f"response_type=code&client_id=demo-public-client&state=s1&code_challenge={PKCE_CHALLENGE}"
    f"&code_challenge_method=S256&redirect_uri={quote(REDIRECT_URI, safe='')}"
)

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)


@pytest.fixture
def app(framework, dpopd, app_factory):
    return app_factory(framework, dpopd_url=dpopd.url, **CALLER)


def claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def dpop_token(app, key: DpopKey, scope: str = "read") -> str:
    response = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", CLIENT), ("DPoP", key.proof("POST", TOKEN_URL))],
        f"grant_type=client_credentials&scope={scope}",
    )
    assert response.status == 200, response.body
    return response.json()["access_token"]


def test_a_token_request_with_a_proof_gets_a_dpop_bound_token_not_stored_by_caches(app):
    key = DpopKey()
    response = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", CLIENT), ("DPoP", key.proof("POST", TOKEN_URL))],
        "grant_type=client_credentials&scope=read",
    )
    assert response.status == 200, response.body
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["token_type"] == "DPoP"
    assert claims(response.json()["access_token"])["cnf"]["jkt"] == key.jkt


def test_a_token_request_without_a_proof_gets_a_bearer_token(app):
    response = app.send("POST", "/token", [FORM, ("Authorization", CLIENT)], "grant_type=client_credentials")
    assert response.status == 200
    assert response.json()["token_type"] == "Bearer"


def test_two_dpop_headers_are_refused_with_invalid_dpop_proof(app):
    key = DpopKey()
    response = app.send(
        "POST",
        "/token",
        [
            FORM,
            ("Authorization", CLIENT),
            ("DPoP", key.proof("POST", TOKEN_URL)),
            ("DPoP", key.proof("POST", TOKEN_URL)),
        ],
        "grant_type=client_credentials",
    )
    assert response.status == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_a_proof_for_another_url_is_refused_htu_is_the_configured_public_url(app):
    key = DpopKey()
    response = app.send(
        "POST",
        "/token",
        [
            FORM,
            ("Authorization", CLIENT),
            ("X-Forwarded-Host", "elsewhere.example"),
            ("DPoP", key.proof("POST", "https://elsewhere.example/token")),
        ],
        "grant_type=client_credentials",
    )
    assert response.status == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_a_wrong_client_secret_is_401_invalid_client_with_a_basic_challenge(app):
    response = app.send(
        "POST", "/token", [FORM, ("Authorization", basic("demo-client", "wrong"))], "grant_type=client_credentials"
    )
    assert response.status == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("header", "result_code"),
    [
        ("Basic bm8tY29sb24=", "A060303"),
        ("Basic ###", "A060302"),
        ("Basic " + base64.b64encode(b"id:%zz").decode(), "A060304"),
    ],
    ids=["no-colon", "not-base64", "bad-escape"],
)
def test_a_basic_header_that_does_not_decode_is_401_invalid_client_with_a_basic_challenge_and_dpopds_body(
    app, dpopd, header, result_code
):
    response = app.send("POST", "/token", [FORM, ("Authorization", header)], "grant_type=client_credentials")
    direct = call_dpopd(
        dpopd.url, "/auth/token", {"parameters": "grant_type=client_credentials", "clientAuthorization": header}
    )
    assert direct["action"] == "INVALID_CLIENT"
    assert direct["resultCode"] == result_code
    assert response.status == 401
    assert response.body == direct["responseContent"]
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    assert response.headers["cache-control"] == "no-store"


def test_par_with_a_basic_header_that_does_not_decode_is_401_with_a_basic_challenge(app):
    response = app.send("POST", "/par", [FORM, ("Authorization", "Basic ###")], AUTHORIZATION_QUERY)
    assert response.status == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic realm=")


def test_another_scheme_than_basic_is_401_invalid_client_without_a_basic_challenge(app):
    response = app.send("POST", "/token", [FORM, ("Authorization", "Bearer abc")], "grant_type=client_credentials")
    assert response.status == 401
    assert response.json()["error"] == "invalid_client"
    assert "www-authenticate" not in response.headers


def test_a_client_id_the_client_form_urlencoded_as_oauth4webapi_does_authenticates(app):
    # demo%2Dclient:demo%2Dclient%2Dsecret (RFC 6749 §2.3.1; oauth4webapi escapes - too)
    header = "Basic ZGVtbyUyRGNsaWVudDpkZW1vJTJEY2xpZW50JTJEc2VjcmV0"
    response = app.send("POST", "/token", [FORM, ("Authorization", header)], "grant_type=client_credentials")
    assert response.status == 200, response.body


def test_two_authorization_headers_are_refused(app, framework):
    response = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", CLIENT), ("Authorization", basic("other", "x"))],
        "grant_type=client_credentials",
    )
    if framework in WSGI:
        # WSGI joins repeated headers with a comma, which no Basic credential contains: the
        # relay forwards the joined value and dpopd refuses it as not base64 (RFC 6749 §5.2).
        assert response.status == 401
        assert response.json()["error"] == "invalid_client"
        assert response.headers["www-authenticate"].startswith("Basic realm=")
    else:
        # ASGI hands the relay both headers, and it refuses them itself.
        assert response.status == 400
        assert response.json()["error"] == "invalid_request"


def test_an_unsupported_grant_is_400_with_dpopds_body_verbatim(app, dpopd):
    response = app.send("POST", "/token", [FORM, ("Authorization", CLIENT)], "grant_type=password")
    direct = call_dpopd(
        dpopd.url,
        "/auth/token",
        {"parameters": "grant_type=password", "clientAuthorization": CLIENT},
    )
    assert response.status == 400
    assert response.body == direct["responseContent"]


def test_a_body_over_the_limit_is_413(app):
    response = app.send(
        "POST", "/token", [FORM, ("Authorization", CLIENT)], "grant_type=client_credentials&x=" + "a" * 40_000
    )
    assert response.status == 413
    assert response.json()["error"] == "invalid_request"


def test_revocation_answers_200_with_an_empty_body(app):
    token = dpop_token(app, DpopKey())
    response = app.send("POST", "/revoke", [FORM, ("Authorization", CLIENT)], f"token={token}")
    assert response.status == 200
    assert response.body == ""


def test_a_token_request_without_a_nonce_gets_the_nonce_relayed_and_the_retry_succeeds(
    framework, nonce_dpopd, app_factory
):
    app = app_factory(framework, dpopd_url=nonce_dpopd.url, **CALLER)
    key = DpopKey()
    first = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", CLIENT), ("DPoP", key.proof("POST", TOKEN_URL))],
        "grant_type=client_credentials&scope=read",
    )
    assert first.status == 400
    assert first.json()["error"] == "use_dpop_nonce"
    nonce = first.headers["dpop-nonce"]
    retry = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", CLIENT), ("DPoP", key.proof("POST", TOKEN_URL, nonce=nonce))],
        "grant_type=client_credentials&scope=read",
    )
    assert retry.status == 200, retry.body
    assert retry.json()["token_type"] == "DPoP"
    assert retry.headers.get("dpop-nonce"), "a success carries the current nonce too"


def test_the_resource_wants_its_own_nonce_then_serves_with_the_nonce_on_the_answer(framework, nonce_dpopd, app_factory):
    app = app_factory(framework, dpopd_url=nonce_dpopd.url, **CALLER)
    key = DpopKey()
    first = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", CLIENT), ("DPoP", key.proof("POST", TOKEN_URL))],
        "grant_type=client_credentials&scope=read",
    )
    issued = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", CLIENT), ("DPoP", key.proof("POST", TOKEN_URL, nonce=first.headers["dpop-nonce"]))],
        "grant_type=client_credentials&scope=read",
    )
    token = issued.json()["access_token"]
    refused = app.send(
        "GET",
        "/resource",
        [("Authorization", f"DPoP {token}"), ("DPoP", key.proof("GET", RESOURCE_URL, ath=ath(token)))],
    )
    assert refused.status == 401
    assert refused.headers["www-authenticate"].startswith('DPoP error="use_dpop_nonce"')
    nonce = refused.headers["dpop-nonce"]
    served = app.send(
        "GET",
        "/resource",
        [("Authorization", f"DPoP {token}"), ("DPoP", key.proof("GET", RESOURCE_URL, ath=ath(token), nonce=nonce))],
    )
    assert served.status == 200, served.headers.get("www-authenticate")
    assert served.json()["subject"] == "demo-client"
    assert served.headers.get("dpop-nonce"), "the served answer carries the current nonce"


def test_a_valid_dpop_request_reaches_the_handler_with_subject_client_id_and_scopes(app):
    key = DpopKey()
    token = dpop_token(app, key, "read write")
    response = app.send(
        "GET",
        "/resource?page=2",
        [("Authorization", f"DPoP {token}"), ("DPoP", key.proof("GET", RESOURCE_URL, ath=ath(token)))],
    )
    assert response.status == 200, response.headers.get("www-authenticate")
    body = response.json()
    assert body["served"] is True
    assert (body["subject"], body["client_id"], body["scopes"]) == ("demo-client", "demo-client", ["read", "write"])
    assert (body["token_scheme"], body["jkt"]) == ("DPoP", key.jkt)
    assert app.handler_runs == 1


def test_a_post_is_checked_with_htm_post(app):
    key = DpopKey()
    token = dpop_token(app, key)
    response = app.send(
        "POST",
        "/resource",
        [("Authorization", f"DPoP {token}"), ("DPoP", key.proof("POST", RESOURCE_URL, ath=ath(token)))],
    )
    assert response.status == 200, response.headers.get("www-authenticate")


def test_a_bad_proof_is_401_with_dpopds_challenge_exactly_and_the_handler_does_not_run(app, dpopd):
    key = DpopKey()
    token = dpop_token(app, key)
    proof = key.proof("GET", RESOURCE_URL, ath=ath("another token"))
    response = app.send("GET", "/resource", [("Authorization", f"DPoP {token}"), ("DPoP", proof)])
    direct = call_dpopd(
        dpopd.url,
        "/auth/introspection",
        {
            "token": token,
            "tokenScheme": "DPoP",
            "scopes": ["read"],
            "dpop": proof,
            "dpopHeaderCount": 1,
            "htm": "GET",
            "htu": RESOURCE_URL,
        },
    )
    assert response.status == 401
    assert direct["action"] == "UNAUTHORIZED"
    assert response.headers["www-authenticate"] == direct["responseContent"]
    assert response.headers["cache-control"] == "no-store"
    assert app.handler_runs == 0


def test_two_dpop_headers_at_a_resource_are_refused(app):
    key = DpopKey()
    token = dpop_token(app, key)
    response = app.send(
        "GET",
        "/resource",
        [
            ("Authorization", f"DPoP {token}"),
            ("DPoP", key.proof("GET", RESOURCE_URL, ath=ath(token))),
            ("DPoP", key.proof("GET", RESOURCE_URL, ath=ath(token))),
        ],
    )
    assert response.status == 401
    assert "invalid_dpop_proof" in response.headers["www-authenticate"]
    assert app.handler_runs == 0


def test_a_token_without_the_scope_is_403_insufficient_scope(app):
    key = DpopKey()
    token = dpop_token(app, key, "write")
    response = app.send(
        "GET",
        "/resource",
        [("Authorization", f"DPoP {token}"), ("DPoP", key.proof("GET", RESOURCE_URL, ath=ath(token)))],
    )
    assert response.status == 403
    assert 'error="insufficient_scope"' in response.headers["www-authenticate"]
    assert app.handler_runs == 0


def test_a_bound_token_presented_as_bearer_is_refused_with_a_dpop_challenge(app):
    token = dpop_token(app, DpopKey())
    response = app.send("GET", "/resource", [("Authorization", f"Bearer {token}")])
    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("DPoP ")


def test_no_token_is_401_with_a_bare_challenge(app):
    # RFC 6750 §3.1: a request without a token gets a challenge without an error code.
    response = app.send("GET", "/resource")
    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "error=" not in response.headers["www-authenticate"]
    assert app.handler_runs == 0


def test_a_bearer_token_without_a_proof_is_served_as_bearer(app):
    issued = app.send("POST", "/token", [FORM, ("Authorization", CLIENT)], "grant_type=client_credentials&scope=read")
    response = app.send("GET", "/resource", [("Authorization", f"Bearer {issued.json()['access_token']}")])
    assert response.status == 200
    assert response.json()["token_scheme"] == "Bearer"


def test_a_valid_authorization_request_reaches_the_interaction_and_issue_redirects_with_a_code(app):
    shown = app.send("GET", f"/authorize-show?{AUTHORIZATION_QUERY}")
    assert shown.status == 200, shown.body
    assert shown.json()["client_id"] == "demo-public-client"
    assert shown.json()["scopes"] == ["read", "write"]
    response = app.send("GET", f"/authorize?{AUTHORIZATION_QUERY}")
    assert response.status == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["s1"]
    key = DpopKey()
    redeemed = app.send(
        "POST",
        "/token",
        [FORM, ("DPoP", key.proof("POST", TOKEN_URL))],
        f"grant_type=authorization_code&client_id=demo-public-client&code={query['code'][0]}"
        f"&code_verifier={PKCE_VERIFIER}&redirect_uri={quote(REDIRECT_URI, safe='')}",
    )
    assert redeemed.status == 200, redeemed.body
    assert redeemed.json()["token_type"] == "DPoP"


def test_a_posted_authorization_request_is_read_from_the_form_body(app):
    response = app.send("POST", "/authorize", [FORM], AUTHORIZATION_QUERY)
    assert response.status == 302, response.body
    assert parse_qs(urlsplit(response.headers["location"]).query)["code"]


def test_fail_redirects_with_access_denied(app):
    response = app.send("GET", f"/authorize-deny?{AUTHORIZATION_QUERY}")
    assert response.status == 302
    assert parse_qs(urlsplit(response.headers["location"]).query)["error"] == ["access_denied"]


def test_an_unknown_client_is_400_and_never_redirected(app):
    response = app.send(
        "GET",
        f"/authorize?response_type=code&client_id=nobody&redirect_uri={quote('https://attacker.example/', safe='')}",
    )
    assert response.status == 400
    assert "location" not in response.headers
    assert response.json()["error"]


def test_par_answers_201_with_a_request_uri_that_the_authorization_endpoint_takes(app):
    key = DpopKey()
    pushed = app.send("POST", "/par", [FORM, ("DPoP", key.proof("POST", f"{PUBLIC_URL}/par"))], AUTHORIZATION_QUERY)
    assert pushed.status == 201, pushed.body
    assert pushed.headers["cache-control"] == "no-store"
    request_uri = pushed.json()["request_uri"]
    assert request_uri.startswith("urn:ietf:params:oauth:request_uri:")
    shown = app.send("GET", f"/authorize-show?client_id=demo-public-client&request_uri={quote(request_uri, safe='')}")
    assert shown.status == 200, shown.body
    assert shown.json()["pushed"] is True
    assert shown.json()["dpop_jkt"] == key.jkt


def test_par_with_two_dpop_headers_is_refused_even_when_each_proof_is_valid(app):
    key = DpopKey()
    response = app.send(
        "POST",
        "/par",
        [FORM, ("DPoP", key.proof("POST", f"{PUBLIC_URL}/par")), ("DPoP", key.proof("POST", f"{PUBLIC_URL}/par"))],
        AUTHORIZATION_QUERY,
    )
    assert response.status == 400
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "invalid_dpop_proof"


def test_par_with_an_empty_dpop_header_is_refused(app):
    response = app.send("POST", "/par", [FORM, ("DPoP", "")], AUTHORIZATION_QUERY)
    assert response.status == 400
    assert response.json()["error"] == "invalid_dpop_proof"


def test_par_with_a_wrong_client_secret_is_401_with_a_basic_challenge(app):
    response = app.send(
        "POST",
        "/par",
        [FORM, ("Authorization", basic("demo-client", "wrong"))],
        "response_type=code&client_id=demo-client",
    )
    assert response.status == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_behind_a_trusted_proxy_htu_comes_from_x_forwarded_headers(framework, dpopd, app_factory):
    app = app_factory(framework, dpopd_url=dpopd.url, public_url=None, trust_proxy=True, **CALLER)
    key = DpopKey()
    response = app.send(
        "POST",
        "/token",
        [
            FORM,
            ("Authorization", CLIENT),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "as.example"),
            ("DPoP", key.proof("POST", "https://as.example/token")),
        ],
        "grant_type=client_credentials",
    )
    assert response.status == 200, response.body
