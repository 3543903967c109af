import { describe, expect, it, vi } from "vitest";
import {
  AuthenticationFailed,
  type AuthRequest,
  authenticate,
  type BaseAuthentication,
  PermissionDenied,
  SchemeError,
} from "../../src/index.js";
import { makeRequest } from "../../src/testing/index.js";

/** The fields a success carries beside the user: its id and Django's staff flags, none of the record. */
const flags = (userId: string | null) => ({ userId, isStaff: false, isSuperuser: false });

type Behaviour = "none" | "success" | "fail" | "deny" | "throw";

function scheme(
  name: string,
  behaviour: Behaviour,
  challenge?: string,
): BaseAuthentication<{ id: string }> & {
  calls: number;
} {
  return {
    name,
    calls: 0,
    async authenticate() {
      this.calls++;
      switch (behaviour) {
        case "none":
          return null;
        case "success":
          return { user: { id: name }, auth: `${name}-auth` };
        case "fail":
          throw new AuthenticationFailed(`${name} failed`);
        case "deny":
          throw new PermissionDenied(`${name} denied`);
        case "throw":
          throw new TypeError(`${name} broke`);
      }
    },
    ...(challenge === undefined ? {} : { authenticateHeader: () => challenge }),
  };
}

const request = makeRequest();

