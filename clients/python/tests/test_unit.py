"""The relay's pure parts, without a dpopd: the client's Authorization header as it is relayed,
the DPoP header count and access token from raw and comma-joined headers, the public URL, the
interaction of an authorization answer and the issue call of a grant."""

from __future__ import annotations

import base64

import pytest

from dpopd_relay import Relay, RelayRequest
from dpopd_relay._answers import DpopdUnavailable, interaction_of
from dpopd_relay._client_auth import ClientCredentials, client_credential_fields
from dpopd_relay._public_url import htu_resolver
from dpopd_relay._request import access_token_fields, dpop_fields, path_of, query_of, wsgi_target
from support import basic


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "header",
    [
        basic("id-._~:%+ é'", "s-._~:%+ é€"),
        f"Basic {b64('demo-client:demo-client-secret')}",
        "Basic ###",
        f"Basic {b64('no-colon')}",
        "Bearer abc",
        "",
    ],
    ids=["form-encoded", "raw", "not-base64", "no-colon", "bearer", "empty"],
)
def test_the_authorization_header_goes_to_dpopd_verbatim_never_decoded_here(header):
    assert client_credential_fields(header).fields == {"clientAuthorization": header}


def test_no_header_sends_no_credentials():
    assert client_credential_fields(None) == ClientCredentials()


def test_the_basic_scheme_is_recognised_in_any_case_for_the_challenge_of_a_401():
    for header in ("Basic YTpi", "basic YTpi", "BASIC YTpi", " \tBasic YTpi", "Basic"):
        assert client_credential_fields(header).used_basic, header
    for header in ("Bearer abc", "DPoP abc", "Basicx YTpi", 'Digest username="a"', ""):
        assert not client_credential_fields(header).used_basic, header


def request(headers, url="/token?q=1", joined=False, encrypted=False):
    return RelayRequest(method="POST", url=url, headers=headers, headers_joined=joined, encrypted=encrypted)


def test_dpop_headers_are_counted_as_sent_on_asgi():
    assert dpop_fields(request([("host", "x"), ("dpop", "a.b.c"), ("DPoP", "d.e.f")])) == {
        "dpop": "a.b.c",
        "dpopHeaderCount": 2,
    }
    assert dpop_fields(request([("dpop", "a.b.c")])) == {"dpop": "a.b.c", "dpopHeaderCount": 1}
    assert dpop_fields(request([])) == {"dpopHeaderCount": 0}


def test_a_comma_joined_dpop_value_under_wsgi_is_two_headers():
    assert dpop_fields(request([("Dpop", "a.b.c,d.e.f")], joined=True)) == {"dpop": "a.b.c", "dpopHeaderCount": 2}
    assert dpop_fields(request([("Dpop", "a.b.c, d.e.f, g.h.i")], joined=True))["dpopHeaderCount"] == 3
    assert dpop_fields(request([("Dpop", "a.b.c")], joined=True)) == {"dpop": "a.b.c", "dpopHeaderCount": 1}


def test_the_access_token_and_scheme_come_from_one_authorization_header():
    assert access_token_fields(request([("Authorization", "DPoP abc.def-_~+/=")])) == {
        "token": "abc.def-_~+/=",
        "tokenScheme": "DPoP",
    }
    assert access_token_fields(request([("authorization", "bearer abc")])) == {"token": "abc", "tokenScheme": "Bearer"}
    assert access_token_fields(request([("Authorization", "Basic abc")])) == {}
    assert access_token_fields(request([("Authorization", "DPoP a,DPoP b")], joined=True)) == {}
    assert access_token_fields(request([("Authorization", "DPoP a"), ("Authorization", "DPoP b")])) == {}


def test_path_and_query_of_a_request_target():
    assert path_of("/token?x=1#f") == "/token"
    assert path_of("/a%20b") == "/a%20b"
    assert query_of("/authorize?response_type=code&state=x") == "response_type=code&state=x"
    assert query_of("/authorize") == ""


