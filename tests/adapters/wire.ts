/**
 * Requests fetch cannot send: a raw HTTP/1.1 request written on a socket (repeated headers, an
 * absolute-form request line), and an HTTP/2 request over h2c. Both answer a Fetch Response.
 */
import http2 from "node:http2";
import net from "node:net";

/**
 * Writes `lines` (the request line, then header lines) and `Connection: close` on a socket to
 * 127.0.0.1:`port`, and reads the answer.
 */
export function rawRequest(port: number, lines: string[], body = ""): Promise<Response> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(`${[...lines, "Connection: close"].join("\r\n")}\r\n\r\n${body}`);
    });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(parse(Buffer.concat(chunks))));
  });
}

function parse(bytes: Buffer): Response {
  const end = bytes.indexOf("\r\n\r\n");
  const [status = "", ...fields] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  const headers = new Headers();
  for (const field of fields) {
    const at = field.indexOf(":");
    headers.append(field.slice(0, at).trim(), field.slice(at + 1).trim());
  }
  let body = bytes.subarray(end + 4);
  if (headers.get("transfer-encoding") === "chunked") body = unchunk(body);
  headers.delete("transfer-encoding");
  return new Response(body.length === 0 ? null : new Uint8Array(body), {
    status: Number(status.split(" ")[1]),
    headers,
  });
}

function unchunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const line = bytes.indexOf("\r\n", at);
    const size = Number.parseInt(bytes.subarray(at, line).toString("latin1"), 16);
    if (size === 0) break;
    parts.push(bytes.subarray(line + 2, line + 2 + size));
    at = line + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** One HTTP/2 request (h2c, prior knowledge) to `origin`; `headers` may hold `:method` and `:path`. */
export function h2Request(
  origin: string,
  headers: http2.OutgoingHttpHeaders,
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(origin);
    client.on("error", reject);
    const stream = client.request(headers);
    const chunks: Buffer[] = [];
    let answer: http2.IncomingHttpHeaders = {};
    stream.on("response", (received) => {
      answer = received;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("end", () => {
      client.close();
      const fields = new Headers();
      for (const [name, value] of Object.entries(answer)) {
        if (name.startsWith(":") || value === undefined) continue;
        for (const item of Array.isArray(value) ? value : [value]) fields.append(name, String(item));
      }
      const bytes = Buffer.concat(chunks);
      resolve(
        new Response(bytes.length === 0 ? null : new Uint8Array(bytes), {
          status: Number(answer[":status"]),
          headers: fields,
        }),
      );
    });
    stream.end(body);
  });
}
