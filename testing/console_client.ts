/**
 * A browser stand-in for the admin console's route tests: it keeps cookies (by path, with
 * `Max-Age=0` removals), sends forms as a same-origin browser would (`Origin`,
 * `Sec-Fetch-Site: same-origin`, URL-encoded), and picks the CSRF token out of each page, all
 * through `app.request()` with no port.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { OpenAPIHono } from "@hono/zod-openapi";

/** The admin token the console tests use. */
export const CONSOLE_ADMIN_TOKEN = "console-admin-token-0123456789";

/** A page as the client got it. */
export interface ConsolePage {
  status: number;
  html: string;
  headers: Headers;
}

interface Cookie {
  value: string;
  path: string;
}

/** Options of one request. */
export interface ConsoleRequestOptions {
  /** Form fields; `csrf` is added from the last page unless given (`null`: left out). */
  form?: Record<string, string>;
  /** The CSRF token to send instead of the page's; `null` sends none. */
  csrf?: string | null;
  /** Extra or replacing headers. */
  headers?: Record<string, string>;
  /** A raw body instead of `form`. */
  body?: string;
}

/** Sends one request to the service; redirects are not followed. */
export type Send = (path: string, init: RequestInit) => Promise<Response>;

/** One browser's cookies and the CSRF token of the last page it saw. */
export class ConsoleClient {
  #send: Send;
  #origin: string;
  readonly cookies = new Map<string, Cookie>();
  /** The CSRF token of the last page with a form. */
  csrf: string | null = null;

  /** A client of an app in this process (`app.request()`), or of a running service's URL. */
  constructor(target: OpenAPIHono | string) {
    if (typeof target === "string") {
      this.#origin = new URL(target).origin;
      this.#send = (path, init) => fetch(target + path, { ...init, redirect: "manual" });
    } else {
      this.#origin = "http://localhost";
      this.#send = (path, init) => Promise.resolve(target.request(path, init));
    }
  }

  /** The `Cookie` header this client sends to `path`. */
  cookieHeader(path: string): string {
    return [...this.cookies].filter(([, c]) => path.startsWith(c.path))
      .map(([name, c]) => `${name}=${c.value}`).join("; ");
  }

  /** Sends a request and keeps what the response sets. */
  async request(
    method: string,
    path: string,
    options: ConsoleRequestOptions = {},
  ): Promise<ConsolePage> {
    const headers: Record<string, string> = {};
    const cookie = this.cookieHeader(path.split("?")[0]!);
    if (cookie !== "") headers.cookie = cookie;
    let body: string | undefined = options.body;
    if (method === "POST") {
      headers.origin = this.#origin;
      headers["sec-fetch-site"] = "same-origin";
      if (body === undefined) {
        const csrf = options.csrf === undefined ? this.csrf : options.csrf;
        const fields = { ...(csrf === null ? {} : { csrf }), ...options.form };
        body = new URLSearchParams(fields).toString();
        headers["content-type"] = "application/x-www-form-urlencoded";
      }
    }
    Object.assign(headers, options.headers);
    const response = await this.#send(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    for (const line of response.headers.getSetCookie()) this.#keep(line);
    const html = await response.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    if (csrf !== undefined) this.csrf = csrf;
    return { status: response.status, html, headers: response.headers };
  }

  /** GET a page. */
  get(path: string, options: ConsoleRequestOptions = {}): Promise<ConsolePage> {
    return this.request("GET", path, options);
  }

  /** POST a form, with the last page's CSRF token. */
  post(
    path: string,
    form: Record<string, string> = {},
    options: ConsoleRequestOptions = {},
  ): Promise<ConsolePage> {
    return this.request("POST", path, { ...options, form });
  }

  /** Opens the sign-in page and signs in; asserts it worked. */
  async signIn(token = CONSOLE_ADMIN_TOKEN): Promise<void> {
    assert.equal((await this.get("/admin/sign-in")).status, 200);
    const signedIn = await this.post("/admin/sign-in", { token });
    assert.equal(signedIn.status, 303, signedIn.html);
    assert.equal(signedIn.headers.get("location"), "/admin/subjects");
    const list = await this.get("/admin/subjects");
    assert.equal(list.status, 200);
  }

  /** The session cookie's value, if any. */
  session(): string | undefined {
    return this.cookies.get("pki2fa_admin")?.value;
  }

  #keep(line: string): void {
    const [pair, ...attributes] = line.split(";").map((part) => part.trim());
    const at = pair!.indexOf("=");
    const name = pair!.slice(0, at);
    const value = pair!.slice(at + 1);
    const attribute = (key: string) =>
      attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.split("=")[1];
    if (attribute("max-age") === "0") {
      this.cookies.delete(name);
      return;
    }
    this.cookies.set(name, { value, path: attribute("path") ?? "/" });
  }
}

/** The visible text of some HTML: tags dropped, entities of the page decoded, spaces folded. */
export function textOf(html: string): string {
  return html.replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&").replace(/\s+/g, " ").trim();
}

/** The text of each `<tr>` in a page's first `<tbody>`. */
export function tableRows(html: string): string[] {
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? "";
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((m) => textOf(m[1]!));
}

/** The text of the page's error box, or `null`. */
export function errorsOf(html: string): string | null {
  const box = /<div class="errors" role="alert">([\s\S]*?)<\/div>/.exec(html)?.[1];
  return box === undefined ? null : textOf(box);
}

/** The text of the page's notice, or `null`. */
export function noticeOf(html: string): string | null {
  const notice = /<p class="notice" role="status">([\s\S]*?)<\/p>/.exec(html)?.[1];
  return notice === undefined ? null : textOf(notice);
}
