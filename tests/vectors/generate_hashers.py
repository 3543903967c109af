#!/usr/bin/python3
"""Known-answer vectors for portcullis's Django-compatible password hashers.

Writes tests/vectors/django-hashers.json. Each encoder below is Django's own encode() body
(django/contrib/auth/hashers.py: PBKDF2PasswordHasher, PBKDF2SHA1PasswordHasher,
ScryptPasswordHasher, Argon2PasswordHasher), called on hashlib (OpenSSL) and argon2-cffi, the
library Django's Argon2PasswordHasher loads. Every argon2 vector that the reference `argon2` CLI
can express (non-empty password under 128 bytes) is recomputed with the CLI and must match, and
the literals from Django's tests/auth_tests/test_hashers.py must be reproduced or verified.

Setup (Debian): apt-get install -y argon2 python3-argon2
Run:            /usr/bin/python3 tests/vectors/generate_hashers.py
"""

import base64
import hashlib
import json
import os
import platform
import shutil
import ssl
import subprocess

import argon2
from argon2 import low_level

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "django-hashers.json")
CLI = shutil.which("argon2")
TYPES = {"argon2id": low_level.Type.ID, "argon2i": low_level.Type.I, "argon2d": low_level.Type.D}

# Salts: Django's 22-character [a-zA-Z0-9] form, plus Django's test salts (weak: under 128 bits).
S1, S2 = "M0kQ7xTzq1VbH8nLr2YcWd", "Zp4Ue9GxJ3sA6fKt0mQwRb"
LONG = "VSK0UYV6FFQVZ0KG88DYN9WADAADZO1CTSIVDJUNZSUML6IBX7LN7ZS3R5JGB3RGZ7VI7G7DJQ9NI8BQFSRPTG6UWTTVESA5ZPUN"
PASSWORDS = {
    "empty": "",
    "nul": "pa\x00ss",
    "long": LONG,  # 100 bytes: longer than the 64-byte HMAC block (pre-hashed once)
    "non_bmp": "\U0001d11e clef \U0001f600\U0001f510",
    "latin": "l\u00e8tmein",
}


def b64(data):
    return base64.b64encode(data).decode("ascii").strip()


def pbkdf2(password, salt, iterations, algorithm="pbkdf2_sha256"):
    # PBKDF2PasswordHasher.encode
    digest = {"pbkdf2_sha256": "sha256", "pbkdf2_sha1": "sha1"}[algorithm]
    hash = hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), iterations, None)
    return "%s$%d$%s$%s" % (algorithm, iterations, salt, b64(hash))


def scrypt(password, salt, n, r, p):
    # ScryptPasswordHasher.encode
    hash_ = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
    return "%s$%d$%s$%d$%d$%s" % ("scrypt", n, salt, r, p, b64(hash_))


def argon(password, salt, t, m, p, kind="argon2id", version=19, hash_len=32, keep_version=True):
    # Argon2PasswordHasher.encode: "argon2" + argon2.low_level.hash_secret(...)
    data = low_level.hash_secret(password.encode(), salt.encode(), time_cost=t, memory_cost=m,
                                 parallelism=p, hash_len=hash_len, type=TYPES[kind], version=version)
    encoded = "argon2" + data.decode("ascii")
    checks = ["argon2-cffi %s (libargon2) low_level.hash_secret" % argon2.__version__]
    if CLI and password and len(password.encode()) < 128:
        args = [CLI, salt, "-" + kind[6:], "-t", str(t), "-k", str(m), "-p", str(p), "-l", str(hash_len),
                "-e", "-v", "13" if version == 19 else "10"]
        out = subprocess.run(args, input=password.encode(), capture_output=True, check=True).stdout
        assert "argon2" + out.decode().strip() == encoded, (out, encoded)
        checks.append("argon2 CLI (reference implementation): identical")
    if not keep_version:  # Django's oldest stored form: no "v=" field, meaning version 0x10
        assert version == 16
        encoded = encoded.replace("$v=16$", "$", 1)
    return encoded, checks


vectors = []


