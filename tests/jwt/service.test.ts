import { createHmac } from "node:crypto";
import { exportPKCS8, exportSPKI, generateKeyPair } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { JWTService } from "../../src/jwt/service.js";
import { MemoryRevocationStore, MemoryUserStore } from "../../src/stores/memory.js";
import { refused } from "./refused.js";
import { tampered } from "./tamper.js";

const SECRET = "a-test-secret-that-is-at-least-32-bytes-long";
const T0 = 1_800_000_000;
const b64 = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
const decode = (token: string) =>
  token
    .split(".")
    .slice(0, 2)
    .map((part) => JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>);

afterEach(() => vi.useRealTimers());

describe("JWTService: issuing as simplejwt does", () => {
  it("writes simplejwt's header and claims, in order, with integer seconds and a string user_id", async () => {
    vi.useFakeTimers({ now: T0 * 1000 + 567 });
    const jwt = new JWTService({ signingKey: SECRET });
    const { access, refresh } = await jwt.obtainPair({ id: "42" });
    const [accessHeader, accessClaims] = decode(access);
    const [, refreshClaims] = decode(refresh);
    expect(accessHeader).toEqual({ alg: "HS256", typ: "JWT" });
    expect(Object.keys(accessClaims!)).toEqual(["token_type", "exp", "iat", "jti", "user_id"]);
    expect(accessClaims).toMatchObject({ token_type: "access", exp: T0 + 300, iat: T0, user_id: "42" });
    expect(refreshClaims).toMatchObject({ token_type: "refresh", exp: T0 + 86_400, iat: T0, user_id: "42" });
    expect(accessClaims!.jti).toMatch(/^[0-9a-f]{32}$/);
    expect(accessClaims!.jti).not.toBe(refreshClaims!.jti);
    expect(Object.keys(refreshClaims!)).not.toContain("family_id");
  });

  it("takes lifetimes, audience, issuer and claim names from the settings", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const jwt = new JWTService({
      signingKey: SECRET,
      accessTokenLifetime: "10m",
      refreshTokenLifetime: 3600,
      audience: "api",
      issuer: "https://auth.example",
      userIdClaim: "uid",
      keyId: "k1",
    });
    const { access } = await jwt.obtainPair({ id: "7" });
    const [header, claims] = decode(access);
    expect(header).toEqual({ alg: "HS256", kid: "k1", typ: "JWT" });
    expect(claims).toMatchObject({ exp: T0 + 600, uid: "7", aud: "api", iss: "https://auth.example" });
    expect(await jwt.validate(access, "access")).toMatchObject({ uid: "7" });
  });

  it("refuses bad settings at construction", () => {
    expect(() => new JWTService({ signingKey: "" })).toThrow(/signingKey/);
    expect(() => new JWTService({ signingKey: "short" })).toThrow(
      "JWTService: an HS256 key needs at least 32 bytes (got 5).",
    );
    expect(() => new JWTService({ signingKey: "x".repeat(40), algorithm: "HS512" })).toThrow(
      /at least 64 bytes/,
    );
    expect(() => new JWTService({ signingKey: SECRET, blacklistAfterRotation: true })).toThrow(/revocations/);
    expect(() => new JWTService({ signingKey: SECRET, checkRevokedAccess: true })).toThrow(/revocations/);
    expect(() => new JWTService({ signingKey: SECRET, algorithm: "none" as never })).toThrow(
      /Unrecognized algorithm/,
    );
  });
});

