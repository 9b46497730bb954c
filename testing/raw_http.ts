/**
 * HTTP/1.1 over a bare TCP connection, for what `fetch` cannot send: made-up methods of
 * any length, a body that stops half-way, a connection that sends nothing at all.
 *
 * @module
 */

/** One response read off a connection. */
export interface RawResponse {
  status: number;
  /** Header names in lower case; a repeated header keeps its values comma-joined. */
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the call to the end of the response. */
  ms: number;
}

const encoder = new TextEncoder();

/** Opens a connection to `port` on 127.0.0.1 and writes `text` to it. */
export async function openRaw(port: number, text = ""): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  if (text !== "") await conn.write(encoder.encode(text));
  return conn;
}

/**
 * Reads one response (its head and a `Content-Length` body) from `conn`.
 *
 * @throws {Error} when nothing complete arrives within `timeoutMs`
 */
export async function readResponse(conn: Deno.Conn, timeoutMs = 30_000): Promise<RawResponse> {
  const start = performance.now();
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((
    resolve,
  ) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  try {
    while (true) {
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(":");
          const name = line.slice(0, colon).trim().toLowerCase();
          const value = line.slice(colon + 1).trim();
          headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
        }
        const length = Number(headers["content-length"] ?? 0);
        const body = text.slice(end + 4);
        if (encoder.encode(body).length >= length) {
          const status = Number(statusLine!.split(" ")[1]);
          return { status, headers, body, ms: performance.now() - start };
        }
      }
      const read = await Promise.race([conn.read(buffer), timeout]);
      if (read === null) {
        throw new Error(
          `Closed, or no complete response within ${timeoutMs} ms; got: ${text.slice(0, 200)}`,
        );
      }
      text += decoder.decode(buffer.subarray(0, read), { stream: true });
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `text` on a new connection and reads one response. */
export async function rawRequest(port: number, text: string): Promise<RawResponse> {
  const conn = await openRaw(port, text);
  try {
    return await readResponse(conn);
  } finally {
    conn.close();
  }
}
