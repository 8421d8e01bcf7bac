"""The registry's web application (FastAPI): the REST API and the public look-up pages.

    POST /api/v1/certificates                  submit a bundle (body: the bundle bytes; Bearer token)
    GET  /api/v1/certificates/{id}             a certificate as JSON
    GET  /api/v1/certificates?model_sha256=…   every certificate of a model
    GET  /api/v1/certificates/{id}/bundle      the bundle, to verify or re-judge it locally
    POST /api/v1/certificates/{id}/status      suspend, reinstate or revoke (issuing body's token)
    GET  /certificates/{id}?lang=zh            the look-up page (en, zh)
    GET  /models/{sha256}?lang=zh              the look-up page of a model's certificates
"""

from __future__ import annotations

import re

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from conformance.registry.page import CSP, render_certificates
from conformance.registry.service import Refused, Registry

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
CERT_ID = re.compile(r"^C(-[0-9A-F]{5}){4}$")


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


def _refused(exc: Refused) -> JSONResponse:
    return JSONResponse({"error": exc.reason}, status_code=exc.status)


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"})


def create_app(registry: Registry) -> FastAPI:
    app = FastAPI(title="conformance certificate registry", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def health() -> dict:
        return {"ok": True}

    @app.post("/api/v1/certificates")
    async def submit(request: Request) -> Response:
        limit = registry.limits.file_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return _refused(Refused(413, f"the bundle is {declared} bytes, over the limit of {limit}"))
        content = bytearray()
        async for chunk in request.stream():
            content += chunk
            if len(content) > limit:
                return _refused(Refused(413, f"the bundle is over the limit of {limit} bytes"))
        try:
            done = await run_in_threadpool(registry.submit, bytes(content), _token(request))
        except Refused as exc:
            return _refused(exc)
        return JSONResponse(done.certificate, status_code=201 if done.created else 200)

    @app.get("/api/v1/certificates")
    def by_model(model_sha256: str = "") -> Response:
        if not SHA256.match(model_sha256):
            return _refused(Refused(400, "give model_sha256=<64 hex digits>"))
        return JSONResponse(registry.by_model(model_sha256))

    @app.get("/api/v1/certificates/{cid}")
    def get(cid: str) -> Response:
        found = registry.get(cid) if CERT_ID.match(cid) else None
        return JSONResponse(found) if found else _refused(Refused(404, f"no certificate {cid}"))

    @app.get("/api/v1/certificates/{cid}/bundle")
    def bundle(cid: str) -> Response:
        content = registry.bundle(cid) if CERT_ID.match(cid) else None
        if content is None:
            return _refused(Refused(404, f"no certificate {cid}"))
        return Response(content, media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{cid}.bundle"'})

    @app.post("/api/v1/certificates/{cid}/status")
    async def status(cid: str, request: Request) -> Response:
        try:
            payload = await request.json()
        except ValueError:
            return _refused(Refused(400, 'send JSON: {"status": "suspended|revoked|valid", "reason": "…"}'))
        if not isinstance(payload, dict):
            return _refused(Refused(400, 'send JSON: {"status": "suspended|revoked|valid", "reason": "…"}'))
        try:
            changed = await run_in_threadpool(registry.change_status, cid, str(payload.get("status", "")),
                                              str(payload.get("reason", "")), _token(request))
        except Refused as exc:
            return _refused(exc)
        return JSONResponse(changed)

    @app.get("/certificates/{cid}", response_class=HTMLResponse)
    def page(cid: str, lang: str = "en") -> Response:
        found = registry.get(cid) if CERT_ID.match(cid) else None
        if found is None:
            return _html(render_certificates([], lang), 404)
        return _html(render_certificates([found], lang))

    @app.get("/models/{sha}", response_class=HTMLResponse)
    def model_page(sha: str, lang: str = "en") -> Response:
        if not SHA256.match(sha):
            return _html(render_certificates([], lang), 400)
        from conformance.locale import Words

        found = registry.by_model(sha)
        return _html(render_certificates(found, lang, Words(lang if lang in ("en", "zh") else "en")("registry.list_title", sha=sha.lower())))

    return app