describe("JWTService: validation messages (simplejwt's order)", () => {
  it("answers Token is expired at exp == now, not a second before", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const jwt = new JWTService({ signingKey: SECRET });
    const { access } = await jwt.obtainPair({ id: "1" });
    vi.setSystemTime((T0 + 299) * 1000);
    await expect(jwt.validate(access, "access")).resolves.toBeDefined();
    vi.setSystemTime((T0 + 300) * 1000);
    await refused(jwt.validate(access, "access"), "Token is expired");
  });

  it("honours leeway", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const jwt = new JWTService({ signingKey: SECRET, leeway: 30 });
    const { access } = await jwt.obtainPair({ id: "1" });
    vi.setSystemTime((T0 + 329) * 1000);
    await expect(jwt.validate(access, "access")).resolves.toBeDefined();
    vi.setSystemTime((T0 + 330) * 1000);
    await refused(jwt.validate(access, "access"), "Token is expired");
  });

  it("answers Token has wrong type and Token is invalid", async () => {
    const jwt = new JWTService({ signingKey: SECRET });
    const { access, refresh } = await jwt.obtainPair({ id: "1" });
    await refused(jwt.validate(access, "refresh"), "Token has wrong type");
    await refused(jwt.validate(refresh, "access"), "Token has wrong type");
    await refused(jwt.validate(`${access}x`, "access"), "Token is invalid");
    const other = new JWTService({ signingKey: `${SECRET}-other` });
    await refused(other.validate(access, "access"), "Token is invalid");
  });

  it.each([
    ["Token has no type", { exp: T0 + 60, jti: "a".repeat(32), user_id: "1" }, "access"],
    ["Token has no id", { token_type: "access", exp: T0 + 60, user_id: "1" }, "access"],
    ["Token has no 'exp' claim", { token_type: "access", jti: "a".repeat(32), user_id: "1" }, "access"],
    ["Token is invalid", { token_type: "access", exp: String(T0 + 60), jti: "a", user_id: "1" }, "access"],
    [
      "Token is invalid",
      { token_type: "access", exp: T0 + 60, nbf: T0 + 10, jti: "a", user_id: "1" },
      "access",
    ],
  ])("answers %s", async (detail, claims, type) => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const jwt = new JWTService({ signingKey: SECRET });
    const { CompactSign } = await import("jose");
    const key = new TextEncoder().encode(SECRET);
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .sign(key);
    await refused(jwt.validate(token, type as "access"), detail);
  });
});

