"""Signing in and out of the desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from bot.web.auth import check_password, csrf_ok
from bot.web.context import LOGIN_COOKIE, SESSION_COOKIE, desk_of, first, new_token

router = APIRouter(include_in_schema=False)


def _local_path(target: str) -> str:
    """Only a path on this site (no ``//host`` or scheme) may follow a sign-in."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login")
async def login_page(
    request: Request, after: Annotated[str, Query(alias="next", max_length=2000)] = "/",
) -> Response:
    """The sign-in form (its CSRF token rides in a short-lived cookie too)."""
    desk = desk_of(request)
    token = new_token()
    answer = desk.render(request, "login.html", None, signin_token=token, next=_local_path(after))
    answer.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                      secure=_secure(request), path="/login")
    return answer


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the name and password; a run of failures is refused for a while."""
    desk = desk_of(request)
    form = await desk.form(request)
    if form is None or not csrf_ok(request.cookies.get(LOGIN_COOKIE), first(form, "csrf")):
        return desk.refuse(request, None, "This sign-in form has expired or did not come from "
                           "the desk. Open the sign-in page again.")
    name = first(form, "name").strip()
    password = first(form, "password")
    target = _local_path(first(form, "next", "/"))
    address = request.client.host if request.client else "unknown"
    keys = (f"address:{address}", f"name:{name.lower()}")
    wait = desk.limit.wait_seconds(*keys)
    if wait:
        minutes = max(1, round(wait / 60))
        return desk.render(request, "login.html", None, status=429, signin_token=
                           request.cookies.get(LOGIN_COOKIE), next=target, name=name,
                           error=f"Too many failed sign-ins. Try again in about {minutes} "
                                 f"minute{'s' if minutes != 1 else ''}.")
    user = await desk.blocking(check_password, desk.app.settings.web.users, name, password)
    if user is None:
        desk.limit.failed(*keys)
        return desk.render(request, "login.html", None, status=401, signin_token=
                           request.cookies.get(LOGIN_COOKIE), next=target, name=name,
                           error="That name and password do not match an account.")
    desk.limit.succeeded(keys[1])
    key, _ = desk.sessions.open(user, desk.app.settings.web.session_hours)
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(SESSION_COOKIE, key, httponly=True, samesite="strict",
                      secure=_secure(request), path="/",
                      max_age=int(desk.app.settings.web.session_hours * 3600))
    answer.delete_cookie(LOGIN_COOKIE, path="/login")
    return answer


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Sign out (the form carries the session's CSRF token)."""
    desk = desk_of(request)
    me = desk.session(request)
    form = await desk.form(request)
    if me is not None and (form is None or not csrf_ok(me.csrf, first(form, "csrf"))):
        return desk.refuse(request, me, "This form did not carry its security token.")
    desk.sessions.close(request.cookies.get(SESSION_COOKIE))
    answer = RedirectResponse("/login", status_code=303)
    answer.delete_cookie(SESSION_COOKIE, path="/")
    return answer
