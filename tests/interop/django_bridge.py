#!/usr/bin/python3
"""Runs operations through a real Django + DRF + simplejwt, for tests/interop.

Reads one JSON object from stdin: {"secret": str, "simple_jwt": {...}, "ops": [{"op": name, ...}]},
and writes {"results": [...]} to stdout, one result per op, in order. Each op is self-contained; a
Python exception in one op becomes {"error": "<ExceptionClass>: <message>"} for that op only.

Needs Debian's python3-django, python3-djangorestframework, python3-djangorestframework-simplejwt and
python3-argon2 (Django 3.2, DRF 3.14, simplejwt 5.2), run with /usr/bin/python3.
"""

import datetime as dt
import json
import sys

import django
from django.conf import settings

request = json.load(sys.stdin)

settings.configure(
    SECRET_KEY=request["secret"],
    USE_TZ=True,
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework",
        "rest_framework_simplejwt",
        "rest_framework_simplejwt.token_blacklist",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ],
    SIMPLE_JWT={"SIGNING_KEY": request["secret"], **request.get("simple_jwt", {})},
    CSRF_FAILURE_VIEW="__main__.csrf_failure",
    CSRF_TRUSTED_ORIGINS=request.get("csrf_trusted_origins", []),
)
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import check_password, identify_hasher, make_password  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.middleware.csrf import CsrfViewMiddleware, get_token  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from rest_framework_simplejwt.exceptions import TokenError  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, SlidingToken  # noqa: E402

call_command("migrate", verbosity=0)


def csrf_failure(req, reason=""):
    return HttpResponse(reason, status=403)


TOKEN_CLASSES = {"access": AccessToken, "refresh": RefreshToken, "sliding": SlidingToken}


def user_for(op):
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=op.get("username", "alice"))
    return user


def do_hash(op):
    return {"encoded": make_password(op["password"], hasher=op.get("hasher", "default"))}


def do_check(op):
    encoded = op["encoded"]
    return {
        "valid": check_password(op["password"], encoded),
        "must_update": identify_hasher(encoded).must_update(encoded),
    }


def do_mint(op):
    user = user_for(op)
    kind = op["kind"]
    if kind == "pair":
        refresh = RefreshToken.for_user(user)
        for name, value in op.get("claims", {}).items():
            refresh[name] = value
        return {"user_id": user.pk, "refresh": str(refresh), "access": str(refresh.access_token)}
    token = SlidingToken.for_user(user)
    for name, value in op.get("claims", {}).items():
        token[name] = value
    return {"user_id": user.pk, "sliding": str(token)}


def do_validate(op):
    try:
        token = TOKEN_CLASSES[op["kind"]](op["token"])
    except TokenError as error:
        return {"valid": False, "message": str(error)}
    return {"valid": True, "claims": token.payload}


def do_csrf_get(op):
    req = RequestFactory().get("/")
    token = get_token(req)
    return {"cookie": req.META["CSRF_COOKIE"], "token": token}


def do_csrf_check(op):
    factory = RequestFactory()
    headers = {}
    if "header_token" in op:
        headers["HTTP_X_CSRFTOKEN"] = op["header_token"]
    for name in ("origin", "referer"):
        if name in op:
            headers["HTTP_" + name.upper()] = op[name]
    secure = op.get("secure", False)
    req = factory.post("/", data=op.get("form", {}), secure=secure, HTTP_HOST=op.get("host", "testserver"), **headers)
    if "cookie" in op:
        req.COOKIES["csrftoken"] = op["cookie"]
    middleware = CsrfViewMiddleware(lambda r: HttpResponse("ok"))
    middleware.process_request(req)
    answer = middleware.process_view(req, lambda r: HttpResponse("ok"), (), {})
    return {"passed": answer is None, "reason": None if answer is None else answer.content.decode()}


OPS = {
    "hash": do_hash,
    "check": do_check,
    "mint": do_mint,
    "validate": do_validate,
    "csrf_get": do_csrf_get,
    "csrf_check": do_csrf_check,
}


def default(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    raise TypeError(repr(value))


results = []
for op in request["ops"]:
    try:
        results.append(OPS[op["op"]](op))
    except Exception as error:  # one op's failure is its own result, the rest still run
        results.append({"error": f"{type(error).__name__}: {error}"})
json.dump({"results": results}, sys.stdout, default=default)