describe("JWTService: hostile tokens", () => {
  const jwt = new JWTService({ signingKey: SECRET });

  async function forge(header: Record<string, unknown> | string, payload: Record<string, unknown> | string) {
    const h = typeof header === "string" ? btoa(header).replace(/=+$/, "") : b64(header);
    const p = typeof payload === "string" ? btoa(payload).replace(/=+$/, "") : b64(payload);
    const data = new TextEncoder().encode(`${h}.${p}`);
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(SECRET),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const sig = new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
    return `${h}.${p}.${btoa(String.fromCharCode(...sig))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_")}`;
  }
  const claims = () => ({
    token_type: "access",
    exp: Math.floor(Date.now() / 1000) + 60,
    jti: "a".repeat(32),
    user_id: "1",
  });

  it("accepts a well-formed forged-with-the-right-key token (the control)", async () => {
    await expect(
      jwt.validate(await forge({ alg: "HS256", typ: "JWT" }, claims()), "access"),
    ).resolves.toBeDefined();
  });

  it.each([["none"], ["None"], ["NONE"], ["nOnE"]])("refuses alg %s, signed or not", async (alg) => {
    const token = await forge({ alg, typ: "JWT" }, claims());
    await refused(jwt.validate(token, "access"), "Token is invalid");
    await refused(jwt.validate(`${token.split(".").slice(0, 2).join(".")}.`, "access"), "Token is invalid");
  });

  it.each([
    ["a crit header", { alg: "HS256", crit: ["exp"], exp: 1 }],
    ["a kid that is not a string", { alg: "HS256", kid: ["../../etc/passwd"] }],
    ["b64 false", { alg: "HS256", b64: false, crit: ["b64"] }],
    ["another algorithm", { alg: "HS512" }],
  ])("refuses %s", async (_name, header) => {
    await refused(jwt.validate(await forge(header, claims()), "access"), "Token is invalid");
  });

  it("ignores an embedded jwk: the configured key decides", async () => {
    const token = await forge(
      { alg: "HS256", jwk: { kty: "oct", k: "AAAA" }, jku: "http://127.0.0.1:1/keys" },
      claims(),
    );
    await expect(jwt.validate(token, "access")).resolves.toBeDefined();
  });

  it.each([
    ["duplicate header keys", '{"alg":"none","alg":"HS256"}', null],
    ["a header array", '["HS256"]', null],
    [
      "duplicate claim keys",
      null,
      '{"token_type":"access","exp":1,"exp":9999999999,"jti":"a","user_id":"1"}',
    ],
    ["a payload string", null, '"hello"'],
    ["deep nesting", null, `{"token_type":"access","x":${"[".repeat(40)}${"]".repeat(40)}}`],
  ])("refuses %s", async (_name, header, payload) => {
    const token = await forge(header ?? { alg: "HS256" }, payload ?? claims());
    await refused(jwt.validate(token, "access"), "Token is invalid");
  });

  it("refuses tokens over 8 KiB before parsing, and other serializations", async () => {
    const big = await forge({ alg: "HS256" }, { ...claims(), pad: "x".repeat(9000) });
    await refused(jwt.validate(big, "access"), "Token is invalid");
    const token = await forge({ alg: "HS256" }, claims());
    await refused(jwt.validate(`${token}.x.y`, "access"), "Token is invalid");
    await refused(jwt.validate(` ${token}`, "access"), "Token is invalid");
    await refused(
      jwt.validate(JSON.stringify({ payload: "x", signature: "y" }), "access"),
      "Token is invalid",
    );
  });

  it("refuses a non-canonical base64url signature (same bytes, another token)", async () => {
    const token = await forge({ alg: "HS256" }, claims());
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const twin = `${token.slice(0, -1)}${alphabet[alphabet.indexOf(token.at(-1)!) | 1]}`; // a spare bit set
    expect(twin).not.toBe(token);
    await refused(jwt.validate(twin, "access"), "Token is invalid");
    await refused(
      new JWTService({ signingKey: SECRET, useNodeCrypto: false }).validate(twin, "access"),
      "Token is invalid",
    );
  });

  it("keeps __proto__ and constructor as plain claims", async () => {
    const token = await forge(
      { alg: "HS256" },
      '{"token_type":"access","exp":9999999999,"jti":"a","user_id":"1","__proto__":{"admin":true},"constructor":1}',
    );
    const validated = await jwt.validate(token, "access");
    expect(Object.hasOwn(validated, "__proto__")).toBe(true);
    expect((validated as { admin?: unknown }).admin).toBeUndefined();
    expect(({} as { admin?: unknown }).admin).toBeUndefined();
    expect(validated.constructor).toBe(1);
  });

  it("reads escaped member names as Python's json.dumps writes them, on every runtime", async () => {
    const start = '{"token_type":"access","exp":9999999999,"jti":"a","user_id":"1",';
    // Deno 2.9's JSON.parse read the last name "\u00e9" as "\\" after a token with a "\\" claim there.
    const backslash = await jwt.validate(await forge({ alg: "HS256" }, `${start}"\\\\":1}`), "access");
    expect(backslash["\\"]).toBe(1);
    const token = await forge('{"\\u0061lg":"HS256","typ":"JWT"}', `${start}"\\u00e9":"x"}`);
    for (let i = 0; i < 3; i++) {
      const validated = await jwt.validate(token, "access");
      expect(validated).toMatchObject({ user_id: "1", é: "x" });
      expect(Object.hasOwn(validated, "\\")).toBe(false);
    }
  });
});

