#!/usr/bin/python3
"""Known-answer and attack vectors for portcullis's JWT service, built without jose.

Writes, beside this file:
  keys.json       every key the vectors use: PKCS#8 / SPKI PEM and JWK (public and private)
  rfc.json        RFC 7515 A.1, RFC 7519 §3.1 and §6.1, RFC 8037 A.1-A.4, verified here
  simplejwt.json  tokens laid out byte for byte as djangorestframework-simplejwt + PyJWT 2 mint them
  attacks.json    shared/reference/security.md §2A-2E as data, each entry with its expectation

Only the Python standard library (hmac, hashlib, json, base64, subprocess) and the `openssl` CLI
(RSA, RSA-PSS, ECDSA and Ed25519 signing, verification and key generation) are used.

Determinism: the HMAC secrets are derived from fixed labels. The asymmetric keys (and the attacker's
self-signed certificate) are generated once and then read back from keys.json, so a re-run reuses
them; `--new-keys` makes fresh ones (every asymmetric token then changes). ECDSA and RSA-PSS
signatures are randomised: a signature already present in the previous output for the same signing
input is re-verified and reused, so a re-run rewrites byte-identical files. Every other signature
(HMAC, RSA PKCS#1 v1.5, Ed25519) is deterministic and recomputed.

After writing, every file is read back and checked (`--check` does only that): every signature that
an entry says is valid is verified again with hmac/openssl over the token's received bytes, every
signature that an entry says is not valid is shown not to verify, the simplejwt vectors' header and
payload bytes are re-derived from the recorded JSON, and the RFC examples are re-verified.

Run:  python3 tests/vectors/jwt/generate.py            (regenerate, then check)
      python3 tests/vectors/jwt/generate.py --check    (check only)
      python3 tests/vectors/jwt/generate.py --new-keys (fresh asymmetric keys, then check)
"""

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS_PATH = os.path.join(HERE, "keys.json")
RFC_PATH = os.path.join(HERE, "rfc.json")
SJ_PATH = os.path.join(HERE, "simplejwt.json")
ATTACKS_PATH = os.path.join(HERE, "attacks.json")

# Fixed clock. Every simplejwt token is issued at IAT and checked at NOW.
IAT = 1_800_000_000  # 2027-01-15T08:00:00Z
NOW = IAT + 60
ACCESS_LIFETIME = 300  # ACCESS_TOKEN_LIFETIME = 5 min
REFRESH_LIFETIME = 86400  # REFRESH_TOKEN_LIFETIME = 1 day
SLIDING_LIFETIME = 300  # SLIDING_TOKEN_LIFETIME
SLIDING_REFRESH_LIFETIME = 86400  # SLIDING_TOKEN_REFRESH_LIFETIME
AUDIENCE = "portcullis-api"
ISSUER = "https://auth.example.com"
MAX_TOKEN_BYTES = 8192  # "tokens over 8 KiB are refused before parsing"
MAX_DEPTH = 32  # "nesting no deeper than 32"

HASHES = {"256": "sha256", "384": "sha384", "512": "sha512"}
EC_SIZES = {"ES256": 32, "ES384": 48, "ES512": 66}
EC_CURVES = {"P-256": "prime256v1", "P-384": "secp384r1", "P-521": "secp521r1"}
EC_ALG_CURVE = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
RANDOMISED = ("ES", "PS")

# simplejwt's user-facing messages (drf-behaviour.md §2.6, current simplejwt) and DRF codes.
MESSAGES = {
    "valid": None,
    "invalid": "Token is invalid",
    "expired": "Token is expired",
    "no_exp": "Token has no 'exp' claim",
    "exp_claim_expired": "Token 'exp' claim has expired",
    "no_id": "Token has no id",
    "no_type": "Token has no type",
    "wrong_type": "Token has wrong type",
    "blacklisted": "Token is blacklisted",
    "no_user_id": "Token contained no recognizable user identification",
    "user_not_found": "User not found",
    "user_inactive": "User is inactive",
    "password_changed": "The user's password has been changed.",
    "safe": None,
}
CODES = {
    "user_not_found": "user_not_found",
    "user_inactive": "user_inactive",
    "password_changed": "password_changed",
}


class VectorError(Exception):
    pass


def fail(msg):
    raise VectorError(msg)


# ---------------------------------------------------------------------------------------------
# encoding helpers


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text):
    """Strict base64url: alphabet [A-Za-z0-9_-], no padding, canonical trailing bits."""
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        raise ValueError("not base64url: %r" % text[:40])
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64u(data) != text:
        raise ValueError("non-canonical base64url: %r" % text[:40])
    return data


def compact(obj):
    """PyJWT's payload encoding: json.dumps(separators=(",", ":")), ensure_ascii on, no sorting."""
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def pyjwt_header(alg, extra=None):
    """PyJWT 2: {"typ": "JWT", "alg": alg} updated with extra headers, dumped with sort_keys=True."""
    header = {"typ": "JWT", "alg": alg}
    header.update(extra or {})
    return json.dumps(header, separators=(",", ":"), sort_keys=True).encode("utf-8")


def label_bytes(label, n):
    out = b""
    counter = 0
    while len(out) < n:
        out += hashlib.sha512(("portcullis/tests/vectors/jwt %s %d" % (label, counter)).encode()).digest()
        counter += 1
    return out[:n]


def label_secret(label, n):
    """An ASCII secret of exactly n bytes (base64url alphabet, 6 bits per byte), fixed by label."""
    return b64u(label_bytes(label, n))[:n]


