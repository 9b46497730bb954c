import { fileURLToPath } from "node:url";

/** A file URL as a path. */
export function fromFileUrl(url: URL): string {
  return fileURLToPath(url);
}

/** The project root. */
export const ROOT: string = fromFileUrl(new URL("..", import.meta.url));

const encoder = new TextEncoder();

/** A progress line on standard error (the report goes to files). */
export function say(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}
