"""Building a request's Context: its session, viewer, loaders and the shared stores.

GraphQL and the plain HTTP endpoints that need to know who is asking (the DRM license)
build it the same way.
"""

from __future__ import annotations

import re

from starlette.requests import HTTPConnection
from starlette.responses import Response

from auth.rate_limit import RateLimiter
from auth.sessions import RecentSessions, SessionStore
from auth.throttle import Throttle, request_subject
from auth.viewer import Viewers
from core.known_markers import KnownMarkers
from datasources.loaders import Loaders
from datasources.stores import Stores
from resolvers.context import Context, RegistrationLimits
from server.settings import Settings

SESSION_COOKIE = "flix_session"
_DEVICE_TYPE = re.compile(r"^[a-z0-9_-]{1,32}$")


def _bearer_token(request: HTTPConnection) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def session_token(request: HTTPConnection) -> str | None:
    """The session token a request presents: a bearer token, else the session cookie."""
    return _bearer_token(request) or request.cookies.get(SESSION_COOKIE)


def _device_type(request: HTTPConnection) -> str:
    given = request.headers.get("x-device-type", "web").strip().lower()
    return given if _DEVICE_TYPE.match(given) else "web"


class ContextFactory:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.recent = RecentSessions(settings.session_cache_seconds)
        self._viewers: Viewers | None = None  # one per process, on the first request's engine
        self.rate_policies = settings.rate_policies()
        self.logged_exposures = KnownMarkers()

    def _registration_limiter(self, stores: Stores, name: str) -> RateLimiter:
        return RateLimiter(
            stores.redis,
            name=name,
            limit=self.settings.registration_attempts,
            window_seconds=self.settings.registration_window_seconds,
        )

    async def build(self, request: HTTPConnection, response: Response | None) -> Context:
        """``response`` receives the session cookie when a resolver signs in or out."""
        stores: Stores = request.app.state.stores
        sessions = SessionStore(stores.redis, self.settings.session_ttl_seconds, self.recent)
        token = session_token(request)
        session = await sessions.get(token) if token else None
        secure = request.url.scheme in ("https", "wss")

        def set_session_cookie(token: str | None) -> None:
            if response is None:
                return
            if token is None:
                response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")
                return
            response.set_cookie(
                SESSION_COOKIE,
                token,
                max_age=self.settings.session_ttl_seconds,
                httponly=True,
                samesite="lax",
                secure=secure,
            )

        if self._viewers is None:
            self._viewers = Viewers(stores.reads, self.settings.viewer_cache_seconds)
        viewer = await self._viewers.resolve(session)
        client_ip = request.client.host if request.client else "unknown"
        return Context(
            engine=stores.engine,
            redis=stores.redis,
            viewing=stores.viewing,
            events=stores.events,
            catalog=stores.catalog,
            personalizer=request.app.state.personalizer,
            experiments=stores.experiments,
            logged_exposures=self.logged_exposures,
            device_type=_device_type(request),
            media=request.app.state.media,
            loaders=Loaders(stores.reads, stores.viewing, stores.catalog_engine),
            sessions=sessions,
            rate_limits=Throttle(
                stores.redis,
                self.rate_policies,
                self.settings.scaled_query_cost_per_minute,
                request_subject(viewer.account.id if viewer.account else None, client_ip),
            ),
            registration_limits=RegistrationLimits(
                per_email=self._registration_limiter(stores, "register:email"),
                per_ip=self._registration_limiter(stores, "register:ip"),
            ),
            viewer=viewer,
            request_id=request.scope.get("state", {}).get("request_id", "-"),
            client_ip=client_ip,
            set_session_cookie=set_session_cookie,
        )