describe("authenticate", () => {
  it("returns the first success and stops", async () => {
    const a = scheme("a", "none", "A");
    const b = scheme("b", "success");
    const c = scheme("c", "success");
    const result = await authenticate(request, [a, b, c]);
    expect(result).toEqual({
      outcome: "success",
      user: { id: "b" },
      auth: "b-auth",
      scheme: "b",
      ...flags("b"),
    });
    expect([a.calls, b.calls, c.calls]).toEqual([1, 1, 0]);
  });

  it("stops at the first AuthError: later schemes are not called", async () => {
    const a = scheme("a", "fail", 'Basic realm="api"');
    const b = scheme("b", "success");
    const result = await authenticate(request, [a, b]);
    expect(result).toMatchObject({
      outcome: "fail",
      status: 401,
      wwwAuthenticate: 'Basic realm="api"',
      scheme: "a",
    });
    expect(result.outcome === "fail" && result.error.detail).toBe("a failed");
    expect(b.calls).toBe(0);
  });

  it("answers none with the first scheme's challenge when every scheme returns null", async () => {
    const result = await authenticate(request, [
      scheme("a", "none", 'Basic realm="api"'),
      scheme("b", "none", "Token"),
    ]);
    expect(result).toEqual({ outcome: "none", status: 401, wwwAuthenticate: 'Basic realm="api"' });
  });

  it("answers 403 when the first scheme has no challenge, even if a later one has", async () => {
    expect(
      await authenticate(request, [scheme("session", "none"), scheme("basic", "none", "Basic")]),
    ).toEqual({
      outcome: "none",
      status: 403,
    });
    const failed = await authenticate(request, [scheme("session", "none"), scheme("basic", "fail", "Basic")]);
    expect(failed).toMatchObject({ outcome: "fail", status: 403, scheme: "basic" });
    expect(failed).not.toHaveProperty("wwwAuthenticate");
    expect(failed.outcome === "fail" && failed.error.status).toBe(401);
  });

  it("takes the challenge from the first scheme, not the failing one", async () => {
    const result = await authenticate(request, [
      scheme("token", "none", "Token"),
      scheme("basic", "fail", "Basic"),
    ]);
    expect(result).toMatchObject({ outcome: "fail", status: 401, wwwAuthenticate: "Token", scheme: "basic" });
  });

  it("uses the first scheme's own error challenge when it is the one failing", async () => {
    const first: BaseAuthentication = {
      name: "jwt",
      async authenticate() {
        throw new AuthenticationFailed("Token is invalid", "token_not_valid", {
          wwwAuthenticate: 'Bearer realm="api", error="invalid_token"',
        });
      },
      authenticateHeader: () => 'Bearer realm="api"',
    };
    expect(await authenticate(request, [first])).toMatchObject({
      status: 401,
      wwwAuthenticate: 'Bearer realm="api", error="invalid_token"',
    });
    const later = await authenticate(request, [scheme("basic", "none", 'Basic realm="api"'), first]);
    expect(later).toMatchObject({ status: 401, wwwAuthenticate: 'Basic realm="api"' });
  });

  it("answers PermissionDenied with 403 and no challenge, whatever the first scheme", async () => {
    const result = await authenticate(request, [scheme("basic", "none", "Basic"), scheme("session", "deny")]);
    expect(result).toMatchObject({ outcome: "fail", status: 403, scheme: "session" });
    expect(result).not.toHaveProperty("wwwAuthenticate");
  });

  it("wraps anything else in SchemeError with the cause, never anonymous", async () => {
    const later = scheme("b", "success");
    const error = await authenticate(request, [scheme("a", "throw"), later]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SchemeError);
    expect(error).toMatchObject({ scheme: "a", name: "SchemeError" });
    expect((error as SchemeError).cause).toBeInstanceOf(TypeError);
    expect(((error as SchemeError).cause as Error).message).toBe("a broke");
    expect(later.calls).toBe(0);
  });

  it("wraps a rejection that is not an Error", async () => {
    const broken: BaseAuthentication = { name: "x", authenticate: () => Promise.reject("down") };
    await expect(authenticate(request, [broken])).rejects.toMatchObject({ scheme: "x", cause: "down" });
  });

  it.each([[{}], [{ auth: 1 }], [{ user: null, auth: null }], [{ user: undefined }], ["user"], [42], [true]])(
    "refuses a scheme result that is not { user, auth }: %j",
    async (value) => {
      const odd = { name: "odd", authenticate: async () => value } as unknown as BaseAuthentication;
      const error = await authenticate(request, [odd]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SchemeError);
      expect((error as SchemeError).cause).toBeInstanceOf(TypeError);
    },
  );

  it("reads undefined as null, and a missing auth as null", async () => {
    const loose = { name: "loose", authenticate: async () => undefined } as unknown as BaseAuthentication;
    const noAuth = {
      name: "no-auth",
      authenticate: async () => ({ user: 1 }),
    } as unknown as BaseAuthentication;
    expect(await authenticate(request, [loose, noAuth])).toEqual({
      outcome: "success",
      user: 1,
      auth: null,
      scheme: "no-auth",
      ...flags(null),
    });
  });

  it("wraps a throwing authenticateHeader", async () => {
    const first: BaseAuthentication = {
      name: "first",
      authenticate: async () => null,
      authenticateHeader: () => {
        throw new RangeError("bad realm");
      },
    };
    await expect(authenticate(request, [first])).rejects.toMatchObject({
      name: "SchemeError",
      scheme: "first",
    });
  });

  it("answers 403 with no schemes at all", async () => {
    expect(await authenticate(request, [])).toEqual({ outcome: "none", status: 403 });
  });

  it("treats an empty challenge as none (DRF's truthiness)", async () => {
    expect(await authenticate(request, [scheme("a", "none", "")])).toEqual({ outcome: "none", status: 403 });
  });

  it("names schemes by name, then class name", async () => {
    class CustomAuthentication implements BaseAuthentication<string> {
      async authenticate() {
        return { user: "u", auth: null };
      }
    }
    expect(await authenticate(request, [new CustomAuthentication()])).toMatchObject({
      scheme: "CustomAuthentication",
    });
    expect(
      await authenticate(request, [{ authenticate: async () => ({ user: "u", auth: null }) }]),
    ).toMatchObject({
      scheme: "anonymous",
    });
  });

  it("asks for the challenge only when it needs it, with the request", async () => {
    const authenticateHeader = vi.fn((_request: AuthRequest) => "Basic");
    const first = { name: "a", authenticate: async () => ({ user: "u", auth: null }), authenticateHeader };
    await authenticate(request, [first]);
    expect(authenticateHeader).not.toHaveBeenCalled();
    await authenticate(request, [{ ...first, authenticate: async () => null }]);
    expect(authenticateHeader).toHaveBeenCalledWith(request);
  });

  it("passes on the scheme's user id and staff flags, and reads a missing id from the user", async () => {
    const staff = {
      name: "staff",
      authenticate: async () => ({
        user: { name: "ada" },
        auth: null,
        userId: "7",
        isStaff: true,
        isSuperuser: true,
      }),
    } as unknown as BaseAuthentication;
    expect(await authenticate(request, [staff])).toEqual({
      outcome: "success",
      user: { name: "ada" },
      auth: null,
      scheme: "staff",
      userId: "7",
      isStaff: true,
      isSuperuser: true,
    });
    const numbered = {
      name: "n",
      authenticate: async () => ({ user: { id: 42 }, auth: null, isStaff: "yes" }),
    };
    expect(await authenticate(request, [numbered as unknown as BaseAuthentication])).toMatchObject({
      userId: "42",
      isStaff: false,
    });
  });
});