describe("JWTService: refresh, rotation, reuse detection, blacklist", () => {
  it("refreshes without rotation: a new access token, the same refresh token still works", async () => {
    const jwt = new JWTService({ signingKey: SECRET });
    const { refresh } = await jwt.obtainPair({ id: "1" });
    const first = await jwt.refresh(refresh);
    expect(Object.keys(first)).toEqual(["access"]);
    expect(decode(first.access)[1]).toMatchObject({ token_type: "access", user_id: "1" });
    await expect(jwt.refresh(refresh)).resolves.toHaveProperty("access");
  });

  it("rotates, blacklists the old token, and revokes the family when a rotated token comes back", async () => {
    const revocations = new MemoryRevocationStore();
    const jwt = new JWTService({
      signingKey: SECRET,
      revocations,
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
    });
    const { refresh: r1 } = await jwt.obtainPair({ id: "1" });
    const family = decode(r1)[1]!.family_id;
    expect(family).toMatch(/^[0-9a-f]{32}$/);
    const { refresh: r2 } = await jwt.refresh(r1);
    expect(r2).toBeDefined();
    expect(decode(r2!)[1]!.family_id).toBe(family);
    const { access } = await jwt.refresh(r2!).then((r) => ({ access: r.access }));
    expect(decode(access)[1]).not.toHaveProperty("family_id");
    await refused(jwt.refresh(r1), "Token is blacklisted");
  });

  it("detects reuse without blacklistAfterRotation and kills the whole family", async () => {
    const revocations = new MemoryRevocationStore();
    const jwt = new JWTService({ signingKey: SECRET, revocations, rotateRefreshTokens: true });
    const { refresh: r1 } = await jwt.obtainPair({ id: "1" });
    const { refresh: r2 } = await jwt.refresh(r1);
    // Past the reuse grace window (5 s by default): a replay, not a duplicate of the rotation.
    vi.useFakeTimers({ now: Date.now() + 5_001, toFake: ["Date"] });
    await refused(jwt.refresh(r1), "Token is blacklisted"); // the thief, or the victim: either way
    await refused(jwt.refresh(r2!), "Token is blacklisted"); // the whole lineage is gone
  });

  it("lets exactly one of 50 concurrent refreshes of one token succeed", async () => {
    const revocations = new MemoryRevocationStore();
    const jwt = new JWTService({ signingKey: SECRET, revocations, rotateRefreshTokens: true });
    const { refresh } = await jwt.obtainPair({ id: "1" });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => jwt.refresh(refresh)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("blacklists a refresh token and verifies like simplejwt", async () => {
    const revocations = new MemoryRevocationStore();
    const jwt = new JWTService({ signingKey: SECRET, revocations });
    const { access, refresh } = await jwt.obtainPair({ id: "1" });
    await expect(jwt.verify(access)).resolves.toMatchObject({ token_type: "access" });
    await expect(jwt.verify(refresh)).resolves.toMatchObject({ token_type: "refresh" });
    await jwt.blacklist(refresh);
    await refused(jwt.refresh(refresh), "Token is blacklisted");
    await refused(jwt.blacklist(refresh), "Token is blacklisted");
    await refused(jwt.verify(refresh), "Token is blacklisted");
    await expect(new JWTService({ signingKey: SECRET }).blacklist(refresh)).rejects.toThrow(TypeError);
  });

  it("refuses a refresh for a missing or inactive user", async () => {
    const users = new MemoryUserStore();
    const ada = await users.create({ username: "ada", passwordHash: null });
    const jwt = new JWTService({ signingKey: SECRET, users });
    const { refresh } = await jwt.obtainPair(ada);
    await expect(jwt.refresh(refresh)).resolves.toHaveProperty("access");
    const { refresh: orphan } = await jwt.obtainPair({ id: "404" });
    await expect(jwt.refresh(orphan)).rejects.toMatchObject({
      status: 401,
      code: "no_active_account",
      detail: "No active account found for the given token.",
    });
  });
});

describe("JWTService: sliding tokens", () => {
  it("issues and refreshes until refresh_exp", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const jwt = new JWTService({
      signingKey: SECRET,
      slidingTokenLifetime: 300,
      slidingTokenRefreshLifetime: 600,
    });
    const token = await jwt.obtainSliding({ id: "1" });
    expect(decode(token)[1]).toMatchObject({
      token_type: "sliding",
      exp: T0 + 300,
      iat: T0,
      refresh_exp: T0 + 600,
    });
    vi.setSystemTime((T0 + 200) * 1000);
    const next = await jwt.refreshSliding(token);
    expect(decode(next)[1]).toMatchObject({
      exp: T0 + 500,
      iat: T0 + 200,
      refresh_exp: T0 + 600,
      jti: decode(token)[1]!.jti,
    });
    vi.setSystemTime((T0 + 450) * 1000);
    const last = await jwt.refreshSliding(next);
    vi.setSystemTime((T0 + 600) * 1000);
    await refused(jwt.refreshSliding(last), "Token 'refresh_exp' claim has expired");
    await refused(jwt.validate(token, "access"), "Token is expired");
  });
});

describe("JWTService: asymmetric algorithms and key rotation", () => {
  it.each([["RS256"], ["PS256"], ["ES256"], ["ES384"], ["EdDSA"]] as const)(
    "signs and verifies %s, and publishes the key",
    async (alg) => {
      const { privateKey } = await generateKeyPair(alg, { extractable: true });
      const jwt = new JWTService({
        algorithm: alg,
        signingKey: await exportPKCS8(privateKey),
        keyId: "main",
      });
      const { access } = await jwt.obtainPair({ id: "1" });
      expect(decode(access)[0]).toEqual({ alg, kid: "main", typ: "JWT" });
      await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: "1" });
      const { keys } = await jwt.jwks();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ alg, kid: "main", use: "sig" });
      expect(keys[0]).not.toHaveProperty("d");
    },
  );

  it("verifies tokens of a retired key selected by kid, and never with another algorithm", async () => {
    const old = await generateKeyPair("RS256", { extractable: true });
    const current = await generateKeyPair("RS256", { extractable: true });
    const before = new JWTService({
      algorithm: "RS256",
      signingKey: await exportPKCS8(old.privateKey),
      keyId: "2025",
    });
    const { access } = await before.obtainPair({ id: "1" });
    const after = new JWTService({
      algorithm: "RS256",
      signingKey: await exportPKCS8(current.privateKey),
      keyId: "2026",
      verifyingKeys: [{ kid: "2025", key: await exportSPKI(old.publicKey) }],
    });
    await expect(after.validate(access, "access")).resolves.toMatchObject({ user_id: "1" });
    expect((await after.jwks()).keys.map((k) => (k as { kid: string }).kid)).toEqual(["2026", "2025"]);
    // Algorithm confusion: HS256 signed with the public key's PEM as the secret (a JWTService refuses such
    // a secret, so the attacker's token is made by hand).
    const pem = await exportSPKI(current.publicKey);
    expect(() => new JWTService({ signingKey: pem })).toThrow(/cannot be a PEM key/);
    const head = Buffer.from('{"alg":"HS256","typ":"JWT","kid":"2026"}').toString("base64url");
    const body = access.split(".")[1]!;
    const mac = createHmac("sha256", pem).update(`${head}.${body}`).digest("base64url");
    await refused(after.validate(`${head}.${body}.${mac}`, "access"), "Token is invalid");
  });
});

