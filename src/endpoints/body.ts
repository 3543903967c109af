/**
 * Reading a request body as DRF's parsers do (JSONParser, FormParser, MultiPartParser), within a size limit.
 * @internal
 */
import { decodeUtf8 } from "../core/encoding.js";
import { detailResponse } from "./http.js";

/** The largest body the endpoints read: 64 KiB. */
export const MAX_BODY_BYTES = 65_536;

/**
 * What a body parsed to: a JSON value, form fields (urlencoded or multipart), or nothing at all (an
 * empty body, whatever its Content-Type: DRF's `stream is None` case).
 */
export type ParsedBody =
  | { type: "json"; value: unknown; text: string }
  | { type: "form"; fields: URLSearchParams | FormData }
  | { type: "empty" };

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";
const MULTIPART_TYPE = "multipart/form-data";

/**
 * @internal
 * Reads and parses `request`'s body, or answers the error DRF would:
 * - 413 `Request body exceeds 65536 bytes.` when `Content-Length` says so (nothing read) or the stream
 *   passes the limit (reading stops at the chunk that crosses it);
 * - 415 `Unsupported media type "<Content-Type as sent>" in request.` for a non-empty body that is not
 *   JSON, urlencoded or multipart (an absent header reads as `""`, as in Django);
 * - 400 `JSON parse error - …` / `Multipart form parse error - …` for a body its parser refuses.
 *
 * Media types match case-insensitively, parameters ignored; text is always read as UTF-8.
 * A failing stream (client gone) rejects: it is not the client's error to be answered.
 */
export async function parseBody(request: Request): Promise<ParsedBody | Response> {
  const contentType = request.headers.get("Content-Type") ?? "";
  const mediaType = (contentType.split(";", 1)[0] ?? "").trim().toLowerCase();
  const supported = mediaType === JSON_TYPE || mediaType === FORM_TYPE || mediaType === MULTIPART_TYPE;

  const declared = declaredLength(request);
  if (declared !== null && declared > MAX_BODY_BYTES) return tooLarge();
  // DRF picks the parser before reading: a body known to be non-empty is refused unread.
  if (!supported && declared !== null && declared > 0) return unsupported(contentType);

  const bytes = await readLimited(request, MAX_BODY_BYTES);
  if (bytes === null) return tooLarge();
  if (bytes.length === 0) return { type: "empty" };
  if (!supported) return unsupported(contentType);

  if (mediaType === JSON_TYPE) return parseJson(bytes);
  if (mediaType === FORM_TYPE) {
    // Django's QueryDict: UTF-8 with replacement characters, "+" as space.
    return { type: "form", fields: new URLSearchParams(new TextDecoder().decode(bytes)) };
  }
  return parseMultipart(bytes, contentType);
}

function parseJson(bytes: Uint8Array): ParsedBody | Response {
  // A leading BOM is kept (Python's "utf-8" codec keeps it), so JSON.parse refuses it as json.loads does.
  const text = decodeUtf8(bytes);
  if (text === null) return detailResponse(400, "JSON parse error - Request body is not valid UTF-8.");
  try {
    return { type: "json", value: JSON.parse(text) as unknown, text };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return detailResponse(400, `JSON parse error - ${message}`);
  }
}

async function parseMultipart(
  bytes: Uint8Array<ArrayBuffer>,
  contentType: string,
): Promise<ParsedBody | Response> {
  // Django's MultiPartParser: "Invalid boundary in multipart: None" when the parameter is missing.
  if (!/;\s*boundary=/i.test(contentType)) {
    return detailResponse(400, "Multipart form parse error - Invalid boundary in multipart: None");
  }
  try {
    const fields = await new Response(bytes, { headers: { "Content-Type": contentType } }).formData();
    return { type: "form", fields };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return detailResponse(400, `Multipart form parse error - ${message}`);
  }
}

/** `Content-Length` as a number, or `null` when absent or not a plain decimal. */
function declaredLength(request: Request): number | null {
  const value = request.headers.get("Content-Length");
  return value !== null && /^[0-9]+$/.test(value.trim()) ? Number(value.trim()) : null;
}

/**
 * The whole body, or `null` once more than `limit` bytes arrived (holding at most `limit` bytes plus the
 * chunk that crossed it, then cancelling the stream).
 */
async function readLimited(request: Request, limit: number): Promise<Uint8Array<ArrayBuffer> | null> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

function tooLarge(): Response {
  return detailResponse(413, `Request body exceeds ${MAX_BODY_BYTES} bytes.`);
}

function unsupported(contentType: string): Response {
  return detailResponse(415, `Unsupported media type "${contentType}" in request.`);
}
