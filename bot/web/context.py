"""What every desk page shares: the running app, sessions, templates, forms and answers."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from bot.daemon.runtime import Runtime
from bot.reports.views import local
from bot.store.desk import DeskStore
from bot.web.auth import Session, Sessions, SignInLimit, csrf_ok

T = TypeVar("T")

SESSION_COOKIE = "crosspost_session"
LOGIN_COOKIE = "crosspost_signin"
MAX_FORM_BYTES = 200_000

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' https: http:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def weblink(value: object) -> bool:
    """Whether a stored link may be drawn as a link: http(s) only (``javascript:`` and the like
    stored before links were checked stay text)."""
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


class Desk:
    """The desk's state, kept on the FastAPI app: built once per server."""

    def __init__(self, *, app: Runtime) -> None:
        self.app = app
        self.store = DeskStore(engine=app.engine)
        self.sessions = Sessions()
        self.limit = SignInLimit(attempts=lambda: self.app.settings.web.sign_in_attempts)
        self.env = Environment(loader=PackageLoader("bot.web", "templates"),
                               autoescape=select_autoescape(default=True, default_for_string=True))
        self.env.filters["local"] = self.local
        self.env.tests["weblink"] = weblink

    def local(self, value: datetime | None) -> str:
        """A time in the configured timezone, for people."""
        return local(value, self.app.settings.timezone)

    def session(self, request: Request) -> Session | None:
        """The signed-in person, if any."""
        return self.sessions.get(request.cookies.get(SESSION_COOKIE), self.app.settings.web.users)

    def render(self, request: Request, page_name: str, session: Session | None, status: int = 200,
               **values: Any) -> HTMLResponse:
        """A page from ``templates/name``, with the person's messages shown once."""
        notes = list(session.notes) if session else []
        if session:
            session.notes.clear()
        page = self.env.get_template(page_name).render(
            request=request, me=session, notes=notes, csrf=session.csrf if session else "",
            path=request.url.path, **values)
        return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)

    def to_login(self, request: Request) -> RedirectResponse:
        """Send a stranger to the sign-in page, remembering where they were going."""
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    def refuse(self, request: Request, session: Session | None, why: str,
               status: int = 403) -> HTMLResponse:
        """A page that says what was refused and why."""
        return self.render(request, "refused.html", session, status=status, why=why)

    async def form(self, request: Request) -> dict[str, list[str]] | None:
        """The posted form fields (``None`` when the body is not a form or too large)."""
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return None
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            return None
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)

    async def acting(self, request: Request) -> tuple[Session, dict[str, list[str]]] | Response:
        """The editor and form of a state-changing request, or the answer refusing it: a
        stranger goes to sign in, a missing or wrong CSRF token and a viewer get 403."""
        session = self.session(request)
        if session is None:
            return self.to_login(request)
        form = await self.form(request)
        if form is None or not csrf_ok(session.csrf, first(form, "csrf")):
            return self.refuse(request, session, "This form has expired or did not come from "
                               "the desk (its security token is missing or wrong). Reload the "
                               "page and try again.")
        if not session.editor:
            return self.refuse(request, session, "Your account can read the desk but not change "
                               "anything (role: viewer).")
        return session, form

    async def blocking(self, work: Callable[..., T], *args: Any) -> T:
        """Run database or network work off the event loop."""
        return await run_in_threadpool(work, *args)


def first(form: dict[str, list[str]], key: str, default: str = "") -> str:
    """A form field's first value."""
    values = form.get(key)
    return values[0] if values else default


def new_token() -> str:
    """A random value for a cookie or form token."""
    return secrets.token_urlsafe(32)


def desk_of(request: Request) -> Desk:
    """The desk behind this request."""
    desk: Desk = request.app.state.desk
    return desk
