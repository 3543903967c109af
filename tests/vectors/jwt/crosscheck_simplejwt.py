#!/usr/bin/python3
"""Optional cross-check of the vectors against a real djangorestframework-simplejwt and PyJWT.

generate.py builds every token without any JWT library. This script runs the results through the
Python reference implementation, with time frozen at each vector's `now`:

  1. every simplejwt.json vector must decode with PyJWT (jwt.decode with the vector's algorithm and key)
     and validate as its simplejwt token class;
  2. simplejwt itself mints refresh-hs256, access-hs256, sliding-hs256, access-aud-iss and
     access-int-user-id (uuid4 and the clock patched to the vectors' jti and iat): the tokens must be
     byte-identical to the vectors;
  3. every attacks.json vector goes through simplejwt's token class; the verdict is printed next to
     the vector's expectation. This is informational (the library is stricter than simplejwt on
     purpose, and Debian's simplejwt is older than the one drf-behaviour.md describes), so only
     parts 1 and 2 decide the exit code.

Setup (Debian 12): apt-get install -y python3-djangorestframework-simplejwt
  (simplejwt 5.2.2, PyJWT 2.6.0, Django 3.2, cryptography 38)
Run:   /usr/bin/python3 tests/vectors/jwt/crosscheck_simplejwt.py [--verbose]
"""

import datetime as dt
import json
import os
import sys
import uuid
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

settings.configure(
    SECRET_KEY="unused",
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "rest_framework_simplejwt",
        "rest_framework_simplejwt.token_blacklist",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    SIMPLE_JWT={},
)
django.setup()

from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)

import jwt  # noqa: E402
import jwt.api_jwt  # noqa: E402
import rest_framework_simplejwt  # noqa: E402
from rest_framework_simplejwt import tokens  # noqa: E402
from rest_framework_simplejwt import backends  # noqa: E402
from rest_framework_simplejwt.backends import TokenBackend  # noqa: E402
from rest_framework_simplejwt.exceptions import TokenError  # noqa: E402
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken  # noqa: E402

KEYS = json.load(open(os.path.join(HERE, "keys.json")))["keys"]
SJ = json.load(open(os.path.join(HERE, "simplejwt.json")))
ATT = json.load(open(os.path.join(HERE, "attacks.json")))
# simplejwt 5.2.2 allows HS/RS/ES only; current simplejwt adds PyJWT's requires_cryptography (PS*, EdDSA).
backends.ALLOWED_ALGORITHMS.update(jwt.algorithms.requires_cryptography)
CLASSES = {"AccessToken": tokens.AccessToken, "RefreshToken": tokens.RefreshToken, "SlidingToken": tokens.SlidingToken}


def signing_key(kid):
    k = KEYS[kid]
    return bytes.fromhex(k["secretHex"]) if k["type"] == "oct" else k["privatePem"]


def verifying_key(kid):
    k = KEYS[kid]
    return bytes.fromhex(k["secretHex"]) if k["type"] == "oct" else k["publicPem"]


class frozen:
    """Freeze simplejwt's aware_utcnow and PyJWT's datetime.now at epoch seconds `now`."""

    def __init__(self, now):
        self.now = now

    def __enter__(self):
        fixed = dt.datetime.fromtimestamp(self.now, tz=dt.timezone.utc)

        class FrozenDatetime(dt.datetime):
            @classmethod
            def now(cls, tz=None):
                return fixed if tz else fixed.replace(tzinfo=None)

            @classmethod
            def utcnow(cls):
                return fixed.replace(tzinfo=None)

        self.patches = [
            mock.patch.object(jwt.api_jwt, "datetime", FrozenDatetime),
            mock.patch.object(tokens, "aware_utcnow", lambda: fixed),
        ]
        for p in self.patches:
            p.start()
        return self

    def __exit__(self, *exc):
        for p in self.patches:
            p.stop()


def use_backend(alg, kid, settings_=None):
    s = settings_ or {}
    backend = TokenBackend(
        alg,
        signing_key(kid),
        verifying_key(kid) if not alg.startswith("HS") else "",
        audience=s.get("audience"),
        issuer=s.get("issuer"),
        leeway=s.get("leeway", 0),
    )
    tokens.Token._token_backend = backend
    return backend


def simplejwt_verdict(token, token_class, now):
    with frozen(now):
        try:
            CLASSES[token_class](token)
            return "accepted"
        except TokenError as e:
            return "TokenError: %s" % e.args[0]
        except Exception as e:  # noqa: BLE001 - what a 500 would be
            return "CRASH %s: %s" % (type(e).__name__, str(e)[:80])