def add(name, algorithm, password, salt, encoded, params, produced_by, encodable, note=None):
    entry = {"name": name, "algorithm": algorithm, "password": password,
             "password_utf8_hex": password.encode().hex(), "salt": salt, "params": params,
             "encoded": encoded, "encodable": encodable, "produced_by": produced_by}
    if note:
        entry["note"] = note
    vectors.append(entry)


HL = "hashlib.pbkdf2_hmac (%s) through Django's PBKDF2PasswordHasher.encode" % ssl.OPENSSL_VERSION
for name, pw, salt, it in [
    ("django test_pbkdf2 (600000)", "l\u00e8tmein", "seasalt", 600000),
    ("django test_low_level_pbkdf2 (600000)", "l\u00e8tmein", "seasalt2", 600000),
    ("latin, 22-char salt", PASSWORDS["latin"], S1, 1000),
    ("empty password", "", "seasalt", 1000),
    ("empty password, strong salt", "", S2, 1000),
    ("NUL inside", PASSWORDS["nul"], S1, 1000),
    ("long password (100 bytes)", LONG, S2, 1000),
    ("non-BMP characters", PASSWORDS["non_bmp"], S1, 1000),
    ("weak salt (django iodizedsalt)", "l\u00e8tmein", "iodizedsalt", 1000),
    ("single iteration", "letmein", S2, 1),
    ("non-ASCII salt", "letmein", "s\u00e9l-\u00e9\u00e0\u00fc-salt-\u4e2d\u6587-xyz", 2000),
]:
    add(name, "pbkdf2_sha256", pw, salt, pbkdf2(pw, salt, it), {"iterations": it}, HL, True)

for name, pw, salt, it in [
    ("django test_low_level_pbkdf2_sha1 (600000)", "l\u00e8tmein", "seasalt2", 600000),
    ("sha1 empty password", "", S1, 1000),
    ("sha1 NUL inside", PASSWORDS["nul"], S2, 1000),
    ("sha1 non-BMP", PASSWORDS["non_bmp"], S1, 1000),
]:
    add(name, "pbkdf2_sha1", pw, salt, pbkdf2(pw, salt, it, "pbkdf2_sha1"), {"iterations": it},
        HL.replace("PBKDF2PasswordHasher", "PBKDF2SHA1PasswordHasher"), False, "pbkdf2_sha1 is verify-only")

HS = "hashlib.scrypt (%s, maxmem=0, dklen=64) through Django's ScryptPasswordHasher.encode" % ssl.OPENSSL_VERSION
for name, pw, salt, n, r, p in [
    ("django test_scrypt (N=16384 r=8 p=1)", "l\u00e8tmein", "seasalt", 16384, 8, 1),
    ("django default (N=16384 r=8 p=5)", "l\u00e8tmein", S1, 16384, 8, 5),
    ("empty password", "", "seasalt", 1024, 8, 1),
    ("NUL inside", PASSWORDS["nul"], S2, 1024, 8, 1),
    ("long password", LONG, S1, 1024, 8, 1),
    ("non-BMP characters", PASSWORDS["non_bmp"], S2, 1024, 8, 1),
    ("other r and p", "letmein", S1, 2048, 4, 2),
]:
    add(name, "scrypt", pw, salt, scrypt(pw, salt, n, r, p),
        {"workFactor": n, "blockSize": r, "parallelism": p}, HS, True)

