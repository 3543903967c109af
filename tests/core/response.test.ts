import { describe, expect, it } from "vitest";
import { errorResponseParts, isStoreUnavailable } from "../../src/adapter-kit.js";
import {
  AuthenticationFailed,
  authenticate,
  type BaseAuthentication,
  NotAuthenticated,
  PermissionDenied,
  SchemeError,
  StoreUnavailable,
  toResponse,
} from "../../src/index.js";
import { makeRequest } from "../../src/testing/index.js";

describe("toResponse given an AuthError a view raised (DRF's exception handler)", () => {
  it("answers PermissionDenied 403 with DRF's body and no challenge", async () => {
    const response = toResponse(new PermissionDenied())!;
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.has("www-authenticate")).toBe(false);
    expect(await response.text()).toBe(
      '{"detail":"You do not have permission to perform this action.","code":"permission_denied"}',
    );
  });

  it("answers a 401 with the first scheme's challenge when given the route", async () => {
    const first: BaseAuthentication = {
      authenticate: async () => null,
      authenticateHeader: () => 'Basic realm="api"',
    };
    const response = toResponse(new NotAuthenticated(), { request: makeRequest(), schemes: [first] })!;
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Basic realm="api"');
    expect(await response.json()).toEqual({
      detail: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });

  it("prefers the error's own challenge (RFC 6750's invalid_token)", () => {
    const error = new AuthenticationFailed("Token is expired", "token_not_valid", {
      wwwAuthenticate: 'Bearer realm="api", error="invalid_token"',
    });
    const response = toResponse(error)!;
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe('Bearer realm="api", error="invalid_token"');
  });

  it("turns a 401 without any challenge into 403, as APIView.handle_exception does", async () => {
    const noChallenge: BaseAuthentication = { authenticate: async () => null };
    for (const response of [
      toResponse(new AuthenticationFailed("Nope."))!,
      toResponse(new NotAuthenticated(), { request: makeRequest(), schemes: [noChallenge] })!,
    ]) {
      expect(response.status).toBe(403);
      expect(response.headers.has("www-authenticate")).toBe(false);
    }
  });

  it("keeps an error's extra members after detail and code", async () => {
    const error = new PermissionDenied("Locked.", "locked", { extra: { retry: false } });
    expect(await toResponse(error)!.text()).toBe('{"detail":"Locked.","code":"locked","retry":false}');
  });

  it("still answers any other error 500, and a store that cannot answer 503", async () => {
    expect(toResponse(new Error("secret host"))!.status).toBe(500);
    expect(await toResponse(new Error("secret host"))!.text()).not.toContain("secret");
    expect(toResponse(new StoreUnavailable("users"))!.status).toBe(503);
  });
});

describe("toResponse", () => {
  it("is null on success", () => {
    expect(
      toResponse({
        outcome: "success",
        user: {},
        auth: null,
        scheme: "basic",
        userId: null,
        isStaff: false,
        isSuperuser: false,
      }),
    ).toBeNull();
    expect(
      errorResponseParts({
        outcome: "success",
        user: {},
        auth: null,
        scheme: "basic",
        userId: null,
        isStaff: false,
        isSuperuser: false,
      }),
    ).toBeNull();
  });

  it("answers none with NotAuthenticated, 401 and the challenge", async () => {
    const response = toResponse({ outcome: "none", status: 401, wwwAuthenticate: 'Basic realm="api"' })!;
    expect(response.status).toBe(401);
    expect(response.headers.get("WWW-Authenticate")).toBe('Basic realm="api"');
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(await response.json()).toEqual({
      detail: "Authentication credentials were not provided.",
      code: "not_authenticated",
    });
  });

  it("answers none without a challenge as 403 with the same body", async () => {
    const response = toResponse({ outcome: "none", status: 403 })!;
    expect(response.status).toBe(403);
    expect(response.headers.has("WWW-Authenticate")).toBe(false);
    expect(await response.text()).toBe(
      '{"detail":"Authentication credentials were not provided.","code":"not_authenticated"}',
    );
  });

  it("answers a failure with its detail and code", async () => {
    const error = new AuthenticationFailed("Invalid username/password.");
    const response = toResponse({
      outcome: "fail",
      error,
      status: 401,
      wwwAuthenticate: "Basic",
      scheme: "basic",
    })!;
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Basic");
    expect(await response.json()).toEqual({
      detail: "Invalid username/password.",
      code: "authentication_failed",
    });
  });

  it("drops the challenge on a 403, even one coerced from a 401", async () => {
    const error = new AuthenticationFailed();
    const response = toResponse({
      outcome: "fail",
      error,
      status: 403,
      wwwAuthenticate: "Basic",
      scheme: "basic",
    })!;
    expect(response.status).toBe(403);
    expect(response.headers.has("WWW-Authenticate")).toBe(false);
    expect(await response.json()).toEqual({
      detail: "Incorrect authentication credentials.",
      code: "authentication_failed",
    });
    const denied = toResponse({
      outcome: "fail",
      error: new PermissionDenied(),
      status: 403,
      scheme: "session",
    })!;
    expect(await denied.json()).toEqual({
      detail: "You do not have permission to perform this action.",
      code: "permission_denied",
    });
  });

  it("gives the same parts to adapters", () => {
    expect(errorResponseParts({ outcome: "none", status: 401, wwwAuthenticate: "Token" })).toEqual({
      status: 401,
      headers: { "Content-Type": "application/json", "WWW-Authenticate": "Token" },
      body: { detail: "Authentication credentials were not provided.", code: "not_authenticated" },
    });
  });
});

describe("toResponse with an error: 500, or 503 for a store that cannot answer", () => {
  it("answers 500 without the error's message", async () => {
    const response = toResponse(new SchemeError("token", new Error("secret internals")))!;
    expect(response.status).toBe(500);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(await response.text()).toBe('{"detail":"A server error occurred.","code":"error"}');
  });

  it("answers 503 with Retry-After when StoreUnavailable is in the cause chain", async () => {
    const wrapped = new SchemeError(
      "token",
      new Error("lookup failed", { cause: new StoreUnavailable("tokens") }),
    );
    const response = toResponse(wrapped)!;
    expect(response.status).toBe(503);
    expect(response.headers.get("Retry-After")).toBe("5");
    expect(await response.json()).toEqual({
      detail: "Service temporarily unavailable, try again later.",
      code: "service_unavailable",
    });
    expect(isStoreUnavailable(wrapped)).toBe(true);
    expect(isStoreUnavailable(new Error("x"))).toBe(false);
    expect(isStoreUnavailable(null)).toBe(false);
  });

  it("answers what authenticate rejected with, end to end", async () => {
    const broken: BaseAuthentication = {
      name: "broken",
      authenticate: async () => {
        throw new StoreUnavailable("sessions", { cause: new Error("ECONNREFUSED") });
      },
    };
    const outcome = await authenticate(makeRequest(), [broken]).catch((error: Error) => error);
    expect(toResponse(outcome)!.status).toBe(503);
  });
});
