/**
 * simplejwt's token errors, as portcullis AuthErrors.
 */
import { type AuthErrorOptions, AuthenticationFailed } from "../core/errors.js";

/**
 * One message from a token class that refused a token: simplejwt's `messages` entries.
 */
export interface TokenErrorMessage {
  /** `"AccessToken"`, `"RefreshToken"`, `"SlidingToken"`. */
  token_class: string;
  /** `"access"`, `"refresh"`, `"sliding"`. */
  token_type: string;
  /** Why: `"Token is expired"`, `"Token has wrong type"`, … */
  message: string;
}

/**
 * A token was refused: simplejwt's `InvalidToken` (401, code `token_not_valid`), carrying the
 * `TokenError` message as its detail ("Token is invalid", "Token is expired", "Token is blacklisted", …).
 *
 * @example
 * ```ts
 * try {
 *   await jwt.verify(token);
 * } catch (error) {
 *   if (error instanceof InvalidToken) console.log(error.detail); // "Token is expired"
 * }
 * ```
 * @see https://django-rest-framework-simplejwt.readthedocs.io/en/latest/
 */
export class InvalidToken extends AuthenticationFailed {
  /** Always `"InvalidToken"`. */
  override readonly name: string = "InvalidToken";
  /** When the token was tried as several token types, why each refused it. */
  readonly messages: readonly TokenErrorMessage[] | undefined;

  /**
   * @param detail - default "Token is invalid or expired" (simplejwt's default)
   * @param options - `cause`, `wwwAuthenticate`, and `messages`
   */
  constructor(
    detail = "Token is invalid or expired",
    options: AuthErrorOptions & { messages?: readonly TokenErrorMessage[] } = {},
  ) {
    const { messages, ...rest } = options;
    super(detail, "token_not_valid", messages ? { ...rest, extra: { ...rest.extra, messages } } : rest);
    this.messages = messages;
  }
}
