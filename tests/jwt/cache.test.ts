/**
 * The verified-token cache on its own: a hit is exactly the token stored, bounded, least recently used
 * out first, and never past exp (plus leeway).
 */
import { describe, expect, it } from "vitest";
import { VerifiedTokenCache } from "../../src/jwt/cache.js";

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

  it("never answers another token, even one that differs in a single character", () => {
    const cache = new VerifiedTokenCache(10, 0);
    cache.set("header.payload-one.SAMEENDING", claims(2000, "1"));
    expect(cache.get("header.payload-two.SAMEENDING", 1000)).toBeUndefined();
    expect(cache.get("header.payload-one.SAMEENDINg", 1000)).toBeUndefined();
    cache.set("header.payload-two.SAMEENDING", claims(2000, "2"));
    expect(cache.get("header.payload-two.SAMEENDING", 1000)).toEqual(claims(2000, "2"));
    expect(cache.get("header.payload-one.SAMEENDING", 1000)).toEqual(claims(2000, "1"));
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

  it("holds short tokens too, and tells them apart", () => {
    const cache = new VerifiedTokenCache(10, 0);
    for (const token of ["a", "ab.c", "-_.x.y"]) {
      cache.set(token, claims(9, token));
      expect(cache.get(token, 0)?.user_id).toBe(token);
    }
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("-_.x.z", 0)).toBeUndefined();
  });
});
