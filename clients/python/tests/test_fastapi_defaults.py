"""FastAPI without `StarletteRelay.install(app)`: a refused request still gets dpopd's status and
headers (the challenge, the nonce) through FastAPI's own HTTPException handler, and a dpopd
failure is still 503; only the body is FastAPI's."""

from __future__ import annotations

from fastapi import Depends, FastAPI
from starlette.testclient import TestClient

from dpopd_relay import Principal
from dpopd_relay.starlette import StarletteRelay
from support import CALLER, Fake


def app_without_install(dpopd_url: str) -> tuple[FastAPI, list]:
    dpopd = StarletteRelay(public_url="https://api.test", dpopd_url=dpopd_url, **CALLER)
    app = FastAPI()
    runs: list = []

    @app.get("/resource")
    async def resource(principal: Principal = Depends(dpopd.protect(scopes=["read"]))):
        runs.append(principal)
        return {"subject": principal.subject}

    return app, runs


def test_a_refusal_keeps_dpopds_status_challenge_and_nonce():
    challenge = 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"'
    fake = Fake(lambda call: {"action": "UNAUTHORIZED", "responseContent": challenge, "dpopNonce": "n-1"})
    try:
        app, runs = app_without_install(fake.url)
        with TestClient(app) as client:
            response = client.get("/resource", headers={"Authorization": "DPoP t", "DPoP": "a.b.c"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == challenge
        assert response.headers["dpop-nonce"] == "n-1"
        assert runs == []
    finally:
        fake.stop()


def test_a_dpopd_failure_is_still_503():
    fake = Fake("garbage")
    try:
        app, runs = app_without_install(fake.url)
        with TestClient(app) as client:
            response = client.get("/resource", headers={"Authorization": "DPoP t"})
        assert response.status_code == 503
        assert response.headers["cache-control"] == "no-store"
        assert runs == []
    finally:
        fake.stop()
