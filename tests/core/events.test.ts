import { afterEach, describe, expect, it, vi } from "vitest";
import { AuthEvents, type TokenRecord } from "../../src/index.js";

const record: TokenRecord = {
  digest: "a".repeat(64),
  userId: "1",
  name: null,
  createdAt: new Date(0),
  expiresAt: null,
  lastUsedAt: null,
};

afterEach(() => vi.restoreAllMocks());

describe("AuthEvents", () => {
  it("calls listeners in order with the payload, and off removes them", () => {
    const events = new AuthEvents();
    const calls: string[] = [];
    const first = () => calls.push("first");
    events.on("tokenIssued", first);
    const remove = events.on("tokenIssued", (payload) => {
      expect(payload.record).toBe(record);
      calls.push("second");
    });
    events.emit("tokenIssued", { record });
    events.off("tokenIssued", first);
    remove();
    events.emit("tokenIssued", { record });
    expect(calls).toEqual(["first", "second"]);
  });

  it("reports a throwing listener through error and keeps calling the others", () => {
    const events = new AuthEvents();
    const boom = new Error("listener bug");
    const errors: unknown[] = [];
    const after = vi.fn();
    events.on("error", (payload) => errors.push(payload));
    events.on("tokenRevoked", () => {
      throw boom;
    });
    events.on("tokenRevoked", after);
    expect(() => events.emit("tokenRevoked", { record })).not.toThrow();
    expect(errors).toEqual([{ error: boom, event: "tokenRevoked" }]);
    expect(after).toHaveBeenCalledOnce();
  });

  it("reports a rejecting async listener", async () => {
    const events = new AuthEvents();
    const reported = new Promise((resolve) => events.on("error", resolve));
    events.on("tokenExpired", async () => {
      throw new Error("async bug");
    });
    events.emit("tokenExpired", { record });
    expect(await reported).toMatchObject({ event: "tokenExpired", error: new Error("async bug") });
  });

  it("logs to console.error without an error listener, and when the error listener itself throws", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const events = new AuthEvents();
    events.on("userCreated", () => {
      throw new Error("first");
    });
    events.emit("userCreated", {
      record: { id: "1", username: "a", passwordHash: null, isActive: true, user: {} },
    });
    expect(log).toHaveBeenCalledTimes(1);
    events.on("error", () => {
      throw new Error("second");
    });
    expect(() =>
      events.emit("userCreated", {
        record: { id: "1", username: "a", passwordHash: null, isActive: true, user: {} },
      }),
    ).not.toThrow();
    expect(log).toHaveBeenCalledTimes(2);
    expect(log.mock.calls[1]?.[0]).toBe('portcullis: a listener of "error" failed');
  });
});
