import { describe, expect, it } from "vitest";
import { MemoryUserStore, type UserStore } from "../../src/index.js";

describe("MemoryUserStore", () => {
  it("creates users with Django-style ids and a default user object", async () => {
    const users = new MemoryUserStore();
    const ada = await users.create({ username: "ada", passwordHash: "pbkdf2_sha256$1$salt$hash" });
    const bob = await users.create({ username: "bob", passwordHash: null, isActive: false });
    expect(ada).toEqual({
      id: "1",
      username: "ada",
      passwordHash: "pbkdf2_sha256$1$salt$hash",
      isActive: true,
      isStaff: false,
      isSuperuser: false,
      user: { id: "1", username: "ada" },
    });
    const admin = await users.create({
      username: "root",
      passwordHash: null,
      isStaff: true,
      isSuperuser: true,
    });
    expect(admin).toMatchObject({ isStaff: true, isSuperuser: true });
    expect(await users.findByUsername("root")).toMatchObject({ isStaff: true, isSuperuser: true });
    expect(bob).toMatchObject({
      id: "2",
      isActive: false,
      passwordHash: null,
      user: { id: "2", username: "bob" },
    });
  });

  it("keeps the application's own user object", async () => {
    const users = new MemoryUserStore<{ email: string }>();
    const record = await users.create({
      username: "ada",
      passwordHash: null,
      user: { email: "ada@example.com" },
    });
    expect(record.user).toEqual({ email: "ada@example.com" });
    expect((await users.findByUsername("ada"))?.user).toEqual({ email: "ada@example.com" });
  });

  it("finds by exact username and by id", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "Ada", passwordHash: null });
    expect((await users.findByUsername("Ada"))?.id).toBe("1");
    expect(await users.findByUsername("ada")).toBeNull();
    expect(await users.findByUsername("__proto__")).toBeNull();
    expect((await users.findById("1"))?.username).toBe("Ada");
    expect(await users.findById("2")).toBeNull();
  });

  it("skips ids taken by seeded records", async () => {
    const users = new MemoryUserStore();
    users.add({
      id: "1",
      username: "seed",
      passwordHash: null,
      isActive: true,
      user: { id: "1", username: "seed" },
    });
    expect((await users.create({ username: "next", passwordHash: null })).id).toBe("2");
  });

  it("refuses duplicate usernames and ids", async () => {
    const users = new MemoryUserStore();
    await users.create({ username: "ada", passwordHash: null });
    await expect(users.create({ username: "ada", passwordHash: null })).rejects.toThrow(/already exists/);
    expect(() =>
      users.add({
        id: "1",
        username: "other",
        passwordHash: null,
        isActive: true,
        user: { id: "1", username: "o" },
      }),
    ).toThrow(/id "1" already exists/);
  });

  it("copies records in and out", async () => {
    const users = new MemoryUserStore();
    const seed = {
      id: "7",
      username: "ada",
      passwordHash: "h1",
      isActive: true,
      user: { id: "7", username: "ada" },
    };
    users.add(seed);
    seed.passwordHash = "changed";
    const found = (await users.findById("7"))!;
    expect(found.passwordHash).toBe("h1");
    found.isActive = false;
    expect((await users.findById("7"))!.isActive).toBe(true);
  });

  it("sets password hashes, and throws for an unknown id", async () => {
    const users: UserStore = new MemoryUserStore();
    const { id } = await users.create!({ username: "ada", passwordHash: "old" });
    await users.setPasswordHash(id, "new");
    expect((await users.findByUsername("ada"))?.passwordHash).toBe("new");
    await expect(users.setPasswordHash("404", "x")).rejects.toThrow(/no user with id "404"/);
  });
});

describe("MemoryUserStore.updateLastLogin", () => {
  it("records the last login, and throws for an unknown id", async () => {
    const users = new MemoryUserStore();
    const { id } = await users.create({ username: "ada", passwordHash: null });
    await users.updateLastLogin(id, new Date(5));
    expect((await users.findById(id))?.lastLogin).toEqual(new Date(5));
    await expect(users.updateLastLogin("404", new Date())).rejects.toThrow(/no user with id "404"/);
  });
});
