import { describe, expect, it } from "vitest";
import {
  AuthError,
  AuthenticationFailed,
  NotAuthenticated,
  PermissionDenied,
  SchemeError,
} from "../../src/index.js";

describe("AuthError family", () => {
  it.each([
    [
      new AuthenticationFailed(),
      "AuthenticationFailed",
      401,
      "authentication_failed",
      "Incorrect authentication credentials.",
    ],
    [
      new NotAuthenticated(),
      "NotAuthenticated",
      401,
      "not_authenticated",
      "Authentication credentials were not provided.",
    ],
    [
      new PermissionDenied(),
      "PermissionDenied",
      403,
      "permission_denied",
      "You do not have permission to perform this action.",
    ],
  ])("%s has DRF's defaults", (error, name, status, code, detail) => {
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.detail).toBe(detail);
    expect(error.message).toBe(detail);
    expect(error.wwwAuthenticate).toBeUndefined();
  });

  it("takes detail, code, cause and challenge", () => {
    const cause = new Error("signature mismatch");
    const error = new AuthenticationFailed("Token is invalid", "token_not_valid", {
      cause,
      wwwAuthenticate: 'Bearer realm="api", error="invalid_token"',
    });
    expect(error.detail).toBe("Token is invalid");
    expect(error.code).toBe("token_not_valid");
    expect(error.cause).toBe(cause);
    expect(error.wwwAuthenticate).toBe('Bearer realm="api", error="invalid_token"');
  });

  it("never gives a 403 a challenge", () => {
    const error = new PermissionDenied("CSRF Failed: CSRF token missing.", undefined, {
      wwwAuthenticate: "Basic",
    });
    expect(error.status).toBe(403);
    expect(error.code).toBe("permission_denied");
    expect(error.wwwAuthenticate).toBeUndefined();
  });

  it("lets applications define their own errors", () => {
    class AccountLocked extends AuthError {
      override readonly name = "AccountLocked";
      constructor() {
        super("Account locked.", "account_locked", { status: 403 });
      }
    }
    const error = new AccountLocked();
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toBeInstanceOf(AccountLocked);
    expect(error).not.toBeInstanceOf(PermissionDenied);
    expect([error.status, error.code, error.name]).toEqual([403, "account_locked", "AccountLocked"]);
  });

  it("recognises an AuthError from another copy of the library, and nothing else", () => {
    const foreign = Object.defineProperty(new Error("x"), Symbol.for("portcullis.AuthError"), {
      value: true,
    });
    expect(foreign).toBeInstanceOf(AuthError);
    expect(foreign).not.toBeInstanceOf(AuthenticationFailed);
    expect(new Error("x")).not.toBeInstanceOf(AuthError);
    expect(null).not.toBeInstanceOf(AuthError);
    expect(new TypeError("x")).not.toBeInstanceOf(AuthError);
  });

  it("SchemeError keeps the scheme and the cause", () => {
    const cause = new TypeError("db is undefined");
    const error = new SchemeError("basic", cause);
    expect(error.name).toBe("SchemeError");
    expect(error.scheme).toBe("basic");
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      'Authentication scheme "basic" failed unexpectedly: TypeError: db is undefined',
    );
    expect(error).not.toBeInstanceOf(AuthError);
    expect(new SchemeError("x", "boom").message).toContain("boom");
  });

  it("getResponse answers as toResponse(error): 403, or 401 with the error's own challenge", async () => {
    const denied = new PermissionDenied().getResponse();
    expect(denied.status).toBe(403);
    expect(denied.headers.get("content-type")).toBe("application/json");
    expect(await denied.json()).toEqual({
      detail: "You do not have permission to perform this action.",
      code: "permission_denied",
    });
    // No challenge known: DRF answers 403.
    expect(new NotAuthenticated().getResponse().status).toBe(403);
    const challenged = new AuthenticationFailed("Token is expired", "token_not_valid", {
      wwwAuthenticate: 'Bearer realm="api", error="invalid_token"',
      extra: { messages: [] },
    }).getResponse();
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get("www-authenticate")).toBe('Bearer realm="api", error="invalid_token"');
    expect(await challenged.json()).toEqual({
      detail: "Token is expired",
      code: "token_not_valid",
      messages: [],
    });
  });
});