def test_the_wsgi_request_target_is_the_raw_uri_or_the_path_escaped_again():
    assert wsgi_target({"REQUEST_URI": "/a%2Fb?x=1", "PATH_INFO": "/a/b"}) == "/a%2Fb?x=1"
    assert wsgi_target({"RAW_URI": "http://as.example/token?x"}) == "/token?x"
    assert (
        wsgi_target({"SCRIPT_NAME": "/app", "PATH_INFO": "/caf\xc3\xa9 x", "QUERY_STRING": "q=1"})
        == "/app/caf%C3%A9%20x?q=1"
    )


FORGED = [
    ("Host", "evil.example"),
    ("X-Forwarded-Host", "evil.example"),
    ("X-Forwarded-Proto", "http"),
    ("Forwarded", "host=evil.example"),
]


def test_public_url_wins_over_every_header_the_client_could_forge():
    assert htu_resolver("https://AS.example/base/", False)(request(FORGED)) == "https://as.example/base/token"


def test_a_trusted_proxy_the_x_forwarded_value_it_appended_last():
    htu = htu_resolver(None, True)
    assert (
        htu(
            request(
                [
                    ("Host", "internal:3000"),
                    ("X-Forwarded-Proto", "https"),
                    ("X-Forwarded-Host", "evil.example, as.example"),
                ]
            )
        )
        == "https://as.example/token"
    )
    assert (
        htu(
            request(
                [("Host", "internal"), ("X-Forwarded-Host", "evil.example"), ("X-Forwarded-Host", "as.example:8443")]
            )
        )
        == "http://as.example:8443/token"
    )


def test_a_trusted_proxy_forwarded_before_x_forwarded():
    htu = htu_resolver(None, True)
    assert (
        htu(
            request(
                [
                    ("Forwarded", 'for=1.2.3.4;proto=http;host=evil, for=5.6.7.8;proto=https;host="as.example"'),
                    ("X-Forwarded-Host", "other"),
                ]
            )
        )
        == "https://as.example/token"
    )


def test_a_trusted_proxy_that_names_nothing_the_host_header_and_connection():
    assert htu_resolver(None, True)(request([("Host", "as.example")], encrypted=True)) == "https://as.example/token"


@pytest.mark.parametrize(
    "headers",
    [
        [("X-Forwarded-Proto", "gopher"), ("Host", "as.example")],
        [("Host", "as.example/path")],
        [("Host", "a"), ("Host", "b")],
        [],
    ],
    ids=["scheme", "host-with-path", "two-hosts", "nothing"],
)
def test_an_unusable_origin_gives_no_htu(headers):
    assert htu_resolver(None, True)(request(headers)) is None


def test_neither_public_url_nor_trust_proxy_is_a_configuration_error():
    with pytest.raises(ValueError, match="public_url"):
        htu_resolver(None, False)
    with pytest.raises(ValueError, match="http"):
        htu_resolver("ftp://as.example", False)
    with pytest.raises(ValueError, match="query"):
        htu_resolver("https://as.example/?x=1", False)


def test_caller_credentials_come_from_the_environment_and_are_required(monkeypatch):
    monkeypatch.delenv("DPOPD_CALLER", raising=False)
    monkeypatch.delenv("DPOPD_SECRET", raising=False)
    with pytest.raises(ValueError, match="DPOPD_CALLER"):
        Relay(public_url="https://as.example")
    monkeypatch.setenv("DPOPD_CALLER", "c")
    monkeypatch.setenv("DPOPD_SECRET", "s")
    assert Relay(public_url="https://as.example").settings.caller_authorization == "Basic " + b64("c:s")


def test_a_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout"):
        Relay(public_url="https://as.example", caller="c", secret="s", timeout=0)


