/**
 * Fetch endpoint handlers: DRF's ObtainAuthToken, knox's login, logout and logoutall views, Django's
 * session login and logout, and simplejwt's token views.
 */

export type { EndpointHandler } from "./http.js";
export type { JWTHandlers, JWTHandlersOptions } from "./jwt.js";
export { createJWTHandlers } from "./jwt.js";
export type { ObtainAuthTokenOptions } from "./obtain-token.js";
export { obtainAuthToken } from "./obtain-token.js";
export type { SessionHandlers, SessionHandlersOptions } from "./session.js";
export { sessionHandlers } from "./session.js";
export type { TokenLoginOptions, TokenLogoutOptions } from "./token-login.js";
export { tokenLogin, tokenLogout, tokenLogoutAll } from "./token-login.js";
