// Modules a docs sample imports that the project does not install: declared for the type check.
declare module "expect" {
  // biome-ignore lint/suspicious/noExplicitAny: jest's expect, as the sample's reader installs it.
  export const expect: any;
}

// A Next.js app's own module, which the App Router samples import their stores from.
declare module "@/lib/auth" {
  export const users: import("portcullis").UserStore<AppUser>;
  export const tokens: import("portcullis").TokenStore;
  export const auth: import("portcullis").TokenAuthentication<AppUser>;
  export const api: import("portcullis").JWTHandlers;
}
