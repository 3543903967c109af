/**
 * The verified-token cache on its own: a hit is exactly the token stored, bounded, least recently used
 * out first, and never past exp (plus leeway).
 */
import { describe, expect, it } from "vitest";
import { VerifiedTokenCache } from "../../src/jwt/cache.js";

// heldToken() of a bare token (no header keyword before it).
const has = (cache: VerifiedTokenCache, token: string) => cache.heldToken(token, 0) === token;
const claims = (exp: number, id = "1") => ({ token_type: "access", exp, jti: `j${id}`, user_id: id });

describe("VerifiedTokenCache", () => {
  it("answers a copy of the claims for exactly the token stored", () => {
    const cache = new VerifiedTokenCache(10, 0);
    const stored = claims(2000);
    cache.set("aaa.bbb.signature1", stored);
    stored.user_id = "changed";
    const hit = cache.get("aaa.bbb.signature1", 1000)!;
    expect(hit).toEqual(claims(2000));
    hit.user_id = "mutated";
    expect(cache.get("aaa.bbb.signature1", 1000)).toEqual(claims(2000));
    expect(cache.get("aaa.bbb.signature2", 1000)).toBeUndefined();
    expect(cache.get("aaa.bbb.signature", 1000)).toBeUndefined();
  });

  it("copies nested claims (objects, arrays) deeply: what one caller changes, no later hit sees", () => {
    const cache = new VerifiedTokenCache(10, 0);
    const stored = { ...claims(2000), perms: ["read"], meta: { role: "user", tags: ["a"] } };
    cache.set("aaa.bbb.nested1", stored);
    stored.perms.push("set-time");
    stored.meta.role = "set-time";
    const hit = cache.get("aaa.bbb.nested1", 1000) as typeof stored;
    hit.perms.push("admin");
    hit.meta.role = "admin";
    hit.meta.tags.push("b");
    expect(cache.get("aaa.bbb.nested1", 1000)).toEqual({
      ...claims(2000),
      perms: ["read"],
      meta: { role: "user", tags: ["a"] },
    });
  });

  it("never answers a token that only shares the characters the slot is read from", () => {
    const cache = new VerifiedTokenCache(10, 0);
    cache.set("header.payload-one.SAMEENDING", claims(2000, "1"));
    // Same last five characters, so the same slot: a different token, never a hit.
    expect(cache.get("header.payload-two.SAMEENDING", 1000)).toBeUndefined();
    expect(cache.get("forged.SAMEENDING", 1000)).toBeUndefined();
    expect(cache.get("header.payload-one.SAMEENDING", 1000)).toEqual(claims(2000, "1"));
    // A second verified token in the slot replaces the first; the first is then a miss.
    cache.set("header.payload-two.SAMEENDING", claims(2000, "2"));
    expect(cache.get("header.payload-two.SAMEENDING", 1000)).toEqual(claims(2000, "2"));
    expect(cache.get("header.payload-one.SAMEENDING", 1000)).toBeUndefined();
  });

  it("drops an entry once exp plus leeway has passed, and never caches a token without exp", () => {
    const cache = new VerifiedTokenCache(10, 5);
    cache.set("t.o.k1", claims(100));
    expect(cache.get("t.o.k1", 104)).toEqual(claims(100));
    expect(cache.get("t.o.k1", 105)).toBeUndefined();
    expect(cache.get("t.o.k1", 0)).toBeUndefined(); // gone, not just refused
    cache.set("t.o.k2", { token_type: "access" });
    expect(cache.get("t.o.k2", 0)).toBeUndefined();
  });

  it("keeps at most its size, the least recently used out first", () => {
    const cache = new VerifiedTokenCache(2, 0);
    cache.set("token-000001", claims(9, "1"));
    cache.set("token-000002", claims(9, "2"));
    expect(cache.get("token-000001", 0)).toBeDefined(); // 1 is now the most recent
    cache.set("token-000003", claims(9, "3"));
    expect(cache.get("token-000002", 0)).toBeUndefined();
    expect(cache.get("token-000001", 0)).toEqual(claims(9, "1"));
    expect(cache.get("token-000003", 0)).toEqual(claims(9, "3"));
    cache.set("token-000003", claims(9, "3")); // again: replaces, evicts nothing
    expect(cache.get("token-000001", 0)).toEqual(claims(9, "1"));
  });

  it("evicts by second chance: hit entries survive one pass, even when every entry was hit", () => {
    const cache = new VerifiedTokenCache(3, 0);
    for (const id of ["1", "2", "3"]) cache.set(`token-00000${id}`, claims(9, id));
    expect(cache.get("token-000001", 0)).toBeDefined();
    expect(cache.get("token-000002", 0)).toBeDefined();
    cache.set("token-000004", claims(9, "4")); // 1 and 2 were hit: 3 goes
    expect(cache.get("token-000003", 0)).toBeUndefined();
    cache.set("token-000005", claims(9, "5")); // 1 and 2 lost their marks when passed over: 1 goes
    expect(cache.get("token-000001", 0)).toBeUndefined();
    for (const id of ["2", "4", "5"]) expect(cache.get(`token-00000${id}`, 0)?.user_id).toBe(id);
    cache.set("token-000006", claims(9, "6")); // all three hit: one pass unmarks them, the oldest goes
    expect(cache.get("token-000002", 0)).toBeUndefined();
    for (const id of ["4", "5", "6"]) expect(cache.get(`token-00000${id}`, 0)?.user_id).toBe(id);
  });

  it("slots short tokens too, and tells them apart", () => {
    const cache = new VerifiedTokenCache(10, 0);
    for (const token of ["a", "ab.c", "-_.x.y"]) {
      cache.set(token, claims(9, token));
      expect(has(cache, token)).toBe(true);
      expect(cache.get(token, 0)?.user_id).toBe(token);
    }
    expect(cache.get("b", 0)).toBeUndefined();
    expect(has(cache, "-_.x.z")).toBe(false);
  });

  it("holds compact tokens only (base64url and dots), so heldToken() vouches for a token's characters", () => {
    const cache = new VerifiedTokenCache(10, 0);
    for (const token of ["", "a b.c.d", "a.b.c ", "a+b.c.d", "a.b.c=", "\u{1F600}.x.y", "a\n.b.c"]) {
      cache.set(token, claims(9));
      expect(has(cache, token)).toBe(false);
      expect(cache.get(token, 0)).toBeUndefined();
    }
  });

  it("heldToken() answers for exactly the token held, expired or not; get() then decides", () => {
    const cache = new VerifiedTokenCache(10, 0);
    cache.set("header.payload.sig01", claims(100));
    expect(has(cache, "header.payload.sig01")).toBe(true);
    expect(has(cache, "header.payload.sig02")).toBe(false);
    expect(has(cache, "header.payload.sig0")).toBe(false);
    expect(has(cache, "other.payload.sig01")).toBe(false); // same slot, another token
    // The string heldToken() found, asked for at once: the same answer as any get().
    const token = ["header", "payload", "sig01"].join(".");
    expect(has(cache, token)).toBe(true);
    expect(cache.get(token, 99)).toEqual(claims(100));
    expect(has(cache, token)).toBe(true);
    expect(cache.get(token, 100)).toBeUndefined(); // expired: dropped
    expect(has(cache, token)).toBe(false);
  });

  it("heldToken() finds the token after a header's keyword, the same header again at one comparison", () => {
    const cache = new VerifiedTokenCache(10, 0);
    const token = "header.payload.SAMEENDING";
    cache.set(token, claims(9, "1"));
    const header = `Bearer ${token}`;
    expect(cache.heldToken(header, 7)).toBe(token);
    expect(cache.heldToken(["Bearer", token].join(" "), 7)).toBe(token); // an equal header, another string
    expect(cache.heldToken(`bearer ${token}`, 7)).toBe(token); // another header carrying it
    expect(cache.heldToken(header, 7)).toBe(token);
    expect(cache.heldToken(header, 6)).toBeNull(); // " header.payload..." is no token held
    expect(cache.heldToken(header, 8)).toBeNull();
    expect(cache.heldToken(`Bearer header.paYload.SAMEENDING`, 7)).toBeNull(); // same slot and length
    expect(cache.heldToken(`Bearer  ${token}`, 7)).toBeNull(); // " header.payload...": one too long
    expect(cache.heldToken(`Bearer xheader.payload.SAMEENDING`, 8)).toBe(token); // what follows `start`
    // Another verified token takes the slot: the header that carried the first finds nothing.
    cache.set("header.payloaD.SAMEENDING", claims(9, "2"));
    expect(cache.heldToken(header, 7)).toBeNull();
    expect(cache.heldToken("Bearer header.payloaD.SAMEENDING", 7)).toBe("header.payloaD.SAMEENDING");
  });

  it("a get() after heldToken() of another token, or after a set(), looks the token up itself", () => {
    const cache = new VerifiedTokenCache(2, 0);
    cache.set("token-000001", claims(9, "1"));
    cache.set("token-000002", claims(9, "2"));
    expect(has(cache, "token-000001")).toBe(true);
    expect(cache.get("token-000002", 0)?.user_id).toBe("2");
    expect(cache.get("token-000001", 0)?.user_id).toBe("1");
    // heldToken() found 1, then a set() of another token in 1's slot replaced it: 1 is a miss.
    expect(has(cache, "token-000001")).toBe(true);
    cache.set("other-000001", claims(9, "3"));
    expect(cache.get("token-000001", 0)).toBeUndefined();
    expect(cache.get("other-000001", 0)?.user_id).toBe("3");
  });

  it("a get() after heldToken() and an eviction answers from the cache as it is now", () => {
    const cache = new VerifiedTokenCache(1, 0);
    cache.set("token-000001", claims(9, "1"));
    expect(has(cache, "token-000001")).toBe(true);
    cache.set("token-000002", claims(9, "2")); // full: 1 goes
    expect(cache.get("token-000001", 0)).toBeUndefined();
    expect(cache.get("token-000002", 0)?.user_id).toBe("2");
  });
});
