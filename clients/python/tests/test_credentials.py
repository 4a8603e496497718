"""Client credentials with every character RFC 6749 §2.3.1 makes a client encode, against a
dpopd that has such a client registered; what dpopd receives from the relay — the client's
Authorization header verbatim as `clientAuthorization`, and at PAR the DPoP header count —
checked on a stand-in."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from apps import FRAMEWORKS
from conftest import ODD_ID, ODD_SECRET
from support import CALLER, PUBLIC_URL, DpopKey, Fake, basic

FORM = ("Content-Type", "application/x-www-form-urlencoded")

pytestmark = pytest.mark.parametrize("framework", FRAMEWORKS)


def test_an_id_and_secret_with_every_special_character_authenticate_when_form_urlencoded(
    framework, odd_dpopd, app_factory
):
    app = app_factory(framework, dpopd_url=odd_dpopd.url, **CALLER)
    response = app.send(
        "POST",
        "/token",
        [FORM, ("Authorization", basic(ODD_ID, ODD_SECRET)), ("DPoP", DpopKey().proof("POST", f"{PUBLIC_URL}/token"))],
        "grant_type=client_credentials",
    )
    assert response.status == 200, response.body
    assert response.json()["token_type"] == "DPoP"


def test_the_same_secret_sent_without_form_encoding_is_401_invalid_client_its_percent_is_no_escape(
    framework, odd_dpopd, app_factory
):
    app = app_factory(framework, dpopd_url=odd_dpopd.url, **CALLER)
    raw = "Basic " + base64.b64encode(f"{quote(ODD_ID, safe='')}:{ODD_SECRET}".encode()).decode()
    response = app.send("POST", "/token", [FORM, ("Authorization", raw)], "grant_type=client_credentials")
    assert response.status == 401
    assert response.json()["error"] == "invalid_client"
    assert "not form-urlencoded" in response.json()["error_description"]
    assert response.headers["www-authenticate"].startswith("Basic")


def test_token_par_and_revocation_send_the_header_verbatim_and_no_decoded_credentials(framework, app_factory):
    fake = Fake(
        lambda call: {
            "action": "UNAUTHORIZED" if call["path"] == "/pushed_auth_req" else "INVALID_CLIENT",
            "responseContent": '{"error":"invalid_client"}',
        }
    )
    try:
        app = app_factory(framework, dpopd_url=fake.url, **CALLER)
        header = basic(ODD_ID, ODD_SECRET)
        for path in ("/token", "/par", "/revoke"):
            response = app.send("POST", path, [FORM, ("Authorization", header)], "x=1")
            assert response.status == 401, path
            assert response.headers["www-authenticate"].startswith("Basic"), path
        assert [call["path"] for call in fake.received] == ["/auth/token", "/pushed_auth_req", "/auth/revocation"]
        for call in fake.received:
            assert call["body"]["clientAuthorization"] == header
            assert "clientId" not in call["body"] and "clientSecret" not in call["body"]
    finally:
        fake.stop()


def test_par_sends_the_dpop_header_count_and_the_first_proof_and_dpopd_judges_them(framework, app_factory):
    fake = Fake(lambda call: {"action": "BAD_REQUEST", "responseContent": '{"error":"invalid_dpop_proof"}'})
    try:
        app = app_factory(framework, dpopd_url=fake.url, **CALLER)
        response = app.send("POST", "/par", [FORM, ("DPoP", "first.proof.x"), ("DPoP", "second.proof.y")], "x=1")
        assert response.status == 400
        assert response.json()["error"] == "invalid_dpop_proof"
        assert [call["path"] for call in fake.received] == ["/pushed_auth_req"]
        assert fake.received[0]["body"]["dpop"] == "first.proof.x"
        assert fake.received[0]["body"]["dpopHeaderCount"] == 2
    finally:
        fake.stop()
