"""Small local servers speaking the WhatsApp providers' HTTP APIs (protocols.md §3–5), for tests.

They keep their state in memory and record every request, so tests can check what the adapters
sent. `serve(app)` runs one with uvicorn on a free 127.0.0.1 port: the adapters make real HTTP calls.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PNG_B64 = base64.b64encode(PNG).decode()


@dataclass
class Recorder:
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)

    async def note(self, request: Request) -> Any:
        body = await request.body()
        parsed: Any = None
        if body:
            try:
                parsed = await request.json()
            except ValueError:
                parsed = body
        self.requests.append((request.method, request.url.path, dict(request.headers), parsed))
        return parsed


# Meta Graph API -------------------------------------------------------------------------------------


def meta_app(*, token: str, phone_number_id: str, recorder: Recorder) -> Starlette:
    async def phone(request: Request) -> Response:
        await recorder.note(request)
        if request.headers.get("authorization") != f"Bearer {token}":
            error = {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190}
            return JSONResponse({"error": error}, status_code=401)
        if request.path_params["pnid"] != phone_number_id:
            return JSONResponse(
                {"error": {"message": "Unsupported get request.", "code": 100}}, status_code=400
            )
        return JSONResponse(
            {"id": phone_number_id, "display_phone_number": "+57 300 1111111", "quality_rating": "GREEN"}
        )

    async def messages(request: Request) -> Response:
        body = await recorder.note(request)
        if request.headers.get("authorization") != f"Bearer {token}":
            return JSONResponse({"error": {"message": "Invalid OAuth access token."}}, status_code=401)
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"].lstrip("+")}],
                "messages": [{"id": "wamid.TEST123", "message_status": "accepted"}],
            }
        )

    return Starlette(
        routes=[Route("/v25.0/{pnid}", phone), Route("/v25.0/{pnid}/messages", messages, methods=["POST"])]
    )


# WPPConnect Server ----------------------------------------------------------------------------------


@dataclass
class WppState:
    secret_key: str
    sessions: dict[str, str] = field(default_factory=dict)  # session → CLOSED | QRCODE | CONNECTED
    webhooks: dict[str, str] = field(default_factory=dict)
    token_salt: str = "v1"  # change it to make earlier tokens invalid (a restarted server)

    def token(self, session: str) -> str:
        digest = hashlib.sha256(f"{self.token_salt}{session}{self.secret_key}".encode()).digest()
        return base64.b64encode(digest).decode().replace("/", "_").replace("+", "-")


def wppconnect_app(state: WppState, recorder: Recorder) -> Starlette:
    def authorised(request: Request) -> bool:
        session = request.path_params["session"]
        return request.headers.get("authorization") == f"Bearer {state.token(session)}"

    async def generate(request: Request) -> Response:
        await recorder.note(request)
        session = request.path_params["session"]
        if request.path_params["secret"] != state.secret_key:
            return JSONResponse(
                {"response": False, "message": "The SECRET_KEY is incorrect"}, status_code=400
            )
        token = state.token(session)
        return JSONResponse(
            {"status": "success", "session": session, "token": token, "full": f"{session}:{token}"},
            status_code=201,
        )

    def unauthorised() -> Response:
        return JSONResponse({"error": "Check that the Session and Token are correct"}, status_code=401)

    async def start(request: Request) -> Response:
        body = await recorder.note(request)
        if not authorised(request):
            return unauthorised()
        session = request.path_params["session"]
        state.webhooks[session] = body.get("webhook", "")
        if state.sessions.get(session) == "CONNECTED":
            return JSONResponse({"status": "CONNECTED", "qrcode": None, "version": "2.10.4"})
        state.sessions[session] = "QRCODE"
        return JSONResponse({"status": "qrcode", "qrcode": PNG_B64, "urlcode": "2@abc", "session": session})

    async def status(request: Request) -> Response:
        await recorder.note(request)
        if not authorised(request):
            return unauthorised()
        current = state.sessions.get(request.path_params["session"])
        if current is None:
            return JSONResponse({"status": "CLOSED", "qrcode": None})
        qr = f"data:image/png;base64,{PNG_B64}" if current == "QRCODE" else None
        return JSONResponse({"status": current, "qrcode": qr, "urlcode": "2@abc", "version": "2.10.4"})

    async def qrcode(request: Request) -> Response:
        await recorder.note(request)
        if not authorised(request):
            return unauthorised()
        current = state.sessions.get(request.path_params["session"])
        if current == "QRCODE":
            return Response(PNG, media_type="image/png")
        if current is None:
            return JSONResponse(
                {"status": None, "message": "Session not started. Please, use the /start-session route"}
            )
        return JSONResponse({"status": current, "message": "QRCode is not available..."})

    async def close(request: Request) -> Response:
        await recorder.note(request)
        if not authorised(request):
            return unauthorised()
        state.sessions[request.path_params["session"]] = "CLOSED"
        return JSONResponse({"status": True, "message": "Session successfully closed"})

    async def send(request: Request) -> Response:
        body = await recorder.note(request)
        if not authorised(request):
            return unauthorised()
        if state.sessions.get(request.path_params["session"]) != "CONNECTED":
            return JSONResponse(
                {
                    "response": None,
                    "status": "Disconnected",
                    "message": "A sessão do WhatsApp não está ativa.",
                },
                status_code=404,
            )
        message = {"id": f"true_{body['phone']}@c.us_3EB0TEST", "body": body["message"]}
        return JSONResponse({"status": "success", "response": [message], "mapper": "return"}, status_code=201)

    base = "/api/{session}"
    return Starlette(
        routes=[
            Route(base + "/{secret}/generate-token", generate, methods=["POST"]),
            Route(base + "/start-session", start, methods=["POST"]),
            Route(base + "/status-session", status),
            Route(base + "/qrcode-session", qrcode),
            Route(base + "/close-session", close, methods=["POST"]),
            Route(base + "/send-message", send, methods=["POST"]),
        ]
    )


# Evolution API --------------------------------------------------------------------------------------


@dataclass
class EvolutionState:
    api_key: str
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {token, state, webhook}


def evolution_app(state: EvolutionState, recorder: Recorder) -> Starlette:
    def key_ok(request: Request, name: str | None) -> bool:
        key = request.headers.get("apikey")
        if key == state.api_key:
            return True
        return name is not None and name in state.instances and key == state.instances[name]["token"]

    def unauthorised() -> Response:
        return JSONResponse(
            {"status": 401, "error": "Unauthorized", "response": {"message": "Unauthorized"}}, 401
        )

    async def create(request: Request) -> Response:
        body = await recorder.note(request)
        if not key_ok(request, None):
            return unauthorised()
        name = body["instanceName"]
        if name in state.instances:
            message = {"message": [f'This name "{name}" is already in use.']}
            return JSONResponse({"status": 403, "error": "Forbidden", "response": message}, 403)
        token = hashlib.sha256(name.encode()).hexdigest()[:32].upper()
        state.instances[name] = {"token": token, "state": "connecting", "webhook": body.get("webhook")}
        return JSONResponse(
            {
                "instance": {
                    "instanceName": name,
                    "instanceId": "uuid-1",
                    "integration": body["integration"],
                    "status": "connecting",
                },
                "hash": token,
                "webhook": {"webhookUrl": body["webhook"]["url"]},
                "qrcode": {
                    "pairingCode": None,
                    "code": "2@xyz",
                    "base64": f"data:image/png;base64,{PNG_B64}",
                    "count": 1,
                },
            },
            status_code=201,
        )

    def instance(request: Request) -> dict[str, Any] | None:
        return state.instances.get(request.path_params["name"])

    async def connection_state(request: Request) -> Response:
        await recorder.note(request)
        if not key_ok(request, request.path_params["name"]):
            return unauthorised()
        found = instance(request)
        if found is None:
            return JSONResponse({"status": 404, "error": "Not Found"}, 404)
        return JSONResponse(
            {"instance": {"instanceName": request.path_params["name"], "state": found["state"]}}
        )

    async def connect(request: Request) -> Response:
        await recorder.note(request)
        if not key_ok(request, request.path_params["name"]):
            return unauthorised()
        found = instance(request)
        if found is None:
            return JSONResponse({"status": 404, "error": "Not Found"}, 404)
        if found["state"] == "open":
            return JSONResponse({"instance": {"instanceName": request.path_params["name"], "state": "open"}})
        found["state"] = "connecting"
        return JSONResponse(
            {"pairingCode": None, "code": "2@xyz", "base64": f"data:image/png;base64,{PNG_B64}", "count": 2}
        )

    async def logout(request: Request) -> Response:
        await recorder.note(request)
        if not key_ok(request, request.path_params["name"]):
            return unauthorised()
        found = instance(request)
        if found is None:
            return JSONResponse({"status": 404, "error": "Not Found"}, 404)
        found["state"] = "close"
        return JSONResponse(
            {"status": "SUCCESS", "error": False, "response": {"message": "Instance logged out"}}
        )

    async def send_text(request: Request) -> Response:
        body = await recorder.note(request)
        if not key_ok(request, request.path_params["name"]):
            return unauthorised()
        return JSONResponse(
            {
                "key": {"remoteJid": f"{body['number']}@s.whatsapp.net", "fromMe": True, "id": "3EB0EVOTEST"},
                "status": "PENDING",
            },
            status_code=201,
        )

    return Starlette(
        routes=[
            Route("/instance/create", create, methods=["POST"]),
            Route("/instance/connectionState/{name}", connection_state),
            Route("/instance/connect/{name}", connect),
            Route("/instance/logout/{name}", logout, methods=["DELETE"]),
            Route("/message/sendText/{name}", send_text, methods=["POST"]),
        ]
    )


# Serving --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@asynccontextmanager
async def serve(app: Starlette) -> AsyncIterator[str]:
    """Run `app` on a free 127.0.0.1 port for the block; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