def main(verbose):
    failures = []

    # 1. simplejwt.json vectors decode and validate
    for v in SJ["vectors"]:
        s = v.get("settings") or {}
        with frozen(v["now"]):
            try:
                payload = jwt.decode(
                    v["token"],
                    verifying_key(v["keyId"]),
                    algorithms=[v["algorithm"]],
                    audience=s.get("audience"),
                    issuer=s.get("issuer"),
                    options={"verify_aud": s.get("audience") is not None},
                )
                if payload != v["payload"]:
                    failures.append("%s: PyJWT payload differs" % v["name"])
            except Exception as e:  # noqa: BLE001
                failures.append("%s: PyJWT refuses it: %r" % (v["name"], e))
        use_backend(v["algorithm"], v["keyId"], s)
        verdict = simplejwt_verdict(v["token"], v["tokenClass"], v["now"])
        if verdict != "accepted":
            failures.append("%s: simplejwt %s" % (v["name"], verdict))
        with frozen(v["exp"]):
            if simplejwt_verdict(v["token"], v["tokenClass"], v["exp"]) == "accepted":
                failures.append("%s: still accepted at exp" % v["name"])
    print("simplejwt.json: %d vectors decoded with PyJWT %s and validated by simplejwt %s"
          % (len(SJ["vectors"]), jwt.__version__, getattr(rest_framework_simplejwt, "__version__", "?")))

    # 2. simplejwt mints the same bytes
    by_name = {v["name"]: v for v in SJ["vectors"]}

    def uuids(*hexes):
        it = iter(hexes)
        return mock.patch.object(tokens, "uuid4", lambda: uuid.UUID(next(it)))

    class User:
        def __init__(self, id):
            self.id = id

    minted = {}
    use_backend("HS256", "hs256")
    with frozen(SJ["clock"]["iat"]):
        with uuids(by_name["refresh-hs256"]["payload"]["jti"], by_name["access-hs256"]["payload"]["jti"]):
            with mock.patch.object(tokens.RefreshToken, "for_user", classmethod(lambda cls, u: tokens.Token.for_user.__func__(cls, u))):
                refresh = tokens.RefreshToken.for_user(User("1"))
                minted["refresh-hs256"] = str(refresh)
                minted["access-hs256"] = str(refresh.access_token)
        with uuids(by_name["sliding-hs256"]["payload"]["jti"]):
            with mock.patch.object(tokens.SlidingToken, "for_user", classmethod(lambda cls, u: tokens.Token.for_user.__func__(cls, u))):
                minted["sliding-hs256"] = str(tokens.SlidingToken.for_user(User("1")))
        with uuids(by_name["access-int-user-id"]["payload"]["jti"]):
            minted["access-int-user-id"] = str(tokens.AccessToken.for_user(User(1)))
        use_backend("HS256", "hs256", {"audience": "portcullis-api", "issuer": "https://auth.example.com"})
        with uuids(by_name["access-aud-iss"]["payload"]["jti"]):
            minted["access-aud-iss"] = str(tokens.AccessToken.for_user(User("1")))
        for alg in ("RS256", "EdDSA", "HS512"):
            v = by_name["access-" + alg.lower()]
            use_backend(alg, v["keyId"])
            with uuids(v["payload"]["jti"]):
                minted[v["name"]] = str(tokens.AccessToken.for_user(User("1")))
    for name, tok in minted.items():
        if tok != by_name[name]["token"]:
            failures.append("%s: simplejwt mints %s, the vector is %s" % (name, tok, by_name[name]["token"]))
    print("simplejwt minted %d tokens byte-identical to the vectors: %s"
          % (sum(1 for n, t in minted.items() if t == by_name[n]["token"]), ", ".join(sorted(minted))))

    # 3. attacks through simplejwt (informational)
    agree, differ = 0, []
    token_level_ok = {"valid", "safe", "no_user_id", "user_not_found", "user_inactive", "password_changed"}
    for v in ATT["vectors"]:
        s = v.get("settings") or {}
        OutstandingToken.objects.all().delete()
        pre = v.get("precondition") or {}
        if "blacklistJti" in pre:
            ot = OutstandingToken.objects.create(jti=pre["blacklistJti"], token="x", expires_at=dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc))
            BlacklistedToken.objects.create(token=ot)
        try:
            use_backend(v["algorithmConfigured"], v["keyId"], s)
        except Exception as e:  # noqa: BLE001
            differ.append((v["name"], v["expect"], "backend: %r" % e))
            continue
        verdict = simplejwt_verdict(v["token"], v["tokenClass"], v["now"])
        if v["expect"] in token_level_ok:
            same = verdict == "accepted"
        elif v["expect"] in ("invalid", "expired"):
            same = verdict.startswith("TokenError: Token is invalid") or (
                v["expect"] == "expired" and "claim has expired" in verdict
            )
        else:
            same = verdict == "TokenError: %s" % v["message"]
        if same:
            agree += 1
        else:
            differ.append((v["name"], v["expect"], verdict))
    print("attacks.json through simplejwt: %d agree with the expectation, %d differ (informational):" % (agree, len(differ)))
    for name, expect, verdict in differ:
        print("  %-44s expect %-12s simplejwt: %s" % (name, expect, verdict))

    for f in failures:
        print("FAIL:", f, file=sys.stderr)
    print("%d passed, %d failed" % (len(SJ["vectors"]) + len(minted) - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main("--verbose" in sys.argv))
