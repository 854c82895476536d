"""Request body limit: a declared or streamed body over the limit is answered 413 before it is read whole."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fastapi import HTTPException

from api.errors import error_response

MAX_BODY_BYTES = 1_048_576


class BodyTooLarge(HTTPException):
    """A FastAPI HTTPException, so FastAPI's body parsing lets it through to the 413 handler."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            if not declared.isdigit():
                response = error_response(400, "bad_request", "Content-Length is not a number")
            else:
                response = error_response(413, "body_too_large", f"request body of {int(declared)} bytes is larger "
                                          f"than {self.max_bytes}", {"limit": self.max_bytes})
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)  # raised inside the app: the error handlers answer 413
            return message

        await self.app(scope, limited, send)
