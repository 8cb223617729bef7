"""The /graphql endpoint: strawberry's ASGI view with Flix's per-request context."""

from __future__ import annotations

import re
from typing import Any

import structlog
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from auth.rate_limit import RateLimiter
from auth.sessions import RecentSessions, SessionStore
from auth.viewer import resolve_viewer
from datasources.loaders import Loaders
from datasources.stores import Stores
from resolvers.context import Context, LoginLimits
from schema.errors import classify
from server.middleware import BodyTooLarge, error_body
from server.settings import Settings

SESSION_COOKIE = "flix_session"
_DEVICE_TYPE = re.compile(r"^[a-z0-9_-]{1,32}$")
log = structlog.get_logger("flix.graphql")


def _bearer_token(request: Request | WebSocket) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _device_type(request: Request | WebSocket) -> str:
    given = request.headers.get("x-device-type", "web").strip().lower()
    return given if _DEVICE_TYPE.match(given) else "web"


class FlixGraphQL(GraphQL[Context, None]):
    def __init__(self, *args: Any, settings: Settings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.settings = settings
        self.recent = RecentSessions()

    def _login_limiter(self, stores: Stores, name: str) -> RateLimiter:
        return RateLimiter(
            stores.redis,
            name=name,
            limit=self.settings.login_attempts,
            window_seconds=self.settings.login_window_seconds,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope, receive))
        except HTTPException as error:  # unparsable body, wrong method: answer in GraphQL's shape
            response = JSONResponse(
                error_body(error.reason, "BAD_USER_INPUT"), status_code=error.status_code
            )
        except BodyTooLarge:
            raise  # BodySizeLimit answers it
        except Exception:  # building the context failed: a store is down, most likely
            request_id = scope.get("state", {}).get("request_id", "-")
            log.exception("request failed before execution", request_id=request_id)
            message = f"Service unavailable. Quote request id {request_id} when reporting it."
            response = JSONResponse(error_body(message, "INTERNAL"), status_code=503)
        await response(scope, receive, send)

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        if result.errors:
            request_id = request.scope.get("state", {}).get("request_id", "-")
            result.errors = [classify(error, request_id) for error in result.errors]
        return await super().process_result(request, result)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        stores: Stores = request.app.state.stores
        sessions = SessionStore(stores.redis, self.settings.session_ttl_seconds, self.recent)
        token = _bearer_token(request) or request.cookies.get(SESSION_COOKIE)
        session = await sessions.get(token) if token else None
        loaders = Loaders(stores.engine, stores.viewing)
        secure = request.url.scheme in ("https", "wss")

        def set_session_cookie(token: str | None) -> None:
            if not isinstance(response, Response):
                return
            if token is None:
                response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
            else:
                response.set_cookie(
                    SESSION_COOKIE,
                    token,
                    max_age=self.settings.session_ttl_seconds,
                    httponly=True,
                    samesite="lax",
                    secure=secure,
                )

        return Context(
            engine=stores.engine,
            redis=stores.redis,
            viewing=stores.viewing,
            events=stores.events,
            catalog=stores.catalog,
            personalizer=request.app.state.personalizer,
            experiments=stores.experiments,
            device_type=_device_type(request),
            loaders=loaders,
            sessions=sessions,
            login_limits=LoginLimits(
                per_account=self._login_limiter(stores, "login:account"),
                per_ip=self._login_limiter(stores, "login:ip"),
            ),
            viewer=await resolve_viewer(session, stores.engine),
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            client_ip=request.client.host if request.client else "unknown",
            set_session_cookie=set_session_cookie,
        )