describe("JWTService: the user at refresh", () => {
  it("refuses and blacklists a refresh token from before a password change (checkRevokeToken)", async () => {
    const users = new MemoryUserStore();
    const ada = await users.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$a$b" });
    const revocations = new MemoryRevocationStore();
    const jwt = new JWTService({ signingKey: SECRET, users, revocations, checkRevokeToken: true });
    const { refresh } = await jwt.obtainPair(ada);
    const sliding = await jwt.obtainSliding(ada);
    await expect(jwt.refresh(refresh)).resolves.toHaveProperty("access");
    await users.setPasswordHash(ada.id, "pbkdf2_sha256$1$a$c");
    await expect(jwt.refresh(refresh)).rejects.toMatchObject({
      code: "password_changed",
      detail: "The user's password has been changed.",
    });
    await refused(jwt.refresh(refresh), "Token is blacklisted");
    await expect(jwt.refreshSliding(sliding)).rejects.toMatchObject({ code: "password_changed" });
  });

  it("refuses to refresh a sliding token of an inactive user", async () => {
    const users = new MemoryUserStore();
    const bob = await users.create({ username: "bob", passwordHash: null, isActive: false });
    const jwt = new JWTService({ signingKey: SECRET, users });
    await expect(jwt.refreshSliding(await jwt.obtainSliding(bob))).rejects.toMatchObject({
      code: "no_active_account",
    });
  });
});

