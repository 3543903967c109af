import { describe, expect, it, vi } from "vitest";
import {
  AuthEvents,
  createUser,
  isPasswordUsable,
  MemoryTokenStore,
  MemoryUserStore,
  TokenAuthentication,
  type UserStore,
  verifyPassword,
} from "../../src/index.js";

const passwords = { iterations: 1000 };

describe("createUser", () => {
  it("hashes the password, saves the user and emits userCreated", async () => {
    const users = new MemoryUserStore();
    const events = new AuthEvents();
    const created = vi.fn();
    events.on("userCreated", created);
    const record = await createUser(
      users,
      { username: "ada", password: "correct horse" },
      { events, passwords },
    );
    expect(record).toMatchObject({
      id: "1",
      username: "ada",
      isActive: true,
      user: { id: "1", username: "ada" },
    });
    expect(record.passwordHash).toMatch(/^pbkdf2_sha256\$1000\$/);
    expect(await verifyPassword("correct horse", record.passwordHash, passwords)).toEqual({
      valid: true,
      needsRehash: false,
    });
    expect(created).toHaveBeenCalledWith({ record });
    expect(JSON.stringify(created.mock.calls)).not.toContain("correct horse");
  });

  it("stores an unusable password for null, and passes isActive and user through", async () => {
    const users = new MemoryUserStore<{ email: string }>();
    const record = await createUser(users, {
      username: "sso",
      password: null,
      isActive: false,
      user: { email: "s@x" },
    });
    expect(isPasswordUsable(record.passwordHash)).toBe(false);
    expect(record).toMatchObject({ isActive: false, user: { email: "s@x" } });
  });

  it("runs DRF's post_save recipe: a token for every new user", async () => {
    const users = new MemoryUserStore();
    const tokens = new MemoryTokenStore();
    const events = new AuthEvents();
    const tokenAuth = new TokenAuthentication({ tokens, users, events });
    events.on("userCreated", ({ record }) => tokenAuth.issue(record.id));
    const issued = new Promise((resolve) => events.on("tokenIssued", resolve));
    const record = await createUser(users, { username: "ada", password: "pw" }, { events, passwords });
    await issued;
    expect(await tokens.listForUser(record.id)).toHaveLength(1);
  });

  it("needs a store with create, and passes its errors on", async () => {
    const readOnly: UserStore = {
      findByUsername: async () => null,
      findById: async () => null,
      setPasswordHash: async () => {},
    };
    await expect(createUser(readOnly, { username: "a", password: "b" }, { passwords })).rejects.toThrow(
      TypeError,
    );
    const users = new MemoryUserStore();
    await createUser(users, { username: "ada", password: "pw" }, { passwords });
    await expect(createUser(users, { username: "ada", password: "pw" }, { passwords })).rejects.toThrow(
      /already exists/,
    );
  });
});