@pytest.mark.parametrize(
    "requirements",
    [
        {"scopes": "read"},
        {"scopes": [""]},
        {"resources": [1]},
        {"subject": 7},
    ],
    ids=["scope-as-string", "empty-scope", "resource-not-a-string", "subject-not-a-string"],
)
def test_protect_refuses_requirements_dpopd_would_refuse_when_the_route_is_made(requirements):
    from dpopd_relay.flask import FlaskRelay

    with pytest.raises(TypeError, match="protect"):
        FlaskRelay(public_url="https://as.example", caller="c", secret="s").protect(**requirements)


NO_INTERACTION = {
    "action": "NO_INTERACTION",
    "ticket": "t",
    "clientId": "c",
    "scopes": [{"name": "openid"}, {"name": "email"}],
    "prompts": ["NONE"],
    "pushed": False,
    "maxAge": 0,
    "acrs": ["a1", "a2"],
    "claims": ["email", "email_verified"],
    "loginHint": "alice",
    "uiLocales": ["fr"],
    "nonce": "n",
}


def test_no_interaction_is_an_interaction_marked_no_interaction_with_the_openid_fields():
    interaction = interaction_of("/auth/authorization", NO_INTERACTION)
    assert interaction.no_interaction is True
    assert interaction.scopes == ("openid", "email")
    assert interaction.max_age == 0, "max_age=0 is kept (OIDC Core §3.1.2.1: authenticate again)"
    assert interaction.acrs == ("a1", "a2")
    assert interaction.claims == ("email", "email_verified")
    assert interaction.login_hint == "alice"
    assert interaction.ui_locales == ("fr",)
    assert interaction.nonce == "n"
    assert interaction_of("/auth/authorization", {**NO_INTERACTION, "action": "INTERACTION"}).no_interaction is False


def test_openid_fields_of_the_wrong_type_are_left_out():
    interaction = interaction_of(
        "/auth/authorization",
        {
            **NO_INTERACTION,
            "maxAge": "300",
            "acrs": "a1",
            "claims": ["email", 7],
            "loginHint": 1,
            "uiLocales": None,
            "nonce": ["n"],
        },
    )
    assert interaction.max_age is None
    assert interaction.acrs == ()
    assert interaction.claims == ("email",)
    assert interaction.login_hint is None
    assert interaction.ui_locales == ()
    assert interaction.nonce is None
    assert interaction_of("/auth/authorization", {**NO_INTERACTION, "maxAge": True}).max_age is None
    assert interaction_of("/auth/authorization", {**NO_INTERACTION, "maxAge": -1}).max_age is None


@pytest.mark.parametrize("missing", ["ticket", "clientId"])
def test_no_interaction_without_a_ticket_or_client_id_is_dpopd_failing(missing):
    with pytest.raises(DpopdUnavailable):
        interaction_of("/auth/authorization", {**NO_INTERACTION, missing: None})


def _issue_body(**grant) -> dict:
    relay = Relay(public_url="https://as.example", caller="c", secret="s")
    try:
        return relay.issue_step(**grant).body
    finally:
        relay.close()


def test_issue_sends_the_authentication_in_dpopds_names_and_claims_given_as_a_mapping_as_its_json_text():
    from dpopd_relay._core import Authentication

    authentication = Authentication(auth_time=1, acr="a", amr=("pwd",), sid="s", claims={"email": "a@example.com"})
    assert _issue_body(ticket="t", subject="alice", authentication=authentication) == {
        "ticket": "t",
        "subject": "alice",
        "authTime": 1,
        "acr": "a",
        "amr": ["pwd"],
        "sid": "s",
        "claims": '{"email":"a@example.com"}',
    }
    text = Authentication(claims='{"email": "a@example.com"}')
    assert _issue_body(ticket="t", subject="alice", authentication=text)["claims"] == '{"email": "a@example.com"}'
    assert _issue_body(ticket="t", subject="alice") == {"ticket": "t", "subject": "alice"}