describe("JWTService: reuse of a rotated token that was also blacklisted", () => {
  it("revokes the family, not only refuses the token", async () => {
    const revocations = new MemoryRevocationStore();
    const jwt = new JWTService({
      signingKey: SECRET,
      revocations,
      rotateRefreshTokens: true,
      blacklistAfterRotation: true,
      reuseGraceSeconds: 0, // strict RFC 9700: any second use is reuse
    });
    const { refresh: r1 } = await jwt.obtainPair({ id: "1" });
    const { refresh: r2 } = await jwt.refresh(r1);
    await refused(jwt.refresh(r1), "Token is blacklisted");
    await refused(jwt.refresh(r2!), "Token is blacklisted");
  });
});

describe("JWTService: the verified-token cache (opt-in)", () => {
  it("skips the signature on a hit, and still consults revocations, type and expiry", async () => {
    vi.useFakeTimers({ now: T0 * 1000 });
    const revocations = new MemoryRevocationStore();
    const jwt = new JWTService({
      signingKey: SECRET,
      revocations,
      checkRevokedAccess: true,
      verifiedTokenCache: 2,
      useNodeCrypto: false,
    });
    const { access } = await jwt.obtainPair({ id: "1" });
    const verify = vi.spyOn(crypto.subtle, "verify");
    await jwt.validate(access, "access");
    await jwt.validate(access, "access");
    expect(verify).toHaveBeenCalledTimes(1);
    await refused(jwt.validate(access, "refresh"), "Token has wrong type");
    const claims = await jwt.validate(access, "access");
    claims.user_id = "2"; // a hit hands out a copy
    expect((await jwt.validate(access, "access")).user_id).toBe("1");
    await revocations.revoke(claims.jti as string, new Date((T0 + 300) * 1000));
    await refused(jwt.validate(access, "access"), "Token is blacklisted");
    vi.setSystemTime((T0 + 300) * 1000);
    const other = (await jwt.obtainPair({ id: "3" })).access;
    await jwt.validate(other, "access");
    await refused(jwt.validate(access, "access"), "Token is expired");
    verify.mockRestore();
  });

  it("is bounded and keyed by the whole token", async () => {
    const jwt = new JWTService({ signingKey: SECRET, verifiedTokenCache: 2, useNodeCrypto: false });
    const tokens = await Promise.all(
      [1, 2, 3].map(async (id) => (await jwt.obtainPair({ id: String(id) })).access),
    );
    const verify = vi.spyOn(crypto.subtle, "verify");
    for (const token of tokens) await jwt.validate(token, "access"); // 3 misses; the first is evicted
    await jwt.validate(tokens[2]!, "access"); // hit
    await jwt.validate(tokens[0]!, "access"); // miss
    expect(verify).toHaveBeenCalledTimes(4);
    const forged = tampered(tokens[1]!);
    await refused(jwt.validate(forged, "access"), "Token is invalid");
    verify.mockRestore();
    expect(() => new JWTService({ signingKey: SECRET, verifiedTokenCache: -1 })).toThrow(RangeError);
  });
});

describe("JWTService: verifying keys from a JWK Set URL (jwkUrl)", () => {
  it("fetches the set once, selects by kid, and never trusts a key in the token", async () => {
    const { createServer } = await import("node:http");
    const { exportJWK } = await import("jose");
    const issuer = await generateKeyPair("ES256", { extractable: true });
    const jwk = { ...(await exportJWK(issuer.publicKey)), kid: "idp-1", alg: "ES256", use: "sig" };
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as { port: number };
      const signer = new JWTService({
        algorithm: "ES256",
        signingKey: await exportPKCS8(issuer.privateKey),
        keyId: "idp-1",
      });
      const { access } = await signer.obtainPair({ id: "1" });
      const local = await generateKeyPair("ES256", { extractable: true });
      const jwt = new JWTService({
        algorithm: "ES256",
        signingKey: await exportPKCS8(local.privateKey),
        keyId: "local",
        jwkUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      });
      await expect(jwt.validate(access, "access")).resolves.toMatchObject({ user_id: "1" });
      await expect(jwt.validate(access, "access")).resolves.toBeDefined();
      expect(hits).toBe(1);
      const stranger = new JWTService({
        algorithm: "ES256",
        signingKey: await exportPKCS8(local.privateKey),
        keyId: "idp-2",
      });
      await refused(
        jwt.validate((await stranger.obtainPair({ id: "1" })).access, "access"),
        "Token is invalid",
      );
    } finally {
      server.close();
    }
  });
});

