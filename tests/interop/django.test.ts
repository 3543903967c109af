/**
 * Both directions against a real Django 3.2 + DRF 3.14 + simplejwt 5.2 (Debian's packages, installed by
 * .ci/run): hashes Django makes verify here and the reverse, simplejwt's tokens authenticate here and
 * portcullis's validate in simplejwt, and CSRF cookie/token pairs pass either side's check.
 * Run with `npm run test:interop`.
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CsrfPolicy,
  hashPassword,
  JWTAuthentication,
  JWTService,
  MemoryRevocationStore,
  MemoryUserStore,
  verifyPassword,
} from "../../src/index.js";
import { CSRF_REASONS, maskCsrfSecret, newCsrfSecret } from "../../src/sessions/index.js";
import { makeRequest } from "../../src/testing/index.js";
import { django, SECRET } from "./django.js";

const PASSWORDS = ["correct horse battery staple", "pässwörd ünïcode ☃", "x"];

describe("password hashes, Django → portcullis", () => {
  const ops = PASSWORDS.flatMap((password) =>
    ["pbkdf2_sha256", "pbkdf2_sha1", "argon2"].map((hasher) => ({ op: "hash", password, hasher })),
  );
  const hashes = django({ ops }).map((r) => r.encoded as string);

  it.each(hashes.map((encoded, i) => [encoded.split("$")[0], ops[i]!.password as string, encoded]))(
    "%s of %j verifies, and a wrong password does not",
    async (_hasher, password, encoded) => {
      expect((await verifyPassword(password, encoded)).valid).toBe(true);
      expect((await verifyPassword(`${password}!`, encoded)).valid).toBe(false);
    },
  );
});

describe("password hashes, portcullis → Django", () => {
  it.each([
    ["pbkdf2_sha256", { algorithm: "pbkdf2_sha256" as const }],
    ["argon2", { algorithm: "argon2" as const }],
  ])("%s hashes check in Django, and a wrong password does not", async (_name, options) => {
    const encoded = await Promise.all(PASSWORDS.map((password) => hashPassword(password, options)));
    const results = django({
      ops: PASSWORDS.flatMap((password, i) => [
        { op: "check", password, encoded: encoded[i] },
        { op: "check", password: `${password}!`, encoded: encoded[i] },
      ]),
    });
    expect(results.map((r) => r.valid)).toEqual(PASSWORDS.flatMap(() => [true, false]));
    // Django 3.2 upgrades any hash whose parameters differ from its own (`!=`), so portcullis's
    // stronger defaults read as "must update" there; the hash still checks.
    expect(results.filter((_, i) => i % 2 === 0).map((r) => r.must_update)).toEqual(
      PASSWORDS.map(() => true),
    );
  });
});

function users(): MemoryUserStore<{ id: string; username: string }> {
  const store = new MemoryUserStore<{ id: string; username: string }>();
  store.add({
    id: "1",
    username: "alice",
    passwordHash: null,
    isActive: true,
    user: { id: "1", username: "alice" },
  });
  return store;
}

function bearer(token: string) {
  return makeRequest({ url: "http://testserver/api/", headers: { authorization: `Bearer ${token}` } });
}

describe("JWT, simplejwt → portcullis", () => {
  const [pair, sliding] = django({
    ops: [
      { op: "mint", kind: "pair" },
      { op: "mint", kind: "sliding" },
    ],
  }) as [Record<string, string>, Record<string, string>];

  it("simplejwt's access token authenticates its user through JWTAuthentication", async () => {
    const store = users();
    const jwt = new JWTService({ signingKey: SECRET, users: store });
    const result = await new JWTAuthentication({ jwt }).authenticate(bearer(pair.access!));
    expect(result?.user).toEqual({ id: "1", username: "alice" });
    expect(result?.auth).toMatchObject({ token_type: "access", user_id: 1 });
  });

  it("simplejwt's refresh token refreshes, rotates, and its replay is refused", async () => {
    const store = users();
    const jwt = new JWTService({
      signingKey: SECRET,
      users: store,
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
      revocations: new MemoryRevocationStore(),
    });
    const refreshed = await jwt.refresh(pair.refresh!);
    expect((await jwt.validate(refreshed.access, "access")).user_id).toBe(1);
    expect(typeof refreshed.refresh).toBe("string");
    await expect(jwt.refresh(pair.refresh!)).rejects.toMatchObject({ message: "Token is blacklisted" });
  });

  it("simplejwt's sliding token validates as a sliding token and refreshes", async () => {
    const jwt = new JWTService({ signingKey: SECRET, users: users() });
    expect(await jwt.validate(sliding.sliding!, "sliding")).toMatchObject({
      token_type: "sliding",
      user_id: 1,
    });
    const renewed = await jwt.refreshSliding(sliding.sliding!);
    expect((await jwt.validate(renewed, "sliding")).user_id).toBe(1);
  });

  it("a token signed with another secret is refused", async () => {
    const jwt = new JWTService({ signingKey: `${SECRET}-other` });
    await expect(jwt.validate(pair.access!, "access")).rejects.toMatchObject({ message: "Token is invalid" });
  });
});

describe("JWT, portcullis → simplejwt", () => {
  it("the pair, a rotated pair and a sliding token validate in simplejwt as their classes", async () => {
    const jwt = new JWTService({ signingKey: SECRET, rotateRefreshTokens: true });
    const pair = await jwt.obtainPair({ id: "1" });
    const rotated = await jwt.refresh(pair.refresh);
    const sliding = await jwt.obtainSliding({ id: "1" });
    const results = django({
      ops: [
        { op: "validate", kind: "access", token: pair.access },
        { op: "validate", kind: "refresh", token: pair.refresh },
        { op: "validate", kind: "access", token: rotated.access },
        { op: "validate", kind: "refresh", token: rotated.refresh },
        { op: "validate", kind: "sliding", token: sliding },
        // The wrong class: simplejwt's own refusal.
        { op: "validate", kind: "access", token: pair.refresh },
      ],
    });
    for (const result of results.slice(0, 5))
      expect(result).toMatchObject({ valid: true, claims: { user_id: "1" } });
    expect(results[5]).toEqual({ valid: false, message: "Token has wrong type" });
  });

  it("simplejwt refuses a portcullis token signed with another secret", async () => {
    const jwt = new JWTService({ signingKey: `${SECRET}-other` });
    const { access } = await jwt.obtainPair({ id: "1" });
    expect(django({ ops: [{ op: "validate", kind: "access", token: access }] })[0]).toEqual({
      valid: false,
      message: "Token is invalid or expired",
    });
  });
});

function csrfRequest(headers: Record<string, string>, secure = false) {
  return makeRequest({ method: "POST", url: `${secure ? "https" : "http"}://testserver/api/`, headers });
}

describe("CSRF, Django → portcullis", () => {
  const policy = new CsrfPolicy({}, { secure: false });
  const [grant] = django({ ops: [{ op: "csrf_get" }] }) as [{ cookie: string; token: string }];

  it("Django's cookie and masked token pass portcullis's check", () => {
    const request = csrfRequest({ cookie: `csrftoken=${grant.cookie}`, "x-csrftoken": grant.token });
    expect(policy.check(request)).toBeNull();
  });

  it("Django's token against another cookie fails in both", () => {
    const other = maskCsrfSecret(newCsrfSecret());
    const request = csrfRequest({ cookie: `csrftoken=${other}`, "x-csrftoken": grant.token });
    expect(policy.check(request)).toBe(CSRF_REASONS.badToken("incorrect", "X-CSRFToken"));
    const [django32] = django({ ops: [{ op: "csrf_check", cookie: other, header_token: grant.token }] });
    expect(django32).toEqual({ passed: false, reason: "CSRF token missing or incorrect." });
  });
});

describe("CSRF, portcullis → Django", () => {
  it.each([
    ["an unmasked secret cookie and a masked header token", (s: string) => [s, maskCsrfSecret(s)]],
    ["a masked cookie and a masked header token", (s: string) => [maskCsrfSecret(s), maskCsrfSecret(s)]],
  ])("%s pass Django's middleware", (_name, pairOf) => {
    const [cookie, token] = pairOf(newCsrfSecret()) as [string, string];
    const policy = new CsrfPolicy({}, { secure: false });
    expect(policy.check(csrfRequest({ cookie: `csrftoken=${cookie}`, "x-csrftoken": token }))).toBeNull();
    expect(django({ ops: [{ op: "csrf_check", cookie, header_token: token }] })[0]).toEqual({
      passed: true,
      reason: null,
    });
  });

  it.each([
    // Django 3.2 raises on "https://[" (a 500); 4.x answers "Referer is malformed." as portcullis does.
    ["a malformed Referer", "https://"],
    ["a foreign Referer", "https://evil.example/page"],
    ["an insecure Referer", "http://testserver/page"],
  ])("%s on HTTPS is refused with Django's reason on both sides", (_name, referer) => {
    const secret = newCsrfSecret();
    const token = maskCsrfSecret(secret);
    const policy = new CsrfPolicy({}, { secure: true });
    const ours = policy.check(
      csrfRequest({ cookie: `csrftoken=${secret}`, "x-csrftoken": token, referer }, true),
    );
    const [theirs] = django({
      ops: [{ op: "csrf_check", cookie: secret, header_token: token, referer, secure: true }],
    });
    expect(theirs).toMatchObject({ passed: false });
    expect(ours).toBe((theirs as { reason: string }).reason);
  });
});

describe("JWT settings users carry over from simplejwt", () => {
  it("AUTH_TOKEN_CLASSES with SlidingToken: simplejwt's sliding token authenticates, its access token not", async () => {
    const [pair, sliding] = django({
      simpleJwt: { AUTH_TOKEN_CLASSES: ["rest_framework_simplejwt.tokens.SlidingToken"] },
      ops: [
        { op: "mint", kind: "pair" },
        { op: "mint", kind: "sliding" },
      ],
    }) as [Record<string, string>, Record<string, string>];
    const store = users();
    const jwt = new JWTService({ signingKey: SECRET, users: store, authTokenTypes: ["sliding"] });
    const scheme = new JWTAuthentication({ jwt });
    expect((await scheme.authenticate(bearer(sliding.sliding!)))?.user).toEqual({
      id: "1",
      username: "alice",
    });
    await expect(scheme.authenticate(bearer(pair.access!))).rejects.toMatchObject({
      detail: "Given token not valid for any token type",
      code: "token_not_valid",
    });
  });

  it("custom claims: simplejwt's reach `auth`, and the claims hook's reach simplejwt through rotation", async () => {
    const [pair] = django({ ops: [{ op: "mint", kind: "pair", claims: { role: "admin", tenant: 7 } }] }) as [
      Record<string, string>,
    ];
    const store = users();
    const jwt = new JWTService({
      signingKey: SECRET,
      users: store,
      rotateRefreshTokens: true,
      claims: () => ({ role: "editor", tenant: 9 }),
    });
    const theirs = await new JWTAuthentication({ jwt }).authenticate(bearer(pair.access!));
    expect(theirs?.auth).toMatchObject({ role: "admin", tenant: 7 });

    const ours = await jwt.obtainPair({ id: "1" });
    const rotated = await jwt.refresh(ours.refresh);
    const results = django({
      ops: [
        { op: "validate", kind: "access", token: ours.access },
        { op: "validate", kind: "refresh", token: rotated.refresh },
        { op: "validate", kind: "access", token: rotated.access },
      ],
    });
    for (const result of results) {
      expect(result).toMatchObject({ valid: true, claims: { role: "editor", tenant: 9, user_id: "1" } });
    }
  });

  it.each([
    ["RS256 with a PKCS#1 key", "RS256", () => pems("rsa", { modulusLength: 2048 }, "pkcs1")],
    ["ES256 with a SEC1 key", "ES256", () => pems("ec", { namedCurve: "P-256" }, "sec1")],
  ] as const)("%s: both sides sign and verify with the same PEM files", async (_name, algorithm, keys) => {
    const { privateKey, publicKey } = keys();
    const simpleJwt = { ALGORITHM: algorithm, SIGNING_KEY: privateKey, VERIFYING_KEY: publicKey };
    const [pair] = django({ simpleJwt, ops: [{ op: "mint", kind: "pair" }] }) as [Record<string, string>];
    const jwt = new JWTService({ algorithm, signingKey: privateKey, verifyingKey: publicKey });
    expect(await jwt.validate(pair.access!, "access")).toMatchObject({ user_id: 1 });
    const ours = await jwt.obtainPair({ id: "1" });
    expect(
      django({ simpleJwt, ops: [{ op: "validate", kind: "access", token: ours.access }] })[0],
    ).toMatchObject({
      valid: true,
      claims: { user_id: "1" },
    });
  });

  it("a kid in the header with one configured key is ignored, as PyJWT does", async () => {
    const [pair] = django({ ops: [{ op: "mint", kind: "pair" }], simpleJwt: {} }) as [Record<string, string>];
    const jwt = new JWTService({ signingKey: SECRET, keyId: "k1" });
    const ours = await jwt.obtainPair({ id: "1" });
    expect(JSON.parse(Buffer.from(ours.access.split(".")[0]!, "base64url").toString())).toMatchObject({
      kid: "k1",
    });
    // simplejwt (one key, no JWK set) accepts our kid'ed token; we accept its kid-less one with a keyId.
    expect(django({ ops: [{ op: "validate", kind: "access", token: ours.access }] })[0]).toMatchObject({
      valid: true,
    });
    const single = new JWTService({ signingKey: SECRET });
    expect(await single.validate(ours.access, "access")).toMatchObject({ user_id: "1" });
    expect(await jwt.validate(pair.access!, "access")).toMatchObject({ user_id: 1 });
  });
});

function pems(
  type: "rsa" | "ec",
  options: { modulusLength?: number; namedCurve?: string },
  privateType: "pkcs1" | "sec1",
): { privateKey: string; publicKey: string } {
  return generateKeyPairSync(type as "rsa", {
    ...(options as { modulusLength: number }),
    privateKeyEncoding: { type: privateType as "pkcs1", format: "pem" },
    publicKeyEncoding: { type: type === "rsa" ? "pkcs1" : "spki", format: "pem" },
  });
}