def jti(label):
    """uuid4().hex shape: 32 lowercase hex, version nibble 4, variant 10xx; fixed by label."""
    b = bytearray(hashlib.sha256(("jti " + label).encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return b.hex()


# ---------------------------------------------------------------------------------------------
# minimal DER


def der_read(buf, pos=0):
    tag = buf[pos]
    length = buf[pos + 1]
    pos += 2
    if length & 0x80:
        n = length & 0x7F
        length = int.from_bytes(buf[pos : pos + n], "big")
        pos += n
    return tag, buf[pos : pos + length], pos + length


def der_children(content):
    out, pos = [], 0
    while pos < len(content):
        tag, value, pos = der_read(content, pos)
        out.append((tag, value))
    return out


def der_len(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def der_tlv(tag, value):
    return bytes([tag]) + der_len(len(value)) + value


def der_int(n):
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    if raw[0] & 0x80:
        raw = b"\x00" + raw
    return der_tlv(0x02, raw)


def uint(data):
    return int.from_bytes(data, "big")


def uint_bytes(n, size=None):
    raw = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    return raw if size is None else raw.rjust(size, b"\x00")


def ecdsa_der_to_raw(der, size):
    tag, seq, _ = der_read(der)
    if tag != 0x30:
        fail("ECDSA signature is not a DER SEQUENCE")
    (t1, r), (t2, s) = der_children(seq)
    return uint_bytes(uint(r), size) + uint_bytes(uint(s), size)


def ecdsa_raw_to_der(raw):
    half = len(raw) // 2
    return der_tlv(0x30, der_int(uint(raw[:half])) + der_int(uint(raw[half:])))


def pem(label, der):
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def pem_der(text):
    body = "".join(line for line in text.strip().splitlines() if not line.startswith("-----"))
    return base64.b64decode(body)


ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
OID_RSA = bytes.fromhex("2a864886f70d010101")
OID_EC = bytes.fromhex("2a8648ce3d0201")
OID_ED25519 = bytes.fromhex("2b6570")
OID_CURVES = {bytes.fromhex("2a8648ce3d030107"): "P-256", bytes.fromhex("2b81040022"): "P-384", bytes.fromhex("2b81040023"): "P-521"}


# ---------------------------------------------------------------------------------------------
# openssl


class OpenSSL:
    def __init__(self):
        if not shutil.which("openssl"):
            fail("the openssl CLI is required")
        self.dir = tempfile.mkdtemp(prefix="portcullis-jwt-vectors-")
        self.counter = 0
        self.version = self.run(["version"]).decode().strip()

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, data, suffix=""):
        self.counter += 1
        p = self.path("f%d%s" % (self.counter, suffix))
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return p

    def run(self, args, data=None, check=True):
        proc = subprocess.run(["openssl"] + args, input=data, capture_output=True)
        if check and proc.returncode != 0:
            fail("openssl %s failed: %s" % (" ".join(args), proc.stderr.decode(errors="replace")))
        return proc.stdout if check else proc


# ---------------------------------------------------------------------------------------------
# keys


def rsa_jwks(pkcs8_der):
    _, outer, _ = der_read(pkcs8_der)
    kids = der_children(outer)
    _, rsa_seq, _ = der_read(kids[2][1])
    fields = [uint(v) for _, v in der_children(rsa_seq)]
    _, n, e, d, p, q, dp, dq, qi = fields
    pub = {"kty": "RSA", "n": b64u(uint_bytes(n)), "e": b64u(uint_bytes(e))}
    priv = dict(pub)
    for name, value in (("d", d), ("p", p), ("q", q), ("dp", dp), ("dq", dq), ("qi", qi)):
        priv[name] = b64u(uint_bytes(value))
    return pub, priv, n.bit_length()


def ec_jwks(pkcs8_der, spki_der, crv):
    size = {"P-256": 32, "P-384": 48, "P-521": 66}[crv]
    _, outer, _ = der_read(pkcs8_der)
    kids = der_children(outer)
    _, ec_seq, _ = der_read(kids[2][1])
    d = der_children(ec_seq)[1][1]
    _, spki, _ = der_read(spki_der)
    bits = der_children(spki)[1][1]
    point = bits[1:]  # skip the unused-bits byte
    if point[0] != 4 or len(point) != 1 + 2 * size:
        fail("unexpected EC point encoding")
    pub = {"kty": "EC", "crv": crv, "x": b64u(point[1 : 1 + size]), "y": b64u(point[1 + size :])}
    priv = dict(pub, d=b64u(uint_bytes(uint(d), size)))
    return pub, priv


def ed25519_jwks(pkcs8_der, spki_der):
    if not pkcs8_der.startswith(ED25519_PKCS8_PREFIX) or not spki_der.startswith(ED25519_SPKI_PREFIX):
        fail("unexpected Ed25519 key encoding")
    pub = {"kty": "OKP", "crv": "Ed25519", "x": b64u(spki_der[len(ED25519_SPKI_PREFIX) :])}
    return pub, dict(pub, d=b64u(pkcs8_der[len(ED25519_PKCS8_PREFIX) :]))


def asym_entry(ossl, kid, private_pem, alg_hint, note):
    key_file = ossl.write(private_pem, ".pem")
    pkcs8 = ossl.run(["pkcs8", "-topk8", "-nocrypt", "-in", key_file, "-outform", "DER"])
    spki = ossl.run(["pkey", "-in", key_file, "-pubout", "-outform", "DER"])
    _, outer, _ = der_read(pkcs8)
    alg_oids = [v for t, v in der_children(der_children(outer)[1][1]) if t == 0x06]
    entry = {"kid": kid, "use": alg_hint, "note": note}
    if alg_oids[0] == OID_RSA:
        pub, priv, bits = rsa_jwks(pkcs8)
        entry["type"] = "RSA"
        entry["bits"] = bits
        modulus = ossl.run(["rsa", "-in", key_file, "-noout", "-modulus"]).decode().strip().split("=", 1)[1]
        if int(modulus, 16) != uint(b64u_decode(pub["n"])):
            fail("%s: JWK n does not match openssl's modulus" % kid)
    elif alg_oids[0] == OID_ED25519:
        pub, priv = ed25519_jwks(pkcs8, spki)
        entry["type"] = "OKP"
    elif alg_oids[0] == OID_EC:
        crv = OID_CURVES[alg_oids[1]]
        pub, priv = ec_jwks(pkcs8, spki, crv)
        entry["type"] = "EC"
        rebuilt = spki[: -(2 * len(b64u_decode(pub["x"])) + 1)] + b"\x04" + b64u_decode(pub["x"]) + b64u_decode(pub["y"])
        if rebuilt != spki:
            fail("%s: JWK x/y do not rebuild the SPKI" % kid)
    else:
        fail("%s: unknown key algorithm" % kid)
    pub = dict(pub, kid=kid)
    priv = dict(priv, kid=kid)
    entry["privatePem"] = pem("PRIVATE KEY", pkcs8)
    entry["publicPem"] = pem("PUBLIC KEY", spki)
    entry["publicJwk"] = pub
    entry["privateJwk"] = priv
    if entry["privatePem"].strip() != private_pem.strip():
        fail("%s: PKCS#8 PEM did not round-trip through openssl" % kid)
    return entry


def oct_entry(kid, secret, use, note):
    raw = secret if isinstance(secret, bytes) else secret.encode("utf-8")
    entry = {"kid": kid, "type": "oct", "use": use, "note": note, "bytes": len(raw)}
    if isinstance(secret, str):
        entry["secret"] = secret
    entry["secretHex"] = raw.hex()
    entry["jwk"] = {"kty": "oct", "k": b64u(raw), "kid": kid}
    return entry


def build_keys(ossl, previous, new_keys):
    keys = {}
    old = {} if new_keys or not previous else previous.get("keys", {})

    def hs(kid, n, use, note):
        keys[kid] = oct_entry(kid, label_secret(kid, n), use, note)

    hs("hs256", 32, "HS256", "32 ASCII bytes: exactly the SHA-256 output length (the shortest HS256 secret to accept)")
    hs("hs256-next", 32, "HS256", "a second HS256 key, for kid-based rotation (keyIds)")
    hs("hs384", 48, "HS384", "48 ASCII bytes: exactly the SHA-384 output length")
    hs("hs512", 64, "HS512", "64 ASCII bytes: exactly the SHA-512 output length")
    hs("hs256-short", 31, "HS256", "31 bytes: shorter than the SHA-256 output, so JWTService must refuse it at construction")
    hs("hs384-short", 47, "HS384", "47 bytes: must be refused at construction for HS384")
    hs("hs512-short", 63, "HS512", "63 bytes: must be refused at construction for HS512")
    hs("attacker-hs256", 32, "HS256", "the attacker's own HMAC secret (never configured)")
    keys["hs256-zero"] = oct_entry(
        "hs256-zero", b"\x00" * 32, "HS256", "32 zero bytes: the key of jose's b64:false test token; only for that vector"
    )

    def asym(kid, genargs, use, note):
        if kid in old:
            private_pem = old[kid]["privatePem"]
        else:
            private_pem = ossl.run(["genpkey"] + genargs).decode()
        keys[kid] = asym_entry(ossl, kid, private_pem, use, note)

    rsa = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:65537"]
    asym("rsa-2048", rsa, "RS256 RS384 RS512 PS256 PS384 PS512", "the server's RSA key (one key, one algorithm per configuration)")
    asym("attacker-rsa-2048", rsa, "RS256", "the attacker's RSA key (jwk/jku/x5u/x5c injection)")
    for kid, crv, alg in (("p-256", "P-256", "ES256"), ("p-384", "P-384", "ES384"), ("p-521", "P-521", "ES512")):
        gen = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + EC_CURVES[crv], "-pkeyopt", "ec_param_enc:named_curve"]
        asym(kid, gen, alg, "the server's %s key" % crv)
    asym("ed25519", ["-algorithm", "ED25519"], "EdDSA", "the server's Ed25519 key")
    if "attacker-rsa-2048" in old and "x5cDer" in old["attacker-rsa-2048"]:
        cert_b64 = old["attacker-rsa-2048"]["x5cDer"]
    else:
        key_file = ossl.write(keys["attacker-rsa-2048"]["privatePem"], ".pem")
        der = ossl.run(
            ["req", "-x509", "-new", "-key", key_file, "-subj", "/CN=attacker.invalid", "-days", "36500", "-sha256", "-outform", "DER"]
        )
        cert_b64 = base64.b64encode(der).decode("ascii")
    keys["attacker-rsa-2048"]["x5cDer"] = cert_b64
    keys["attacker-rsa-2048"]["x5cNote"] = "self-signed certificate for the attacker key, standard base64 DER as x5c carries it"

    keys["rfc7515-a1"] = oct_entry("rfc7515-a1", b64u_decode(RFC7515_A1_K), "HS256", "RFC 7515 Appendix A.1 / RFC 7519 §3.1 HMAC key")
    keys["rfc8037-a1"] = rfc8037_key_entry(ossl)
    return keys


# ---------------------------------------------------------------------------------------------
# signing and verification


class Signer:
    def __init__(self, ossl, keys, cache):
        self.ossl = ossl
        self.keys = keys
        self.cache = cache  # signing input -> signature (base64url), from the previous output
        self.files = {}

    def key_file(self, kid, public=False):
        name = (kid, public)
        if name not in self.files:
            k = self.keys[kid]
            self.files[name] = self.ossl.write(k["publicPem"] if public else k["privatePem"], ".pem")
        return self.files[name]

    def hmac_secret(self, kid):
        return bytes.fromhex(self.keys[kid]["secretHex"])

    def sign(self, alg, signing_input, kid=None, secret=None):
        """Returns raw JWS signature bytes. secret (bytes) overrides kid for HMAC."""
        if alg.startswith("HS"):
            key = secret if secret is not None else self.hmac_secret(kid)
            return hmac.new(key, signing_input, HASHES[alg[2:]]).digest()
        if alg.startswith(RANDOMISED):
            cached = self.cache.get((alg, kid, signing_input))
            if cached is not None and self.verify(alg, signing_input, cached, kid=kid):
                return cached
        data_file = self.ossl.write(signing_input)
        if alg == "EdDSA":
            return self.ossl.run(["pkeyutl", "-sign", "-inkey", self.key_file(kid), "-rawin", "-in", data_file])
        digest = "-" + HASHES[alg[2:]]
        args = ["dgst", digest, "-sign", self.key_file(kid)]
        if alg.startswith("PS"):
            args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:%d" % (int(alg[2:]) // 8)]
        sig = self.ossl.run(args + [data_file])
        if alg.startswith("ES"):
            sig = ecdsa_der_to_raw(sig, EC_SIZES[alg])
        return sig

    def verify(self, alg, signing_input, sig, kid=None, secret=None):
        if alg.startswith("HS"):
            key = secret if secret is not None else self.hmac_secret(kid)
            return hmac.compare_digest(hmac.new(key, signing_input, HASHES[alg[2:]]).digest(), sig)
        data_file = self.ossl.write(signing_input)
        if alg == "EdDSA":
            if len(sig) != 64:
                return False
            sig_file = self.ossl.write(sig)
            proc = self.ossl.run(
                ["pkeyutl", "-verify", "-pubin", "-inkey", self.key_file(kid, True), "-rawin", "-in", data_file, "-sigfile", sig_file],
                check=False,
            )
            return proc.returncode == 0
        if alg.startswith("ES"):
            if len(sig) != 2 * EC_SIZES[alg] or EC_ALG_CURVE[alg] != self.keys[kid]["publicJwk"].get("crv"):
                return False
            sig = ecdsa_raw_to_der(sig)
        sig_file = self.ossl.write(sig)
        args = ["dgst", "-" + HASHES[alg[2:]], "-verify", self.key_file(kid, True), "-signature", sig_file]
        if alg.startswith("PS"):
            args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:%d" % (int(alg[2:]) // 8)]
        proc = self.ossl.run(args + [data_file], check=False)
        return proc.returncode == 0


# ---------------------------------------------------------------------------------------------
# RFC examples (RFC 7515 A.1, RFC 7519 §3.1 and §6.1, RFC 8037 A.1-A.4)

RFC7515_A1_K = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
RFC7515_A1_HEADER = '{"typ":"JWT",\r\n "alg":"HS256"}'
RFC7515_A1_PAYLOAD = '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}'
RFC7515_A1_HEADER_B64 = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
RFC7515_A1_PAYLOAD_B64 = "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
RFC7515_A1_SIG = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
RFC7515_A1_TOKEN = RFC7515_A1_HEADER_B64 + "." + RFC7515_A1_PAYLOAD_B64 + "." + RFC7515_A1_SIG
RFC7519_61_TOKEN = "eyJhbGciOiJub25lIn0." + RFC7515_A1_PAYLOAD_B64 + "."

RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
RFC8037_THUMBPRINT = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
RFC8037_HEADER_B64 = "eyJhbGciOiJFZERTQSJ9"
RFC8037_PAYLOAD = "Example of Ed25519 signing"
RFC8037_PAYLOAD_B64 = "RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc"
RFC8037_SIG = "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
RFC8037_TOKEN = RFC8037_HEADER_B64 + "." + RFC8037_PAYLOAD_B64 + "." + RFC8037_SIG


def rfc8037_key_entry(ossl):
    pkcs8 = ED25519_PKCS8_PREFIX + b64u_decode(RFC8037_D)
    private_pem = pem("PRIVATE KEY", pkcs8)
    entry = asym_entry(ossl, "rfc8037-a1", private_pem, "EdDSA", "RFC 8037 Appendix A.1 Ed25519 key")
    if entry["publicJwk"]["x"] != RFC8037_X:
        fail("RFC 8037 A.2: openssl derives x=%s from d, the RFC says %s" % (entry["publicJwk"]["x"], RFC8037_X))
    return entry


def build_rfc(signer):
    # RFC 7515 A.1: the encoded segments are the RFC's, and they decode to the CRLF-laden JSON.
    if b64u(RFC7515_A1_HEADER.encode()) != RFC7515_A1_HEADER_B64:
        fail("RFC 7515 A.1 header does not encode to the RFC's segment")
    if b64u(RFC7515_A1_PAYLOAD.encode()) != RFC7515_A1_PAYLOAD_B64:
        fail("RFC 7515 A.1 payload does not encode to the RFC's segment")
    signing_input = (RFC7515_A1_HEADER_B64 + "." + RFC7515_A1_PAYLOAD_B64).encode()
    mac = hmac.new(b64u_decode(RFC7515_A1_K), signing_input, hashlib.sha256).digest()
    if b64u(mac) != RFC7515_A1_SIG:
        fail("RFC 7515 A.1: HMAC-SHA256 gives %s, the RFC says %s" % (b64u(mac), RFC7515_A1_SIG))

    # RFC 8037 A.3 thumbprint, A.4 signature (Ed25519 is deterministic: re-sign and compare, and verify).
    tp_input = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": RFC8037_X}, separators=(",", ":")).encode()
    if b64u(hashlib.sha256(tp_input).digest()) != RFC8037_THUMBPRINT:
        fail("RFC 8037 A.3 thumbprint mismatch")
    if b64u(RFC8037_PAYLOAD.encode()) != RFC8037_PAYLOAD_B64 or b64u(b'{"alg":"EdDSA"}') != RFC8037_HEADER_B64:
        fail("RFC 8037 A.4 segments mismatch")
    ed_input = (RFC8037_HEADER_B64 + "." + RFC8037_PAYLOAD_B64).encode()
    resigned = signer.sign("EdDSA", ed_input, kid="rfc8037-a1")
    if b64u(resigned) != RFC8037_SIG:
        fail("RFC 8037 A.4: openssl's Ed25519 signature %s differs from the RFC's %s" % (b64u(resigned), RFC8037_SIG))
    if not signer.verify("EdDSA", ed_input, b64u_decode(RFC8037_SIG), kid="rfc8037-a1"):
        fail("RFC 8037 A.4: the RFC's signature does not verify")

    payload_a1 = json.loads(RFC7515_A1_PAYLOAD)
    return {
        "source": "RFC 7515 Appendix A.1, RFC 7519 §3.1 and §6.1, RFC 8037 Appendix A.1-A.4; every value re-verified "
        "by generate.py with hmac (HS256) and `openssl pkeyutl -rawin` (Ed25519)",
        "vectors": [
            {
                "name": "rfc7515-a1",
                "rfc": "RFC 7515 Appendix A.1 (JWS using HMAC SHA-256)",
                "algorithm": "HS256",
                "keyId": "rfc7515-a1",
                "jwk": {"kty": "oct", "k": RFC7515_A1_K},
                "headerJson": RFC7515_A1_HEADER,
                "payloadJson": RFC7515_A1_PAYLOAD,
                "header": json.loads(RFC7515_A1_HEADER),
                "payload": payload_a1,
                "signingInput": signing_input.decode(),
                "signature": RFC7515_A1_SIG,
                "token": RFC7515_A1_TOKEN,
                "expect": "valid-signature",
                "note": "The header and payload contain CRLF: verify over the received segments, never re-serialized JSON "
                "(security.md §1B.26). It has no token_type/jti/user_id, so it is a JWS/JWT vector, not a simplejwt token.",
            },
            {
                "name": "rfc7519-3.1",
                "rfc": "RFC 7519 §3.1 (example JWT): same key, header and claims as RFC 7515 A.1",
                "algorithm": "HS256",
                "keyId": "rfc7515-a1",
                "jwk": {"kty": "oct", "k": RFC7515_A1_K},
                "headerJson": RFC7515_A1_HEADER,
                "payloadJson": RFC7515_A1_PAYLOAD,
                "header": json.loads(RFC7515_A1_HEADER),
                "payload": payload_a1,
                "token": RFC7515_A1_TOKEN,
                "exp": 1300819380,
                "now": 1300819380 - 60,
                "expiredAt": 1300819380,
                "expect": "valid",
                "note": "Valid as a JWT at `now` (exp 1300819380 = 2011-03-22T18:43:00Z); at `expiredAt` and later "
                "exp <= now, so it is expired. Claims: iss 'joe' and the private claim http://example.com/is_root.",
            },
            {
                "name": "rfc7519-6.1-unsecured",
                "rfc": "RFC 7519 §6.1 (example unsecured JWT, alg none)",
                "header": {"alg": "none"},
                "payload": payload_a1,
                "token": RFC7519_61_TOKEN,
                "expect": "invalid",
                "note": "Must never be accepted by a verifier (security.md §2A.1); also in attacks.json.",
            },
            {
                "name": "rfc8037-a4",
                "rfc": "RFC 8037 Appendix A.1 (key), A.2 (public key), A.3 (thumbprint), A.4 (Ed25519 signing)",
                "algorithm": "EdDSA",
                "keyId": "rfc8037-a1",
                "privateJwk": {"kty": "OKP", "crv": "Ed25519", "d": RFC8037_D, "x": RFC8037_X},
                "publicJwk": {"kty": "OKP", "crv": "Ed25519", "x": RFC8037_X},
                "thumbprint": RFC8037_THUMBPRINT,
                "headerJson": '{"alg":"EdDSA"}',
                "payloadText": RFC8037_PAYLOAD,
                "signingInput": ed_input.decode(),
                "signature": RFC8037_SIG,
                "token": RFC8037_TOKEN,
                "expect": "valid-signature",
                "note": "The payload is not JSON, so this is a JWS vector: the signature must verify (jose compactVerify), "
                "but a JWT verifier must reject it as a token (payload is not a JSON object). Ed25519 is deterministic: "
                "signing the input with d must reproduce the signature exactly.",
            },
        ],
    }


# ---------------------------------------------------------------------------------------------
# simplejwt layout


def access_payload(label, iat=IAT, user_id="1", extra=None, lifetime=ACCESS_LIFETIME, token_type="access"):
    """RefreshToken.for_user(user).access_token: token_type, exp, iat, jti, then copied claims."""
    p = {"token_type": token_type, "exp": iat + lifetime, "iat": iat, "jti": jti(label), "user_id": user_id}
    for k, v in (extra or {}).items():
        p[k] = v
    return p


def refresh_payload(label, iat=IAT, user_id="1", extra=None):
    return access_payload(label, iat, user_id, extra, REFRESH_LIFETIME, "refresh")


def sliding_payload(label, iat=IAT, user_id="1", extra=None):
    """SlidingToken.for_user: token_type, exp, iat, jti, refresh_exp (set in __init__), user_id."""
    p = {"token_type": "sliding", "exp": iat + SLIDING_LIFETIME, "iat": iat, "jti": jti(label)}
    p["refresh_exp"] = iat + SLIDING_REFRESH_LIFETIME
    p["user_id"] = user_id
    for k, v in (extra or {}).items():
        p[k] = v
    return p


def with_aud_iss(payload, audience=None, issuer=None):
    """TokenBackend.encode: aud then iss are appended to a copy of the payload."""
    p = dict(payload)
    if audience is not None:
        p["aud"] = audience
    if issuer is not None:
        p["iss"] = issuer
    return p


class Builder:
    def __init__(self, signer):
        self.signer = signer

    def token(self, header, payload, alg=None, kid=None, secret=None, sig=None, raw_payload=False):
        """header/payload: dict (dumped compactly, header sorted as PyJWT does) or bytes (used as is)."""
        hb = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
        pb = payload if isinstance(payload, bytes) else compact(payload)
        h64 = b64u(hb)
        p_seg = pb.decode("utf-8") if raw_payload else b64u(pb)
        signing_input = (h64 + "." + p_seg).encode("utf-8")
        if sig is None:
            sig = self.signer.sign(alg, signing_input, kid=kid, secret=secret)
        return h64 + "." + p_seg + "." + b64u(sig), hb, pb


def signed_with(alg, kid=None, secret=None, source=None):
    out = {"alg": alg}
    if kid is not None:
        out["keyId"] = kid
    if secret is not None:
        out["hmacSecretHex"] = secret.hex()
    if source is not None:
        out["secretSource"] = source
    return out


def build_simplejwt(builder, keys):
    vectors = []

    def add(name, description, token_class, alg, kid, payload, header=None, settings=None, extra=None):
        hb = header if header is not None else pyjwt_header(alg)
        tok, hb, pb = builder.token(hb, payload, alg=alg, kid=kid)
        entry = {
            "name": name,
            "description": description,
            "tokenClass": token_class,
            "tokenType": payload.get("token_type"),
            "algorithm": alg,
            "keyId": kid,
            "settings": settings or {},
            "now": NOW,
            "iat": payload["iat"],
            "exp": payload["exp"],
            "header": json.loads(hb),
            "payload": payload,
            "headerJson": hb.decode(),
            "payloadJson": pb.decode(),
            "deterministic": not alg.startswith(RANDOMISED),
            "token": tok,
        }
        entry.update(extra or {})
        vectors.append(entry)
        return entry

    refresh = refresh_payload("pair refresh")
    add("refresh-hs256", "RefreshToken.for_user(user) with user.id = 1 (REFRESH_TOKEN_LIFETIME 1 day)", "RefreshToken", "HS256", "hs256", refresh)
    pair_access = access_payload("pair access")
    add(
        "access-hs256",
        "refresh.access_token for the refresh-hs256 token: fresh jti, exp = refresh's current_time + 300, "
        "every other refresh claim copied (user_id)",
        "AccessToken",
        "HS256",
        "hs256",
        pair_access,
        extra={"pairedWith": "refresh-hs256"},
    )
    add(
        "sliding-hs256",
        "SlidingToken.for_user(user): refresh_exp is set in __init__, so it precedes user_id",
        "SlidingToken",
        "HS256",
        "hs256",
        sliding_payload("sliding"),
        extra={"refreshExp": IAT + SLIDING_REFRESH_LIFETIME},
    )
    add(
        "access-aud-iss",
        "AUDIENCE and ISSUER set: TokenBackend.encode appends aud, then iss",
        "AccessToken",
        "HS256",
        "hs256",
        with_aud_iss(access_payload("aud iss"), AUDIENCE, ISSUER),
        settings={"audience": AUDIENCE, "issuer": ISSUER},
    )
    add(
        "refresh-aud-iss",
        "the refresh token of the same configuration",
        "RefreshToken",
        "HS256",
        "hs256",
        with_aud_iss(refresh_payload("aud iss refresh"), AUDIENCE, ISSUER),
        settings={"audience": AUDIENCE, "issuer": ISSUER},
    )
    custom = {"username": "j\u00f6rg", "is_staff": True, "groups": ["admins", "\u00e9quipe"]}
    add(
        "access-custom-claims",
        "TokenObtainPairSerializer.get_token subclass adding username/is_staff/groups to the refresh token; the "
        "access token copies them after user_id. PyJWT keeps json.dumps' ensure_ascii, so non-ASCII is escaped "
        "(\\u00f6) in payloadJson. JWTStatelessUserAuthentication's TokenUser reads username and is_staff.",
        "AccessToken",
        "HS256",
        "hs256",
        access_payload("custom", extra=custom),
    )
    add(
        "access-int-user-id",
        "simplejwt before PR #887 (e.g. Debian's 5.2.2) kept an integer user id as a JSON number",
        "AccessToken",
        "HS256",
        "hs256",
        access_payload("int user id", user_id=1),
    )
    legacy_header = b'{"typ":"JWT","alg":"HS256"}'
    add(
        "refresh-legacy-header-order",
        "PyJWT 1.x header key order (typ before alg, as in simplejwt's docs/blacklist_app.rst example) with an "
        "integer user_id; header order must not matter",
        "RefreshToken",
        "HS256",
        "hs256",
        refresh_payload("legacy", user_id=1),
        header=legacy_header,
    )
    add(
        "access-uuid-user-id",
        "USER_ID_FIELD a UUIDField: str(uuid) in user_id",
        "AccessToken",
        "HS256",
        "hs256",
        access_payload("uuid user", user_id="7c9e6679-7425-40de-944b-e07fc1f90ae7"),
    )
    stored_hash = "pbkdf2_sha256$1000000$M0kQ7xTzq1VbH8nLr2YcWd$placeholderplaceholderplaceholderplace="
    add(
        "access-revoke-claim",
        "CHECK_REVOKE_TOKEN = True: for_user adds hash_password = MD5(user.password).hexdigest().upper() after "
        "user_id (simplejwt's form). portcullis writes the hex SHA-256 instead (issue 4), so a simplejwt-minted "
        "token with this claim reads as 'password changed' there unless MD5 is accepted for interop.",
        "AccessToken",
        "HS256",
        "hs256",
        access_payload("revoke", extra={"hash_password": hashlib.md5(stored_hash.encode()).hexdigest().upper()}),
        settings={"checkRevokeToken": True},
        extra={
            "user": {"id": "1", "passwordHash": stored_hash},
            "revokeClaim": {
                "simplejwtMd5Upper": hashlib.md5(stored_hash.encode()).hexdigest().upper(),
                "portcullisSha256Hex": hashlib.sha256(stored_hash.encode()).hexdigest(),
            },
        },
    )
    for alg, kid in (
        ("HS384", "hs384"),
        ("HS512", "hs512"),
        ("RS256", "rsa-2048"),
        ("RS384", "rsa-2048"),
        ("RS512", "rsa-2048"),
        ("PS256", "rsa-2048"),
        ("PS384", "rsa-2048"),
        ("PS512", "rsa-2048"),
        ("ES256", "p-256"),
        ("ES384", "p-384"),
        ("ES512", "p-521"),
        ("EdDSA", "ed25519"),
    ):
        add(
            "access-" + alg.lower(),
            "ALGORITHM = %r; %s" % (alg, "SIGNING_KEY is the secret" if alg.startswith("HS") else "SIGNING_KEY is the private PEM, VERIFYING_KEY the public PEM"),
            "AccessToken",
            alg,
            kid,
            access_payload("alg " + alg),
        )
    add(
        "refresh-es256",
        "an ES256 refresh token (attacks.json uses its high-s twin against the blacklist)",
        "RefreshToken",
        "ES256",
        "p-256",
        refresh_payload("es256 refresh"),
    )
    return {
        "source": "Tokens laid out as djangorestframework-simplejwt (tokens.py, backends.py; drf-behaviour.md §2.6 and "
        "§5.3) and PyJWT 2 (api_jws.encode: header {typ, alg} dumped with sort_keys=True, so alg first; api_jwt.encode: "
        "payload json.dumps(separators=(',', ':')) in insertion order, ensure_ascii) mint them, with fixed jti and iat. "
        "Signed by generate.py with hmac / the openssl CLI.",
        "clock": {"iat": IAT, "now": NOW, "accessLifetime": ACCESS_LIFETIME, "refreshLifetime": REFRESH_LIFETIME,
                  "slidingLifetime": SLIDING_LIFETIME, "slidingRefreshLifetime": SLIDING_REFRESH_LIFETIME},
        "vectors": vectors,
    }


# ---------------------------------------------------------------------------------------------
# attacks


def simplejwt_claims_verdict(payload, token_class="AccessToken", now=NOW, leeway=0):
    """simplejwt's Token.verify after a successful decode: check_exp, jti, token type (no blacklist)."""
    expected_type = {"AccessToken": "access", "RefreshToken": "refresh", "SlidingToken": "sliding"}[token_class]
    if "exp" not in payload:
        return "no_exp"
    if payload["exp"] <= now - leeway:
        return "expired"
    if "jti" not in payload:
        return "no_id"
    if "token_type" not in payload:
        return "no_type"
    if payload["token_type"] != expected_type:
        return "wrong_type"
    if "user_id" not in payload:
        return "no_user_id"
    return "valid"


def build_attacks(builder, keys):
    signer = builder.signer
    entries = []
    hs = "hs256"
    hs_secret = signer.hmac_secret(hs)
    base = access_payload("attack base")
    base_json = compact(base)
    base_hdr = pyjwt_header("HS256")
    t0, _, _ = builder.token(base_hdr, base, alg="HS256", kid=hs)
    h0, p0, s0 = t0.split(".")
    rs_base = access_payload("attack base rs256")
    t_rs, _, _ = builder.token(pyjwt_header("RS256"), rs_base, alg="RS256", kid="rsa-2048")
    es_base = access_payload("attack base es256")
    t_es, _, _ = builder.token(pyjwt_header("ES256"), es_base, alg="ES256", kid="p-256")

    def add(name, section, token, expect, description, alg="HS256", key=hs, signature="valid", sw=None, **extra):
        if expect not in MESSAGES:
            fail("unknown expect " + expect)
        e = {
            "name": name,
            "section": section,
            "description": description,
            "token": token,
            "algorithmConfigured": alg,
            "keyId": key,
        }
        if "keyIds" in extra:
            e["keyIds"] = extra.pop("keyIds")
        e["settings"] = extra.pop("settings", {})
        e["tokenClass"] = extra.pop("tokenClass", "AccessToken")
        e["now"] = extra.pop("now", NOW)
        e["expect"] = expect
        e["message"] = MESSAGES[expect]
        e["code"] = CODES.get(expect, "token_not_valid" if expect not in ("valid", "safe") else None)
        e["signature"] = signature
        if sw is None and signature == "valid":
            sw = signed_with(alg, kid=key)
        e["signedWith"] = sw
        e.update(extra)
        e["length"] = len(token.encode("utf-8"))
        entries.append(e)
        return e

    def mac(header, payload, secret=hs_secret, alg="HS256", raw_payload=False):
        return builder.token(header, payload, alg=alg, secret=secret, raw_payload=raw_payload)[0]

    def sw_hs(secret=None, source=None, alg="HS256"):
        if secret is None:
            return signed_with(alg, kid=hs)
        return signed_with(alg, secret=secret, source=source)

    # ---- control -----------------------------------------------------------------------------
    add("control-valid-hs256", "control", t0, "valid", "The untampered base token every HS256 attack is derived from; "
        "re-run it between attacks (jwt_tool's persistence check, security.md §2 E0).")
    add("control-valid-rs256", "control", t_rs, "valid", "Base RS256 token.", alg="RS256", key="rsa-2048")
    add("control-valid-es256", "control", t_es, "valid", "Base ES256 token.", alg="ES256", key="p-256")

    # ---- §2A alg and signature ---------------------------------------------------------------
    for spelling in ("none", "None", "NONE", "nOnE"):
        hdr = ('{"alg":"%s","typ":"JWT"}' % spelling).encode()
        tok_empty = b64u(hdr) + "." + p0 + "."
        add("alg-%s-empty-signature" % spelling, "security.md §2A.1-2", tok_empty, "invalid",
            "alg %r with an empty third segment, payload of a valid token." % spelling, signature="none", sw=None)
        si = (b64u(hdr) + "." + p0).encode()
        hm = hmac.new(hs_secret, si, hashlib.sha256).digest()
        add("alg-%s-with-hmac-signature" % spelling, "security.md §2A.2", b64u(hdr) + "." + p0 + "." + b64u(hm), "invalid",
            "alg %r carrying a signature that IS the correct HMAC-SHA256 of the received segments under the "
            "configured key: only the alg check can refuse it." % spelling, sw=sw_hs())
        add("alg-%s-with-garbage-signature" % spelling, "security.md §2A.2", b64u(hdr) + "." + p0 + ".Z2FyYmFnZQ",
            "invalid", "alg %r with a non-empty garbage signature ('garbage')." % spelling, signature="invalid", sw=None)
    for spelling, lit in (
        ("none", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9."),
        ("None", "eyJhbGciOiJOb25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9."),
        ("NONE", "eyJhbGciOiJOT05FIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9."),
        ("nOnE", "eyJhbGciOiJuT25FIiwidHlwIjoiSldUIn0.eyJzdWIiOiJhZG1pbiJ9."),
    ):
        if lit != b64u(('{"alg":"%s","typ":"JWT"}' % spelling).encode()) + "." + b64u(b'{"sub":"admin"}') + ".":
            fail("security.md §2A.2 literal for %s does not match" % spelling)
        add("alg-%s-literal-sub-admin" % spelling, "security.md §2A.2", lit, "invalid",
            "security.md's verbatim literal: {alg:%r,typ:JWT}.{sub:admin}." % spelling, signature="none", sw=None)
    spring = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJleHAiOi0yMDMzMjI0OTcsImp0aSI6IjEyMyIsInR5cCI6IkpXVCJ9."
    add("alg-none-spring-fixture", "security.md §2A.3", spring, "invalid",
        "Spring NimbusJwtDecoderTests' unsigned fixture {alg:none,typ:JWT}.{exp:-203322497,jti:'123',typ:'JWT'}.",
        signature="none", sw=None)
    add("alg-none-rfc7519-6.1", "security.md §2A.1", RFC7519_61_TOKEN, "invalid",
        "RFC 7519 §6.1's unsecured JWT, verbatim.", signature="none", sw=None)

    add("signature-stripped", "security.md §2A.4", h0 + "." + p0 + ".", "invalid",
        "Valid HS256 header and payload, empty signature segment.", signature="none", sw=None)
    add("signature-segment-missing", "security.md §2A.4", h0 + "." + p0, "invalid",
        "Valid HS256 header and payload, no third segment at all (two parts).", signature="none", sw=None)
    hr, pr, sr = t_rs.split(".")
    add("signature-stripped-rs256", "security.md §2A.4", hr + "." + pr + ".", "invalid",
        "Valid RS256 header and payload, empty signature.", alg="RS256", key="rsa-2048", signature="none", sw=None)
    add("signature-truncated-3", "security.md §2A.5", t0[:-3], "invalid", "Last 3 characters dropped (jose slice(0,-3)).",
        signature="invalid", sw=None)
    add("signature-truncated-4", "security.md §2A.5", t0[:-4], "invalid", "Last 4 characters dropped (jwt_tool sig[:-4]).",
        signature="invalid", sw=None)
    sig_bytes = bytearray(b64u_decode(s0))
    sig_bytes[0] ^= 0x01
    add("signature-bit-flipped", "security.md §2A.5", h0 + "." + p0 + "." + b64u(bytes(sig_bytes)), "invalid",
        "One bit of the first signature byte flipped.", signature="invalid", sw=None)
    # non-canonical last character: same decoded bytes under a lenient decoder
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(s0[-1])
    noncanon = s0[:-1] + alphabet[last ^ 0x01]
    add("signature-noncanonical-last-char", "security.md §2A.5, §1B.24", h0 + "." + p0 + "." + noncanon, "invalid",
        "The last signature character with one of its 2 unused low bits set (%s -> %s): the decoded bytes are the valid "
        "MAC under a lenient base64 decoder (Python's, atob, Buffer), so this only fails if base64url is decoded "
        "strictly (RFC 4648 §3.5 canonical encoding). simplejwt/PyJWT accept it." % (s0[-1], noncanon[-1]),
        signature="noncanonical", sw=sw_hs())
    rnd = hashlib.sha256(b"random signature").digest()
    add("signature-random-same-length", "security.md §2A.6", h0 + "." + p0 + "." + b64u(rnd), "invalid",
        "A correct-length (32-byte) but random signature: a signature failure, not a parse failure.",
        signature="invalid", sw=None)
    add("signature-empty-hmac-secret", "security.md §2A.7", mac(base_hdr, base, secret=b""), "invalid",
        "HS256 MAC computed with the empty key (jwt_tool -X b).", signature="foreign", sw=sw_hs(b"", "empty string"))
    for weak in ("secret", "12345", "My super secret key!"):
        add("signature-weak-secret-" + re.sub(r"[^a-z0-9]+", "-", weak.lower()).strip("-"), "security.md §2A.8",
            mac(base_hdr, base, secret=weak.encode()), "invalid", "HS256 MAC with the jwt-common.txt secret %r." % weak,
            signature="foreign", sw=sw_hs(weak.encode(), "jwt-common.txt: %r" % weak))
    add("signature-other-hs256-key", "security.md §2A.6, §1B.15", builder.token(base_hdr, base, alg="HS256", kid="attacker-hs256")[0],
        "invalid", "A correct HS256 MAC under another 32-byte key (attacker-hs256).", signature="foreign",
        sw=signed_with("HS256", kid="attacker-hs256"))
    add("signature-other-rsa-key", "security.md §2A.6, §1B.15",
        builder.token(pyjwt_header("RS256"), rs_base, alg="RS256", kid="attacker-rsa-2048")[0], "invalid",
        "A correct RS256 signature by another RSA key (attacker-rsa-2048).", alg="RS256", key="rsa-2048",
        signature="foreign", sw=signed_with("RS256", kid="attacker-rsa-2048"))
    expired_payload = access_payload("expired foreign", iat=NOW - 1000)
    add("signature-before-claims-expired-wrong-key", "security.md §1B.15", builder.token(base_hdr, expired_payload, alg="HS256", kid="attacker-hs256")[0],
        "invalid", "An EXPIRED token signed by the wrong key: the signature is checked before any claim, so the answer "
        "is 'Token is invalid', never 'Token is expired'.", signature="foreign", sw=signed_with("HS256", kid="attacker-hs256"))
    flipped = bytearray(base_json)
    idx = base_json.index(b'"user_id":"1"') + len(b'"user_id":"')
    flipped[idx] ^= 0x02  # "1" -> "3"
    add("payload-bit-flipped", "security.md §2A.5", h0 + "." + b64u(bytes(flipped)) + "." + s0, "invalid",
        "One payload bit flipped (user_id '1' -> '3'), original signature kept.", signature="invalid", sw=None)

    # key confusion
    rsa = keys["rsa-2048"]
    confusions = [
        ("rsa-public-pem", "RS256", "rsa-2048", rsa["publicPem"].encode(), "rsa-2048 publicPem, exact bytes with the trailing newline"),
        ("rsa-public-pem-no-newline", "RS256", "rsa-2048", rsa["publicPem"].rstrip("\n").encode(), "rsa-2048 publicPem without the trailing newline"),
        ("rsa-public-jwk-json", "RS256", "rsa-2048", json.dumps(rsa["publicJwk"], separators=(",", ":")).encode(), "compact JSON text of rsa-2048 publicJwk"),
        ("rsa-spki-der", "RS256", "rsa-2048", pem_der(rsa["publicPem"]), "rsa-2048 SPKI DER bytes"),
        ("ec-public-pem", "ES256", "p-256", keys["p-256"]["publicPem"].encode(), "p-256 publicPem, exact bytes"),
        ("ed25519-public-pem", "EdDSA", "ed25519", keys["ed25519"]["publicPem"].encode(), "ed25519 publicPem, exact bytes"),
    ]
    for label, alg, kid, secret, source in confusions:
        add("alg-confusion-hs256-" + label, "security.md §2A.9", mac(base_hdr, base, secret=secret), "invalid",
            "%s configured; the token says HS256 and is MACed with the %s as the HMAC secret (CVE-2016-10555)." % (alg, source),
            alg=alg, key=kid, signature="foreign", sw=sw_hs(secret, source))
    add("alg-not-allowed-rs256-when-hs256", "security.md §2A.10",
        builder.token(pyjwt_header("RS256"), base, alg="RS256", kid="rsa-2048")[0], "invalid",
        "HS256 configured; a correctly signed RS256 token from the RSA key.", signature="foreign",
        sw=signed_with("RS256", kid="rsa-2048"))
    add("alg-not-allowed-rs512-when-rs256", "security.md §2A.10",
        builder.token(pyjwt_header("RS512"), rs_base, alg="RS512", kid="rsa-2048")[0], "invalid",
        "RS256 configured; RS512 signed by the same (configured) RSA key.", alg="RS256", key="rsa-2048",
        signature="valid-for-other-alg", sw=signed_with("RS512", kid="rsa-2048"))
    add("alg-not-allowed-ps256-when-rs256", "security.md §2A.10",
        builder.token(pyjwt_header("PS256"), rs_base, alg="PS256", kid="rsa-2048")[0], "invalid",
        "RS256 configured; PS256 signed by the same RSA key.", alg="RS256", key="rsa-2048",
        signature="valid-for-other-alg", sw=signed_with("PS256", kid="rsa-2048"))
    add("alg-not-allowed-hs384-same-secret", "security.md §2A.10",
        builder.token(pyjwt_header("HS384"), base, alg="HS384", kid=hs)[0], "invalid",
        "HS256 configured; HS384 MAC with the configured HS256 secret.", signature="valid-for-other-alg",
        sw=signed_with("HS384", kid=hs))
    for label, hdr in (
        ("unsupported", b'{"alg":"unsupported","typ":"JWT"}'),
        ("empty-string", b'{"alg":"","typ":"JWT"}'),
        ("array", b'{"alg":["HS256"],"typ":"JWT"}'),
        ("object", b'{"alg":{"toString":"HS256"},"typ":"JWT"}'),
        ("null", b'{"alg":null,"typ":"JWT"}'),
        ("missing", b'{"typ":"JWT"}'),
        ("lowercase-hs256", b'{"alg":"hs256","typ":"JWT"}'),
        ("trailing-space", b'{"alg":"HS256 ","typ":"JWT"}'),
    ):
        add("alg-garbage-" + label, "security.md §2A.11", mac(hdr, base), "invalid",
            "Header %s; the MAC is HMAC-SHA256 under the configured key over the received segments." % hdr.decode(),
            sw=sw_hs())

    # ECDSA
    n256 = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    he, pe, se = t_es.split(".")
    add("ecdsa-psychic-signature-zeros", "security.md §2A.12", he + "." + pe + "." + "A" * 86, "invalid",
        "ES256 with r = s = 0 as 64 raw zero bytes (CVE-2022-21449).", alg="ES256", key="p-256", signature="invalid", sw=None)
    add("ecdsa-psychic-signature-der", "security.md §2A.12", he + "." + pe + ".MAYCAQACAQA", "invalid",
        "ES256 with r = s = 0 DER-encoded (30 06 02 01 00 02 01 00).", alg="ES256", key="p-256", signature="invalid", sw=None)
    es_der = ecdsa_raw_to_der(b64u_decode(se))
    add("ecdsa-der-signature", "security.md §2A.13", he + "." + pe + "." + b64u(es_der), "invalid",
        "A correct ES256 signature, but DER-encoded instead of raw r||s: a signature failure, not a crash.",
        alg="ES256", key="p-256", signature="der-encoded", sw=signed_with("ES256", kid="p-256"))
    raw = b64u_decode(se)
    r, s = uint(raw[:32]), uint(raw[32:])
    twin = he + "." + pe + "." + b64u(uint_bytes(r, 32) + uint_bytes(n256 - s, 32))
    add("ecdsa-s-complement-twin", "security.md §2A.14", twin, "valid",
        "The (r, n-s) twin of control-valid-es256 (%s-s here): also a valid ECDSA signature (WebCrypto and OpenSSL do "
        "not enforce low-s). A distinct token string with the same jti: a denylist keyed by jti (not by the token or "
        "its hash) catches both (see blacklisted-es256-s-complement-twin)." % ("high" if n256 - s > n256 // 2 else "low"), alg="ES256", key="p-256", sw=signed_with("ES256", kid="p-256"),
        twinOf="control-valid-es256")

    # ---- §2B key-selection header injection -------------------------------------------------
    att = keys["attacker-rsa-2048"]
    att_jwk = {"kty": "RSA", "kid": "jwt_tool", "use": "sig", "e": att["publicJwk"]["e"], "n": att["publicJwk"]["n"]}
    sw_att = signed_with("RS256", kid="attacker-rsa-2048")

    def rs_hdr(extra):
        return pyjwt_header("RS256", extra)

    add("header-jwk-embedded-attacker-key", "security.md §2B.15",
        builder.token(rs_hdr({"jwk": att_jwk}), rs_base, alg="RS256", kid="attacker-rsa-2048")[0], "invalid",
        "RS256 configured; the header embeds the attacker's public JWK (jwt_tool jwksEmbed) and the token is signed by "
        "the attacker's key (CVE-2018-0114).", alg="RS256", key="rsa-2048", signature="foreign", sw=sw_att)
    add("header-jwk-embedded-oct", "security.md §2B.15",
        mac(pyjwt_header("HS256", {"jwk": keys["attacker-hs256"]["jwk"]}), base, secret=signer.hmac_secret("attacker-hs256")),
        "invalid", "HS256 configured; the header embeds an oct JWK and the MAC uses that embedded secret.",
        signature="foreign", sw=signed_with("HS256", kid="attacker-hs256"))
    for label, param, url in (
        ("jku-loopback", "jku", "http://127.0.0.1:8080/jwks.json"),
        ("jku-loopback-ipv6", "jku", "http://[::1]/.well-known/jwks.json"),
        ("jku-metadata", "jku", "http://169.254.169.254/latest/meta-data/"),
        ("x5u-loopback", "x5u", "http://127.0.0.1:8080/cert.pem"),
    ):
        add("header-%s-attacker-key" % label, "security.md §2B.16-17",
            builder.token(rs_hdr({param: url, "kid": "jwt_tool"}), rs_base, alg="RS256", kid="attacker-rsa-2048")[0], "invalid",
            "RS256 configured; %s points at %s (serving the attacker's key) and the token is signed by the attacker. "
            "Assert that no fetch happens (mocked fetch called zero times)." % (param, url),
            alg="RS256", key="rsa-2048", signature="foreign", sw=sw_att, assertNoFetch=True)
    add("header-x5c-self-signed", "security.md §2B.17",
        builder.token(rs_hdr({"x5c": [att["x5cDer"]]}), rs_base, alg="RS256", kid="attacker-rsa-2048")[0], "invalid",
        "RS256 configured; x5c carries the attacker's self-signed certificate and the token is signed by that key.",
        alg="RS256", key="rsa-2048", signature="foreign", sw=sw_att, assertNoFetch=True)
    for label, param, value in (
        ("jku", "jku", "http://127.0.0.1:8080/jwks.json"),
        ("x5u", "x5u", "http://127.0.0.1:8080/cert.pem"),
        ("jwk", "jwk", att_jwk),
        ("x5c", "x5c", [att["x5cDer"]]),
    ):
        add("header-%s-ignored-real-signature" % label, "security.md §2B.15-17; issue 4 ('ignored and never fetched')",
            builder.token(rs_hdr({param: value}), rs_base, alg="RS256", kid="rsa-2048")[0], "valid",
            "Control: a %s header on a token signed by the CONFIGURED key. Issue 4 says these headers are ignored and never "
            "fetched, so the token verifies, and no fetch happens." % param,
            alg="RS256", key="rsa-2048", sw=signed_with("RS256", kid="rsa-2048"), assertNoFetch=True)

    rot = {"keyIds": ["hs256", "hs256-next"]}
    for label, kid_value, secret, source in (
        ("path-traversal-dev-null", "../../../../../../dev/null", b"", "empty string (contents of /dev/null)"),
        ("absolute-dev-null", "/dev/null", b"", "empty string"),
        ("invalid-path", "/invalid_path", b"", "empty string"),
        ("sql-union", "x' UNION SELECT '1';--", b"1", "'1' (the SELECTed value)"),
        ("command-injection", "|sleep 10", b"", "empty string"),
    ):
        add("kid-%s" % label, "security.md §2B.18-19", mac(pyjwt_header("HS256", {"kid": kid_value}), base, secret=secret), "invalid",
            "kid %r, HS256 MAC with %s. kid is only an exact-match lookup among configured keys: no file, SQL or shell "
            "access, no delay." % (kid_value, source), signature="foreign", sw=sw_hs(secret, source), **dict(rot))
        add("kid-%s-real-key" % label, "security.md §2B.18-19, §2B.21",
            builder.token(pyjwt_header("HS256", {"kid": kid_value}), base, alg="HS256", kid=hs)[0], "invalid",
            "kid %r on a token MACed with the configured hs256 key: no configured key has this kid, and there is no "
            "fallback to trying every key." % kid_value, sw=sw_hs(), **dict(rot))
    for label, kid_json in (("number", "123"), ("array", '["hs256"]'), ("object", '{"kid":"hs256"}'), ("null", "null"),
                            ("true", "true")):
        hdr = ('{"alg":"HS256","kid":%s,"typ":"JWT"}' % kid_json).encode()
        add("kid-type-" + label, "security.md §2B.20, §1B.19", mac(hdr, base), "invalid",
            "kid is a JSON %s (%s), MACed with the configured hs256 key: a non-string kid must not select (or bypass "
            "selection of) a key." % (label, kid_json), sw=sw_hs(), **dict(rot))
    add("kid-empty-string-empty-key", "security.md §2B.20", mac(pyjwt_header("HS256", {"kid": ""}), base, secret=b""), "invalid",
        "kid '' signed with the empty key.", signature="foreign", sw=sw_hs(b"", "empty string"), **dict(rot))
    add("kid-unknown", "security.md §2B.21", builder.token(pyjwt_header("HS256", {"kid": "hs256-retired"}), base, alg="HS256", kid=hs)[0],
        "invalid", "kid names no configured key; MACed with the configured hs256 key. No fallback to 'try all keys'.",
        sw=sw_hs(), **dict(rot))
    add("kid-mismatch", "security.md §2B.21", builder.token(pyjwt_header("HS256", {"kid": "hs256"}), base, alg="HS256", kid="hs256-next")[0],
        "invalid", "kid 'hs256' but MACed with hs256-next (also configured): the kid selects the key, and the other "
        "configured key is not tried.", signature="valid-for-other-key", sw=signed_with("HS256", kid="hs256-next"), **dict(rot))
    add("kid-prototype-name", "security.md §2B.20", builder.token(pyjwt_header("HS256", {"kid": "__proto__"}), base, alg="HS256", kid=hs)[0],
        "invalid", "kid '__proto__' (also try 'constructor', 'toString'): a key map lookup must not hit Object.prototype.",
        sw=sw_hs(), **dict(rot))
    add("kid-selects-next-key", "control (key rotation)", builder.token(pyjwt_header("HS256", {"kid": "hs256-next"}), base, alg="HS256", kid="hs256-next")[0],
        "valid", "Control: kid 'hs256-next' MACed with hs256-next, both keys configured with kid = key id.",
        sw=signed_with("HS256", kid="hs256-next"), **dict(rot))
    add("kid-selects-current-key", "control (key rotation)", builder.token(pyjwt_header("HS256", {"kid": "hs256"}), base, alg="HS256", kid=hs)[0],
        "valid", "Control: kid 'hs256' MACed with hs256.", sw=sw_hs(), **dict(rot))

    # ---- §2C header / crit / serialization --------------------------------------------------
    pyjwt_crit = "PyJWT ignores crit, so simplejwt accepts this token."
    for label, hdr in (
        ("unknown", b'{"alg":"HS256","crit":["http://example.invalid/UNDEFINED"],"http://example.invalid/UNDEFINED":true,"typ":"JWT"}'),
        ("exp", ('{"alg":"HS256","crit":["exp"],"exp":%d,"typ":"JWT"}' % (IAT + 300)).encode()),
        ("empty-array", b'{"alg":"HS256","crit":[],"typ":"JWT"}'),
        ("proto", b'{"alg":"HS256","crit":["__proto__"],"typ":"JWT"}'),
        ("constructor", b'{"alg":"HS256","crit":["constructor"],"typ":"JWT"}'),
        ("tostring", b'{"alg":"HS256","crit":["toString"],"typ":"JWT"}'),
        ("not-array", b'{"alg":"HS256","crit":"exp","exp":1800000300,"typ":"JWT"}'),
        ("empty-name", b'{"alg":"HS256","crit":[""],"":1,"typ":"JWT"}'),
        ("names-absent-param", b'{"alg":"HS256","crit":["http://example.invalid/ABSENT"],"typ":"JWT"}'),
    ):
        add("crit-" + label, "security.md §2C.22-24, §1B.20", mac(hdr, base), "invalid",
            "Header %s, valid MAC. An unknown, empty, non-array or inherited-name crit is refused (RFC 7515 §4.1.11)." % hdr.decode(),
            sw=sw_hs(), simplejwt=pyjwt_crit)
    jose_b64 = "eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19.foo.VklKdp4tVYD61VNPDBTqxqdEQcUL3JK-D4dGXu9NvWs"
    if not signer.verify("HS256", b"eyJhbGciOiJIUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19.foo", b64u_decode(jose_b64.split(".")[2]), kid="hs256-zero"):
        fail("jose's b64:false test token does not verify with 32 zero bytes")
    add("b64-false-jose-vector", "security.md §2C.25", jose_b64, "invalid",
        "jose's verbatim b64:false token ({alg:HS256,b64:false,crit:[b64]}, payload 'foo' unencoded), key = 32 zero "
        "bytes (keyId hs256-zero); the MAC is valid over the unencoded payload. 'JWTs MUST NOT use unencoded payload'.",
        key="hs256-zero", sw=signed_with("HS256", kid="hs256-zero"))
    hdr_b64f = b'{"alg":"HS256","b64":false,"crit":["b64"]}'
    add("b64-false-raw-claims", "security.md §2C.25", mac(hdr_b64f, base_json, raw_payload=True), "invalid",
        "b64:false with crit [b64]; the second segment is the raw claims JSON and the MAC (configured key) covers "
        "header64 + '.' + raw JSON (RFC 7797).", sw=sw_hs())
    add("b64-false-without-crit", "security.md §2C.25", mac(b'{"alg":"HS256","b64":false,"typ":"JWT"}', base), "invalid",
        "b64:false WITHOUT crit (RFC 7797 §6 requires crit to list b64), payload base64url-encoded as usual and MACed "
        "normally. jose ignores b64 when crit does not list it and would accept; PyJWT treats it as detached and "
        "rejects. Refuse the ambiguity.", sw=sw_hs())

    jwe_hdr = b64u(b'{"alg":"dir","enc":"A256GCM"}')
    add("jwe-five-segments", "security.md §2C.26", jwe_hdr + ".." + b64u(label_bytes("iv", 12)) + "." + b64u(label_bytes("ct", 48)) + "." + b64u(label_bytes("tag", 16)),
        "invalid", "A JWE-shaped compact string (dir/A256GCM, empty encrypted key): 5 segments.", signature="n/a", sw=None)
    add("jwe-five-empty-segments", "security.md §2C.26", ".....", "invalid", "Five empty segments.", signature="n/a", sw=None)
    add("json-serialization-flattened", "security.md §2C.27",
        json.dumps({"payload": p0, "protected": h0, "signature": s0}, separators=(",", ":")), "invalid",
        "The valid base token's parts as a flattened JWS JSON serialization.", signature="n/a", sw=None)
    add("json-serialization-general", "security.md §2C.27",
        json.dumps({"payload": p0, "signatures": [{"protected": h0, "signature": s0}]}, separators=(",", ":")), "invalid",
        "The valid base token's parts as a general JWS JSON serialization.", signature="n/a", sw=None)
    for label, tok in (("two-segments", "a.b"), ("four-segments", "a.b.c.d"), ("dots-only", ".."), ("empty-object-payload", ".e30."),
                       ("empty-string", ""), ("valid-plus-fourth-segment", t0 + ".e30"), ("valid-plus-trailing-dot", t0 + ".")):
        add("format-" + label, "security.md §2C.28", tok, "invalid", "Segment-count edge case %r." % (tok if len(tok) < 20 else label),
            signature="n/a", sw=None)
    add("format-empty-header-segment", "security.md §2C.28", mac(b"", base), "invalid",
        "Empty protected header segment; the MAC (configured key) covers '.' + payload64.", sw=sw_hs())

    # lenient-decoder probes: the MAC is valid over the RECEIVED segments, so only strict parsing refuses them
    def seg_probe(name, section, h_seg, p_seg, desc, sig_seg=None, note=None):
        si = (h_seg + "." + p_seg).encode("utf-8")
        sig = sig_seg if sig_seg is not None else b64u(hmac.new(hs_secret, si, hashlib.sha256).digest())
        extra = {"simplejwt": note} if note else {}
        add(name, section, h_seg + "." + p_seg + "." + sig, "invalid", desc,
            signature="valid" if sig_seg is None else "valid-bytes-after-lenient-decoding", sw=sw_hs(), **extra)

    padded_hdr = base64.urlsafe_b64encode(base_hdr).decode()
    padded_payload = base64.urlsafe_b64encode(base_json).decode()
    if "=" not in padded_hdr + padded_payload:
        fail("padding probe needs a segment whose length is not a multiple of 3")
    seg_probe("base64-padding-in-header-and-payload", "security.md §2C.28, §1B.24", padded_hdr, padded_payload,
              "Header and payload segments carry '=' padding; the MAC is over the received (padded) segments.")
    s_pad = s0 + "="
    seg_probe("base64-padding-in-signature", "security.md §2C.28, §1B.24", h0, p0, "'=' appended to the signature segment.",
              sig_seg=s_pad, note="PyJWT pads and decodes leniently: simplejwt accepts.")
    seg_probe("whitespace-space-in-signature", "security.md §2C.27, §1B.24", h0, p0, "A space inside the signature segment.",
              sig_seg=s0[:20] + " " + s0[20:], note="Python's base64 discards non-alphabet characters: simplejwt accepts.")
    seg_probe("whitespace-in-payload-segment", "security.md §2C.27, §1B.24", h0, p0[:30] + "\t" + p0[30:],
              "A tab inside the payload segment; the MAC covers the received bytes including the tab.",
              note="PyJWT decodes the payload leniently and the MAC matches: simplejwt accepts.")
    for label, suffix in (("trailing-newline", "\n"), ("trailing-crlf", "\r\n")):
        seg_probe("whitespace-" + label, "security.md §2C.27", h0, p0, "The valid token followed by %r." % suffix,
                  sig_seg=s0 + suffix)
    add("whitespace-leading-space", "security.md §2C.27", " " + t0, "invalid",
        "A space before the valid token (the caller handed a raw token, not a header; split() would hide it).",
        sw=sw_hs(), signature="valid-received-bytes-differ")
    s_std = s0.replace("-", "+").replace("_", "/")
    if s_std != s0:
        seg_probe("base64-standard-alphabet-signature", "security.md §2C.28, §1B.24", h0, p0,
                  "The signature in the standard alphabet ('+' '/' for '-' '_'); same bytes after lenient decoding.", sig_seg=s_std)
    # a payload whose standard encoding contains '+' or '/': add a counter claim until it does
    for i in range(200):
        probe_json = compact(dict(base, n="~" * (i + 1)))
        std_seg = base64.b64encode(probe_json).decode().rstrip("=")
        if "+" in std_seg or "/" in std_seg:
            break
    seg_probe("base64-standard-alphabet-payload", "security.md §2C.28, §1B.24", h0, std_seg,
              "Payload segment in the standard base64 alphabet (contains '+' or '/'); MAC over the received segments.")
    seg_probe("non-ascii-in-payload-segment", "security.md §2C.28", h0, p0[:10] + "\u00e9" + p0[10:],
              "'\u00e9' inside the payload segment; the MAC covers the UTF-8 bytes received.")
    seg_probe("non-ascii-in-signature", "security.md §2C.28", h0, p0, "'\u20ac' inside the signature segment.",
              sig_seg=s0[:10] + "\u20ac" + s0[10:])
    seg_probe("non-base64-char-in-signature", "security.md §2C.28", h0, p0, "'!' inside the signature segment.",
              sig_seg=s0[:10] + "!" + s0[10:], note="Python's base64 discards '!': simplejwt accepts.")

    for label, hb in (("string", b'"foo"'), ("number", b"123"), ("null", b"null"), ("array", b"[]"), ("true", b"true"),
                      ("array-of-header", b'[{"alg":"HS256","typ":"JWT"}]'), ("invalid-json", b"{"),
                      ("empty", b"")):
        add("header-not-object-" + label, "security.md §2C.29", mac(hb, base), "invalid",
            "Protected header %r, MACed with the configured key." % hb.decode(), sw=sw_hs())
    for label, pb in (("zero", b"0"), ("one", b"1"), ("minus-one", b"-1"), ("true", b"true"), ("false", b"false"),
                      ("null", b"null"), ("array", b"[]"), ("empty-string", b'""'), ("string", b'"access"'),
                      ("invalid-json", b"{"), ("empty", b""), ("array-of-claims", b"[" + base_json + b"]"),
                      ("trailing-garbage", base_json + b"x"), ("two-objects", base_json + base_json)):
        add("payload-not-object-" + label, "security.md §2C.29", mac(base_hdr, pb), "invalid",
            "Claims %r, MACed with the configured key." % (pb.decode()[:60]), sw=sw_hs())

    bad_utf8 = base_json[:-1] + b',"name":"a\xc0\xafb"}'
    add("payload-invalid-utf8-overlong", "security.md §2C.30, §1B.25", mac(base_hdr, bad_utf8), "invalid",
        "Claims with the overlong UTF-8 sequence C0 AF inside a string, MACed.", sw=sw_hs(),
        simplejwt="json.loads on bytes raises UnicodeDecodeError (a ValueError): rejected. A non-fatal TextDecoder turns it into U+FFFD and accepts.")
    bad_hdr = b'{"alg":"HS256","typ":"JWT","x":"\xc2"}'
    add("header-invalid-utf8-lone-byte", "security.md §2C.30", mac(bad_hdr, base), "invalid",
        "Header with a lone 0xC2 byte inside a string, MACed.", sw=sw_hs())
    surrogate = base_json[:-1] + b',"name":"\\ud834"}'
    add("payload-lone-surrogate-escape", "security.md §2C.30", mac(base_hdr, surrogate), "invalid",
        "Claims with the JSON escape \\ud834 (a lone surrogate; Tink rejects), MACed.", sw=sw_hs(),
        simplejwt="Python's json accepts lone surrogates: simplejwt accepts.")
    bom = b"\xef\xbb\xbf"
    add("payload-utf8-bom", "security.md §1B.25", mac(base_hdr, bom + base_json), "invalid",
        "Claims prefixed with a UTF-8 BOM (EF BB BF), MACed. RFC 8259 §8.1: senders MUST NOT add a BOM.", sw=sw_hs(),
        simplejwt="json.loads(bytes) detects utf-8-sig and strips the BOM: simplejwt accepts. TextDecoder also strips it by default.")
    add("header-utf8-bom", "security.md §1B.25", mac(bom + base_hdr, base), "invalid",
        "Header prefixed with a UTF-8 BOM, MACed.", sw=sw_hs(), simplejwt="accepted by PyJWT (utf-8-sig detection).")

    dup_none_last = b'{"alg":"HS256","alg":"none","typ":"JWT"}'
    dup_none_first = b'{"alg":"none","alg":"HS256","typ":"JWT"}'
    add("header-duplicate-alg-none-last", "security.md §2C.33", mac(dup_none_last, base), "invalid",
        "Header {alg:HS256, alg:none}, MACed with HS256: duplicate member names are refused.", sw=sw_hs(),
        simplejwt="Python keeps the last value (none), not in the allow-list: rejected.")
    add("header-duplicate-alg-none-first", "security.md §2C.33", mac(dup_none_first, base), "invalid",
        "Header {alg:none, alg:HS256}, MACed with HS256: duplicate member names are refused (issue 4).", sw=sw_hs(),
        simplejwt="Python keeps the last value (HS256): simplejwt accepts.")
    add("header-duplicate-alg-escaped", "security.md §2C.33", mac(b'{"alg":"HS256","\\u0061lg":"none","typ":"JWT"}', base), "invalid",
        "Header {\"alg\":\"HS256\",\"\\u0061lg\":\"none\"}: the duplicate is spelled with an escape, so a raw-text scan "
        "misses it; the parsed member names collide.", sw=sw_hs())
    p_dup = (b'{"token_type":"access","exp":%d,"iat":%d,"jti":"%s","user_id":"1","exp":%d}'
             % (NOW - 10, IAT, jti("dup exp").encode(), IAT + 300))
    add("payload-duplicate-exp", "security.md §2C.33 (issue 4: no duplicate keys)", mac(base_hdr, p_dup), "invalid",
        "Claims with exp twice (first already expired, last valid), MACed.", sw=sw_hs(),
        simplejwt="Python keeps the last exp (valid): simplejwt accepts.")
    p_dup2 = (b'{"token_type":"access","exp":%d,"iat":%d,"jti":"%s","user_id":"1","exp":%d}'
              % (IAT + 300, IAT, jti("dup exp 2").encode(), NOW - 10))
    add("payload-duplicate-exp-expired-last", "security.md §2C.33", mac(base_hdr, p_dup2), "invalid",
        "Claims with exp twice (first valid, last expired), MACed.", sw=sw_hs(),
        simplejwt="Python keeps the last exp: 'Token is expired'.")
    p_dup3 = (b'{"token_type":"refresh","exp":%d,"iat":%d,"jti":"%s","user_id":"1","token_type":"access"}'
              % (IAT + 300, IAT, jti("dup type").encode()))
    add("payload-duplicate-token-type", "security.md §2C.33", mac(base_hdr, p_dup3), "invalid",
        "token_type twice (refresh, then access), MACed.", sw=sw_hs())
    p_dup4 = (b'{"token_type":"access","exp":%d,"iat":%d,"jti":"%s","user_id":"1","user\\u005fid":"2"}'
              % (IAT + 300, IAT, jti("dup user").encode()))
    add("payload-duplicate-user-id-escaped", "security.md §2C.33", mac(base_hdr, p_dup4), "invalid",
        "user_id twice, the second spelled user\\u005fid ('1' then '2'), MACed.", sw=sw_hs())

    def nested(depth):
        return b'{"a":' * depth + b"1" + b"}" * depth

    over, ok = MAX_DEPTH + 2, MAX_DEPTH
    add("payload-nesting-%d" % over, "security.md §2C.31 (issue 4: nesting no deeper than 32)",
        mac(base_hdr, base_json[:-1] + b',"nest":' + nested(over - 1) + b"}"), "invalid",
        "Claims object containing %d nested objects: %d levels counting the claims object itself as level 1 (%d if "
        "it counts as 0), over 32 either way. MACed." % (over - 1, over, over - 1), sw=sw_hs(), depth=over)
    add("payload-nesting-%d-control" % ok, "control (issue 4: nesting no deeper than 32)",
        mac(base_hdr, base_json[:-1] + b',"nest":' + nested(ok - 1) + b"}"), "valid",
        "Claims object containing %d nested objects: %d levels counting the claims object as 1 (%d from 0), within 32 "
        "either way. Otherwise a valid token." % (ok - 1, ok, ok - 1), sw=sw_hs(), depth=ok)
    add("header-nesting-%d" % over, "security.md §2C.31",
        mac(base_hdr[:-1] + b',"x":' + nested(over - 1) + b"}", base), "invalid",
        "Header with %d nested objects under x, MACed." % (over - 1), sw=sw_hs(), depth=over)
    add("payload-nesting-10000", "security.md §2C.31",
        mac(base_hdr, base_json[:-1] + b',"nest":' + nested(10000) + b"}"), "invalid",
        "Tink's recursion bomb: 10,000 nested objects in a claim, MACed. Must not hang, crash or overflow the stack. "
        "It is also over 8 KiB, so the size cap refuses it first; payload-nesting-2500-arrays tests depth under the cap.",
        sw=sw_hs(), depth=10001, simplejwt="Python's json raises RecursionError (not a ValueError): a 500 in simplejwt.")
    deep_arrays = base_json[:-1] + b',"nest":' + b"[" * 2500 + b"]" * 2500 + b"}"
    add("payload-nesting-2500-arrays", "security.md §2C.31 (issue 4: nesting no deeper than 32)", mac(base_hdr, deep_arrays),
        "invalid", "2,500 nested arrays in a claim, MACed; the token stays under 8 KiB, so only the depth rule refuses it.",
        sw=sw_hs(), depth=2501)
    add("payload-nesting-34-arrays", "security.md §2C.31 (issue 4: nesting no deeper than 32)",
        mac(base_hdr, base_json[:-1] + b',"nest":' + b"[" * (over - 1) + b"]" * (over - 1) + b"}"), "invalid",
        "Claims object containing %d nested arrays (%d levels counting the claims object as 1), MACed: arrays count "
        "towards depth like objects." % (over - 1, over), sw=sw_hs(), depth=over)

    # size: exactly MAX+1 (or +2 when +1 is not reachable) and a control at <= MAX
    def sized(target, label):
        best = None
        for n in range(0, 9000):
            p = dict(base, jti=jti(label), pad="x" * n)
            tok = mac(base_hdr, p)
            if len(tok) >= target:
                best = tok
                break
        return best

    big = sized(MAX_TOKEN_BYTES + 1, "big")
    ok_size = None
    for n in range(9000, 0, -1):
        tok = mac(base_hdr, dict(base, jti=jti("big ok"), pad="x" * n))
        if len(tok) <= MAX_TOKEN_BYTES and len(tok) >= MAX_TOKEN_BYTES - 1:
            ok_size = tok
            break
        if len(tok) < MAX_TOKEN_BYTES - 1:
            break
    add("size-over-8kib", "security.md §2C.32, §1B.32 (issue 4: over 8 KiB refused before parsing)", big, "invalid",
        "A %d-byte token (8 KiB = 8192) with a valid MAC and valid claims (a 'pad' claim): refused by size alone." % len(big),
        sw=sw_hs())
    if ok_size:
        add("size-8kib-control", "control (issue 4: 8 KiB limit)", ok_size, "valid",
            "A %d-byte token, at or just under the 8 KiB limit, valid in every other respect." % len(ok_size), sw=sw_hs())
    huge = mac(base_hdr, dict(base, jti=jti("huge"), pad="x" * 15000))
    add("size-20kib", "security.md §2C.32", huge, "invalid", "A %d-byte validly MACed token." % len(huge), sw=sw_hs())

    # ---- §2D claims --------------------------------------------------------------------------
    def claims_case(name, section, payload, desc, expect=None, settings=None, token_class="AccessToken", leeway=0, **extra):
        if expect is None:
            expect = simplejwt_claims_verdict(payload, token_class, NOW, leeway)
        s = dict(settings or {})
        if leeway:
            s["leeway"] = leeway
        add(name, section, mac(base_hdr, payload), expect, desc, sw=sw_hs(), settings=s, tokenClass=token_class, **extra)

    claims_case("exp-equals-now", "security.md §2D.34, §1B.21", access_payload("exp now", iat=NOW - 300),
                "exp == now: expired (exp <= now - leeway).",
                simplejwt="PyJWT 2.6+ tests exp <= now - leeway itself (ExpiredSignatureError): 'Token is expired'. Old PyJWT "
                "tested exp < now, and simplejwt's own check_exp then answered \"Token 'exp' claim has expired\".")
    claims_case("exp-now-plus-one", "control (security.md §2D.34)", access_payload("exp now+1", iat=NOW - 299), "exp == now + 1: valid.")
    claims_case("exp-now-minus-one", "security.md §2D.34", access_payload("exp now-1", iat=NOW - 301), "exp == now - 1: expired.")
    claims_case("exp-leeway-boundary-expired", "security.md §2D.34", access_payload("leeway exp", iat=NOW - 305),
                "leeway 5, exp == now - 5: expired (exp <= now - leeway).", leeway=5)
    claims_case("exp-within-leeway", "control (leeway)", access_payload("leeway ok", iat=NOW - 304),
                "leeway 5, exp == now - 4: valid.", leeway=5)
    for label, value in (("string", '"%d"' % (IAT + 300)), ("null", "null"), ("true", "true"), ("float-huge", "1e+30"),
                         ("year-10000", "253402300800"), ("infinity-literal", "Infinity"), ("nan-literal", "NaN"),
                         ("negative-zero", "-0"), ("array", "[%d]" % (IAT + 300))):
        pb = (b'{"token_type":"access","exp":%s,"iat":%d,"jti":"%s","user_id":"1"}' % (value.encode(), IAT, jti("exp " + label).encode()))
        notes = {
            "string": "PyJWT's int('1800000300') succeeds, then simplejwt's datetime_from_epoch(str) raises TypeError: a 500.",
            "infinity-literal": "Not JSON. Python's json accepts Infinity; int(inf) raises OverflowError: a 500 in simplejwt.",
            "nan-literal": "Not JSON. Python's json accepts NaN; int(nan) raises ValueError: 'Token is invalid'.",
            "float-huge": "datetime.utcfromtimestamp(1e30) raises OverflowError in simplejwt: a 500.",
            "year-10000": "Tink rejects exp >= 253402300800 (year 10000); simplejwt's datetime conversion raises: a 500.",
        }
        expect = "expired" if label == "negative-zero" else "invalid"
        add("exp-" + label, "security.md §2D.36, §1B.21", mac(base_hdr, pb), expect,
            "exp is %s (MACed). exp, nbf and iat must be finite JSON numbers%s." % (value, "; -0 is a number, so this is simply expired" if label == "negative-zero" else ""),
            sw=sw_hs(), **({"simplejwt": notes[label]} if label in notes else {}))
    claims_case("exp-missing", "security.md §2D (simplejwt check_exp)", {k: v for k, v in access_payload("no exp").items() if k != "exp"},
                "No exp claim: simplejwt requires it ('Token has no \\'exp\\' claim').")
    claims_case("nbf-future", "security.md §2D.35", dict(access_payload("nbf future"), nbf=NOW + 1), "nbf == now + 1: not yet valid.",
                expect="invalid")
    claims_case("nbf-now", "control (security.md §2D.35)", dict(access_payload("nbf now"), nbf=NOW), "nbf == now: valid.")
    claims_case("nbf-within-leeway", "control (security.md §2D.35)", dict(access_payload("nbf leeway"), nbf=NOW + 3),
                "leeway 3, nbf == now + 3: valid.", leeway=3)
    claims_case("nbf-beyond-leeway", "security.md §2D.35", dict(access_payload("nbf beyond"), nbf=NOW + 4),
                "leeway 3, nbf == now + 4: not yet valid.", expect="invalid", leeway=3)
    claims_case("nbf-string", "security.md §2D.36", dict(access_payload("nbf string"), nbf=str(NOW)), "nbf is a string.", expect="invalid")
    claims_case("iat-future", "security.md §1B.21", access_payload("iat future", iat=NOW + 60),
                "iat one minute after now (exp = iat + 300). PyJWT 2.x refuses it ('The token is not yet valid (iat)'), so "
                "simplejwt answers 'Token is invalid'.", expect="invalid")
    claims_case("iat-string", "security.md §2D.36", dict(access_payload("iat string"), iat=str(IAT)), "iat is a string.", expect="invalid")
    aud_settings = {"audience": AUDIENCE, "issuer": ISSUER}
    for label, aud in (("other", "https://other.example.com"), ("empty-array", []), ("mixed-types", ["x", 123]),
                       ("case-variant", AUDIENCE.capitalize()), ("trailing-space", AUDIENCE + " "), ("empty-string", ""),
                       ("number", 123), ("object", {"aud": AUDIENCE})):
        claims_case("aud-" + label, "security.md §2D.37", with_aud_iss(access_payload("aud " + label), aud, ISSUER),
                    "audience %r configured; aud is %r." % (AUDIENCE, aud), expect="invalid", settings=aud_settings)
    claims_case("aud-missing", "security.md §2D.37", with_aud_iss(access_payload("aud missing"), None, ISSUER),
                "audience configured; no aud claim.", expect="invalid", settings=aud_settings)
    claims_case("aud-list-containing", "control (security.md §2D.37)",
                with_aud_iss(access_payload("aud list"), ["https://other.example.com", AUDIENCE], ISSUER),
                "aud is a list containing the configured audience: valid.", settings=aud_settings)
    for label, iss in (("number", 123), ("case-variant", ISSUER.upper()), ("other", "https://evil.example.com"), ("null", None)):
        p = dict(with_aud_iss(access_payload("iss " + label), AUDIENCE), iss=iss)
        claims_case("iss-" + label, "security.md §2D.38", p, "issuer %r configured; iss is %r." % (ISSUER, iss),
                    expect="invalid", settings=aud_settings)
    claims_case("iss-missing", "security.md §2D.38", with_aud_iss(access_payload("iss missing"), AUDIENCE),
                "issuer configured; no iss claim.", expect="invalid", settings=aud_settings)
    claims_case("token-type-missing", "security.md §2D.39", {k: v for k, v in access_payload("no type").items() if k != "token_type"},
                "No token_type claim.")
    claims_case("token-type-refresh-as-access", "security.md §2D.39", refresh_payload("refresh as access"),
                "A refresh token presented where an access token is expected.")
    claims_case("token-type-sliding-as-access", "security.md §2D.39", sliding_payload("sliding as access"),
                "A sliding token presented where an access token is expected.")
    claims_case("token-type-access-as-refresh", "security.md §2D.39, §1C.40", access_payload("access as refresh"),
                "An access token presented to the refresh endpoint / RefreshToken.", token_class="RefreshToken")
    claims_case("token-type-access-as-sliding", "security.md §2D.39", access_payload("access as sliding"),
                "An access token presented as a sliding token.", token_class="SlidingToken")
    claims_case("token-type-uppercase", "security.md §2D.39", dict(access_payload("upper type"), token_type="ACCESS"), "token_type 'ACCESS'.")
    claims_case("token-type-array", "security.md §2D.39", dict(access_payload("array type"), token_type=["access"]), "token_type ['access'].")
    claims_case("token-type-untyped", "security.md §2D.39", dict(access_payload("untyped"), token_type="untyped"), "token_type 'untyped'.")
    id_token = {"iss": ISSUER, "sub": "1", "aud": "some-client", "exp": IAT + 300, "iat": IAT, "nonce": "n-0S6_WzA2Mj"}
    claims_case("id-token-shaped", "security.md §2D.39", id_token,
                "An OpenID-Connect-ID-token-shaped JWT signed by the same key: no jti (simplejwt checks jti before type).")
    claims_case("jti-missing", "security.md §2D (simplejwt verify)", {k: v for k, v in access_payload("no jti").items() if k != "jti"}, "No jti claim.")
    claims_case("user-id-missing", "security.md §2D (simplejwt get_user)", {k: v for k, v in access_payload("no user").items() if k != "user_id"},
                "No user_id: the token validates, then authentication fails.")
    claims_case("user-id-null", "security.md §2D", dict(access_payload("null user"), user_id=None),
                "user_id null, and the store holds a user whose id is the string 'null': never authenticate as that "
                "user (String(null)). simplejwt reads the claim (present) and the lookup by id=None fails: 'User not "
                "found'; refusing it as 'no recognizable user identification' is as good.",
                expect="user_not_found", acceptAlso=["no_user_id"],
                precondition={"users": [{"id": "1", "isActive": True}, {"id": "null", "isActive": True}]})
    claims_case("proto-claim", "security.md §2D.40", dict(access_payload("proto"), __proto__={"admin": True, "is_staff": True}),
                "A '__proto__' claim holding {admin:true,is_staff:true}. Accept or refuse, but ({}).admin stays undefined, "
                "claims.admin/is_staff are not inherited, and TokenUser.is_staff stays false.", expect="safe",
                assertNoPrototypePollution=True)
    claims_case("constructor-claim", "security.md §2D.40",
                dict(access_payload("constructor"), constructor={"prototype": {"admin": True}}),
                "A 'constructor' claim holding {prototype:{admin:true}}. Accept or refuse; nothing is polluted.",
                expect="safe", assertNoPrototypePollution=True)

    # ---- §2E revocation / blacklist / users -------------------------------------------------
    refresh_bl = refresh_payload("blacklisted refresh")
    add("blacklisted-refresh", "security.md §2E.44", builder.token(base_hdr, refresh_bl, alg="HS256", kid=hs)[0], "blacklisted",
        "A valid refresh token whose jti has been blacklisted (precondition): 'Token is blacklisted' despite a valid "
        "signature and exp.", tokenClass="RefreshToken", sw=sw_hs(), precondition={"blacklistJti": refresh_bl["jti"]})
    es_ref = refresh_payload("blacklisted es256 refresh")
    t_es_ref = builder.token(pyjwt_header("ES256"), es_ref, alg="ES256", kid="p-256")[0]
    he2, pe2, se2 = t_es_ref.split(".")
    raw2 = b64u_decode(se2)
    twin2 = he2 + "." + pe2 + "." + b64u(raw2[:32] + uint_bytes(n256 - uint(raw2[32:]), 32))
    add("blacklisted-es256-s-complement-twin", "security.md §2A.14, §1B.30", twin2, "blacklisted",
        "The (r, n-s) twin of an ES256 refresh token whose jti is blacklisted: still blacklisted, because the denylist key "
        "is the jti, not the token string or its hash.", alg="ES256", key="p-256", tokenClass="RefreshToken",
        sw=signed_with("ES256", kid="p-256"), precondition={"blacklistJti": es_ref["jti"]}, twinToken=t_es_ref)
    add("user-inactive", "security.md §2E.46", t0, "user_inactive", "A valid access token for a user that is not active.",
        sw=sw_hs(), precondition={"users": [{"id": "1", "isActive": False}]})
    add("user-not-found", "security.md §2E.46", t0, "user_not_found", "A valid access token for a user id that is not in the store.",
        sw=sw_hs(), precondition={"users": []})
    old_hash = "pbkdf2_sha256$1000000$M0kQ7xTzq1VbH8nLr2YcWd$oldoldoldoldoldoldoldoldoldoldoldoldoldoldo="
    new_hash = "pbkdf2_sha256$1000000$Zp4Ue9GxJ3sA6fKt0mQwRb$newnewnewnewnewnewnewnewnewnewnewnewnewnewn="
    pc = access_payload("password changed", extra={"hash_password": hashlib.sha256(old_hash.encode()).hexdigest()})
    add("password-changed", "security.md §2E.45", mac(base_hdr, pc), "password_changed",
        "checkRevokeToken on; the token's hash_password is the hex SHA-256 of the user's OLD stored hash, the user now "
        "has a new one.", sw=sw_hs(), settings={"checkRevokeToken": True},
        precondition={"users": [{"id": "1", "isActive": True, "passwordHash": new_hash}]},
        revokeClaimOfOldHash=hashlib.sha256(old_hash.encode()).hexdigest())

    names = [e["name"] for e in entries]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        fail("duplicate attack names: %s" % sorted(dup))
    return {
        "source": "shared/reference/security.md §2A-2E (and §1B) as data; every token built by generate.py with hmac / "
        "the openssl CLI. Fields: see README.md.",
        "expectations": {k: {"message": v, "code": CODES.get(k, None if k in ("valid", "safe") else "token_not_valid")} for k, v in MESSAGES.items()},
        "rfc6750": {
            "status": 401,
            "failedToken": 'Bearer realm="api", error="invalid_token", error_description="<text without \\" or \\\\>"',
            "noCredentials": 'Bearer realm="api"',
        },
        "clock": {"now": NOW, "iat": IAT},
        "vectors": entries,
    }


# ---------------------------------------------------------------------------------------------
# checks


def split_token(tok):
    parts = tok.split(".")
    if len(parts) != 3:
        return None
    return parts


def check_all(signer, keys):
    problems = []
    n_checked = 0
    with open(RFC_PATH) as f:
        rfc = json.load(f)
    with open(SJ_PATH) as f:
        sj = json.load(f)
    with open(ATTACKS_PATH) as f:
        att = json.load(f)

    # RFC
    for v in rfc["vectors"]:
        if "signature" in v:
            si = v["token"].rsplit(".", 1)[0].encode()
            ok = signer.verify(v["algorithm"], si, b64u_decode(v["signature"]), kid=v["keyId"])
            n_checked += 1
            if not ok:
                problems.append("rfc %s: signature does not verify" % v["name"])

    # simplejwt: layout and signature
    for v in sj["vectors"]:
        h, p, s = v["token"].split(".")
        hb, pb = b64u_decode(h), b64u_decode(p)
        if hb.decode() != v["headerJson"] or pb.decode() != v["payloadJson"]:
            problems.append("simplejwt %s: recorded JSON differs from the token" % v["name"])
        if json.loads(hb) != v["header"] or json.loads(pb) != v["payload"]:
            problems.append("simplejwt %s: decoded header/payload differ" % v["name"])
        if v["headerJson"] not in ('{"alg":"%s","typ":"JWT"}' % v["algorithm"], '{"typ":"JWT","alg":"%s"}' % v["algorithm"]):
            problems.append("simplejwt %s: header is not PyJWT's" % v["name"])
        if pb != compact(v["payload"]):
            problems.append("simplejwt %s: payload bytes are not PyJWT's compact dump" % v["name"])
        keys_order = list(v["payload"].keys())
        expected_prefix = ["token_type", "exp", "iat", "jti"]
        if keys_order[:4] != expected_prefix:
            problems.append("simplejwt %s: claim order %s" % (v["name"], keys_order))
        if not re.fullmatch(r"[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}", v["payload"]["jti"]):
            problems.append("simplejwt %s: jti is not uuid4().hex" % v["name"])
        if not (v["payload"]["iat"] <= v["now"] < v["payload"]["exp"]):
            problems.append("simplejwt %s: not valid at now" % v["name"])
        if simplejwt_claims_verdict(v["payload"], v["tokenClass"], v["now"]) != "valid":
            problems.append("simplejwt %s: claims not valid for %s" % (v["name"], v["tokenClass"]))
        if not signer.verify(v["algorithm"], (h + "." + p).encode(), b64u_decode(s), kid=v["keyId"]):
            problems.append("simplejwt %s: signature does not verify" % v["name"])
        if v["algorithm"].startswith("HS") and b64u(signer.sign(v["algorithm"], (h + "." + p).encode(), kid=v["keyId"])) != s:
            problems.append("simplejwt %s: HMAC recomputation differs" % v["name"])
        n_checked += 1

    # attacks: every "valid"-signature entry verifies over the received bytes; the others do not verify
    def sw_verify(sw, si, sig):
        secret = bytes.fromhex(sw["hmacSecretHex"]) if "hmacSecretHex" in sw else None
        return signer.verify(sw["alg"], si, sig, kid=sw.get("keyId"), secret=secret)

    for v in att["vectors"]:
        tok, sig_kind, sw = v["token"], v["signature"], v["signedWith"]
        if v["expect"] in ("invalid", "valid", "safe") and v["message"] != MESSAGES[v["expect"]]:
            problems.append("attack %s: message" % v["name"])
        if sig_kind == "n/a":
            continue
        parts = tok.strip(" ").split(".") if sig_kind == "valid-received-bytes-differ" else tok.split(".")
        if len(parts) != 3:
            if sig_kind not in ("none", "invalid"):
                problems.append("attack %s: %d segments" % (v["name"], len(parts)))
            continue
        h, p, s = parts
        si = (h + "." + p).encode("utf-8")
        if sig_kind in ("valid", "valid-for-other-alg", "valid-for-other-key", "foreign", "valid-received-bytes-differ"):
            sig = b64u_decode(s)
            if not sw_verify(sw, si, sig):
                problems.append("attack %s: signature does not verify with signedWith" % v["name"])
            n_checked += 1
        elif sig_kind in ("noncanonical", "valid-bytes-after-lenient-decoding", "der-encoded"):
            cleaned = re.sub(r"[^A-Za-z0-9_+/-]", "", s).replace("+", "-").replace("/", "_")
            sig = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
            if sig_kind == "der-encoded":
                sig = ecdsa_der_to_raw(sig, EC_SIZES[sw["alg"]])
            if not sw_verify(sw, si, sig):
                problems.append("attack %s: leniently decoded signature does not verify" % v["name"])
            try:
                strict = b64u_decode(s)
            except ValueError:
                strict = None
            if strict is not None and sig_kind != "der-encoded" and signer.verify(v["algorithmConfigured"], si, strict, kid=v["keyId"]):
                problems.append("attack %s: strictly decodes to a valid signature" % v["name"])
            n_checked += 1
        # with the configured key and algorithm the token must NOT verify, unless it is meant to (valid / safe
        # expectations, a claims-level or user-level rejection, or a header/format property)
        if sig_kind in ("none", "invalid", "foreign"):
            try:
                sig = b64u_decode(s)
            except ValueError:
                sig = b""
            configured = v.get("keyIds") or [v["keyId"]]
            for kid in configured:
                if sig and signer.verify(v["algorithmConfigured"], si, sig, kid=kid):
                    problems.append("attack %s: verifies with configured key %s" % (v["name"], kid))
        if sig_kind == "valid" and sw.get("keyId") not in (None, v["keyId"]) and sw.get("keyId") not in (v.get("keyIds") or []):
            problems.append("attack %s: 'valid' signature from a key that is not configured" % v["name"])
    return n_checked, problems


# ---------------------------------------------------------------------------------------------


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def signature_cache(*docs):
    """(alg, keyId, signing input) -> signature, for randomised algorithms, from the previous output."""
    cache = {}
    for doc in docs:
        if not doc:
            continue
        for v in doc.get("vectors", []):
            if v.get("signature") not in (None, "valid", "foreign", "valid-for-other-alg", "valid-for-other-key"):
                continue
            sw = v.get("signedWith") or {}
            alg = sw.get("alg") or v.get("algorithm")
            kid = sw.get("keyId") or v.get("keyId")
            if not alg or not alg.startswith(RANDOMISED):
                continue
            if "twinToken" in v:
                candidates = [v["twinToken"]]
            elif "twinOf" in v:
                candidates = []
            else:
                candidates = [v.get("token", "")]
            for t in candidates:
                parts = t.split(".")
                if len(parts) == 3:
                    try:
                        cache.setdefault((alg, kid, (parts[0] + "." + parts[1]).encode()), b64u_decode(parts[2]))
                    except ValueError:
                        pass
    return cache


def to_json(obj, indent=0, prefix_len=0, trailing=0):
    """json.dumps(indent=2) laid out as the repo's formatter (biome, lineWidth 110) lays out JSON: non-empty
    objects one member per line; an array of scalars on one line when it fits, else one element per line."""
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = list(obj.items())
        lines = []
        for i, (k, v) in enumerate(items):
            key = json.dumps(k, ensure_ascii=False) + ": "
            comma = "," if i < len(items) - 1 else ""
            lines.append(pad + "  " + key + to_json(v, indent + 2, indent + 2 + len(key), len(comma)) + comma)
        return "{\n" + "\n".join(lines) + "\n" + pad + "}"
    if isinstance(obj, list):
        if not obj:
            return "[]"
        if all(not isinstance(x, (dict, list)) for x in obj):
            flat = "[" + ", ".join(json.dumps(x, ensure_ascii=False) for x in obj) + "]"
            if prefix_len + len(flat) + trailing <= 110:
                return flat
        lines = []
        for i, x in enumerate(obj):
            comma = "," if i < len(obj) - 1 else ""
            lines.append(pad + "  " + to_json(x, indent + 2, indent + 2, len(comma)) + comma)
        return "[\n" + "\n".join(lines) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=False)


def dump(path, obj):
    text = to_json(obj) + "\n"
    if json.loads(text) != obj:
        fail("JSON layout changed the data of " + path)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(argv):
    ossl = OpenSSL()
    try:
        previous_keys = load(KEYS_PATH)
        if "--check" in argv:
            keys = previous_keys["keys"]
            signer = Signer(ossl, keys, {})
        else:
            keys = build_keys(ossl, previous_keys, "--new-keys" in argv)
            cache = {} if "--new-keys" in argv else signature_cache(load(SJ_PATH), load(ATTACKS_PATH))
            signer = Signer(ossl, keys, cache)
            builder = Builder(signer)
            dump(KEYS_PATH, {
                "source": "Generated by generate.py: HMAC secrets derived from fixed labels; asymmetric keys made once "
                "with `openssl genpkey` and kept (re-runs read them back). Private keys PKCS#8 PEM, public keys SPKI PEM, "
                "JWKs derived from the DER and cross-checked with openssl. Test keys: never use them anywhere else.",
                "openssl": ossl.version,
                "keys": keys,
            })
            dump(RFC_PATH, build_rfc(signer))
            dump(SJ_PATH, build_simplejwt(builder, keys))
            dump(ATTACKS_PATH, build_attacks(builder, keys))
        n, problems = check_all(signer, keys)
        for p in problems:
            print("PROBLEM:", p, file=sys.stderr)
        sj = load(SJ_PATH)
        att = load(ATTACKS_PATH)
        print("checked %d signatures; %d simplejwt vectors, %d attack vectors; %d problems"
              % (n, len(sj["vectors"]), len(att["vectors"]), len(problems)))
        return 1 if problems else 0
    except VectorError as e:
        print("FAILED:", e, file=sys.stderr)
        return 2
    finally:
        ossl.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