describe("JWTService: the header verdict cache", () => {
  const claims = () => ({
    token_type: "access",
    exp: Math.floor(Date.now() / 1000) + 60,
    jti: "a".repeat(32),
    user_id: "1",
  });
  const other = "another-test-secret-that-is-at-least-32-bytes";

  // HMAC over whatever header is given (jose refuses to sign a `crit` it does not know).
  async function sign(header: Record<string, unknown>, secret = SECRET) {
    const input = `${b64(header)}.${b64(claims())}`;
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(input)));
    return `${input}.${Buffer.from(mac).toString("base64url")}`;
  }

  it("keeps a verdict per key ring: one header segment, two services, each with its own key", async () => {
    const a = new JWTService({ signingKey: SECRET });
    const b = new JWTService({ signingKey: other });
    const header = { alg: "HS256", typ: "JWT" };
    const [forA, forB] = [await sign(header), await sign(header, other)];
    expect(forA.split(".")[0]).toBe(forB.split(".")[0]);
    for (let i = 0; i < 2; i++) {
      await expect(a.validate(forA, "access")).resolves.toBeDefined();
      await expect(b.validate(forB, "access")).resolves.toBeDefined();
      await refused(a.validate(forB, "access"), "Token is invalid");
      await refused(b.validate(forA, "access"), "Token is invalid");
    }
  });

  it("refuses a refused header again from the cache, and frozen headers cannot be changed", async () => {
    const jwt = new JWTService({ signingKey: SECRET });
    for (const header of [{ alg: "HS512" }, { alg: "HS256", crit: ["x"], x: 1 }, { alg: "HS256", kid: 7 }]) {
      const token = await sign(header);
      await refused(jwt.validate(token, "access"), "Token is invalid");
      await refused(jwt.validate(token, "access"), "Token is invalid");
    }
    const { verifyCompact } = await import("../../src/jwt/jws.js");
    const { KeyRing } = await import("../../src/jwt/keys.js");
    const ring = new KeyRing({ signingKey: SECRET });
    const token = await sign({ alg: "HS256" });
    await verifyCompact(token, ring);
    const verified = await verifyCompact(token, ring);
    expect(Object.isFrozen(verified?.header)).toBe(true);
    expect(() => {
      (verified!.header as Record<string, unknown>).alg = "none";
    }).toThrow(TypeError);
  });

  it("stays bounded: many distinct headers are all verified, evicted ones again when they return", async () => {
    const jwt = new JWTService({ signingKey: SECRET });
    const tokens = await Promise.all(Array.from({ length: 100 }, (_, n) => sign({ alg: "HS256", n })));
    for (const token of [...tokens, ...tokens.slice(0, 5)]) {
      await expect(jwt.validate(token, "access")).resolves.toBeDefined();
    }
    const { KeyRing } = await import("../../src/jwt/keys.js");
    const { verifyCompact } = await import("../../src/jwt/jws.js");
    const ring = new KeyRing({ signingKey: SECRET });
    for (const token of tokens) await verifyCompact(token, ring);
    expect(ring.headerVerdicts.size).toBeLessThanOrEqual(64);
  });

  it("selects a retired key by kid from the cache as at first", async () => {
    const jwt = new JWTService({
      signingKey: SECRET,
      keyId: "2026",
      verifyingKeys: [{ kid: "2025", key: other }],
    });
    for (let i = 0; i < 3; i++) {
      await expect(
        jwt.validate(await sign({ alg: "HS256", kid: "2025" }, other), "access"),
      ).resolves.toBeDefined();
      await expect(jwt.validate(await sign({ alg: "HS256", kid: "2026" }), "access")).resolves.toBeDefined();
      await refused(jwt.validate(await sign({ alg: "HS256", kid: "2025" }), "access"), "Token is invalid");
      await refused(
        jwt.validate(await sign({ alg: "HS256", kid: 2025 }, other), "access"),
        "Token is invalid",
      );
    }
  });
});