for name, pw, salt, t, m, p, kind, version, hl, keep in [
    ("argon2id OWASP default (m=19456 t=2 p=1)", "l\u00e8tmein", S1, 2, 19456, 1, "argon2id", 19, 32, True),
    ("argon2id small", "l\u00e8tmein", S2, 2, 256, 1, "argon2id", 19, 32, True),
    ("argon2id empty password", "", S1, 2, 256, 1, "argon2id", 19, 32, True),
    ("argon2id NUL inside", PASSWORDS["nul"], S2, 1, 256, 1, "argon2id", 19, 32, True),
    ("argon2id long password", LONG, S1, 1, 256, 1, "argon2id", 19, 32, True),
    ("argon2id non-BMP characters", PASSWORDS["non_bmp"], S2, 1, 256, 1, "argon2id", 19, 32, True),
    ("argon2id four lanes", "letmein", S1, 1, 512, 4, "argon2id", 19, 32, True),
    ("argon2id weak salt (django iodizedsalt)", "l\u00e8tmein", "iodizedsalt", 1, 256, 1, "argon2id", 19, 32, True),
    ("argon2id 16-byte hash (argon2-cffi 21.1 default)", "letmein", S2, 2, 256, 1, "argon2id", 19, 16, True),
    ("argon2i v=19", "letmein", S1, 2, 256, 1, "argon2i", 19, 32, True),
    ("argon2i v=16 with version field", "letmein", S2, 2, 256, 1, "argon2i", 16, 32, True),
    ("argon2i v=16 without version field", "letmein", S1, 2, 256, 1, "argon2i", 16, 32, False),
    ("argon2d v=19", "letmein", S2, 1, 256, 1, "argon2d", 19, 32, True),
]:
    encoded, checks = argon(pw, salt, t, m, p, kind, version, hl, keep)
    encodable = kind == "argon2id" and version == 19 and hl == 32
    add(name, "argon2", pw, salt, encoded,
        {"timeCost": t, "memoryCost": m, "parallelism": p, "type": kind, "version": version, "hashLength": hl},
        "; ".join(checks), encodable, None if encodable else "verify-only form")

# Literals copied from Django's tests/auth_tests/test_hashers.py: re-derived or verified here.
DJANGO_ARGON2 = [
    ("django test_argon2: old hash without version", "argon2$argon2i$m=8,t=1,p=1$c29tZXNhbHQ$gwQOXSNhxiOxPOA0"
     "+PY10P9QFO4NAYysnqRt1GSQLE55m+2GYDt9FEjPMHhP2Cuf0nOEXXMocVrsJAtNSsKyfg"),
    ("django test_argon2: old hash with version", "argon2$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$YC9+jJCrQhs5R6db7LlN8Q"),
    ("django test_argon2_version_upgrade (m=102400 p=8)",
     "argon2$argon2id$v=19$m=102400,t=2,p=8$Y041dExhNkljRUUy$TMa6A8fPJhCAUXRhJXCXdw"),
]
for name, encoded in DJANGO_ARGON2:
    assert argon2.PasswordHasher().verify(encoded[len("argon2"):], "secret")
    add(name, "argon2", "secret", None, encoded, None,
        "literal from Django's test_hashers.py; verified with argon2-cffi PasswordHasher().verify", False,
        "Django's own test literal")
DJANGO_LITERALS = {
    "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=",
    "pbkdf2_sha256$600000$seasalt2$OSllgFdJjYQjb0RfMzrx8u0XYl4Fkt+wKpI1yq4lZlo=",
    "pbkdf2_sha1$600000$seasalt2$2CLsaL1MZhq6JOG6QOHtVbiopHE=",
    "scrypt$16384$seasalt$8$1$Qj3+9PPyRjSJIebHnG81TMjsqtaIGxNQG/aEB/NYafTJ7tibgfYz71m0ldQESkXFRkdVCBhhY8mx7rQwite/Pw==",
}
for v in vectors:
    if v["encoded"] in DJANGO_LITERALS:
        v["produced_by"] += "; equals the literal in Django's test_hashers.py"
        DJANGO_LITERALS.discard(v["encoded"])
assert not DJANGO_LITERALS, DJANGO_LITERALS

doc = {
    "description": "Django-compatible password hashes (known answers). Generated by tests/vectors/generate_hashers.py; "
    "do not edit by hand.",
    "generated_with": {"python": platform.python_version(), "openssl": ssl.OPENSSL_VERSION,
                       "argon2_cffi": argon2.__version__, "argon2_cli": bool(CLI)},
    "vectors": vectors,
}
with open(OUT, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=2, ensure_ascii=True)
    f.write("\n")
print("wrote %d vectors to %s" % (len(vectors), OUT))
