/**
 * The console's cookies: the session cookie and the sign-in form's CSRF cookie. Both are
 * `HttpOnly` (no script reads them), `SameSite=Strict` (no other site's page sends them),
 * scoped to `/admin`, and `Secure` when the page was served over TLS.
 *
 * Served over TLS means: the request reached this process as `https:` (a TLS listener), or
 * — only with `TRUST_PROXY=true`, behind a reverse proxy you run — the proxy said so in
 * `X-Forwarded-Proto: https` (the last entry, the one the proxy set). A client's own claim
 * without a trusted proxy is ignored. Over TLS the session cookie is also named with the
 * `__Secure-` prefix, which browsers refuse to accept without `Secure` from a secure page.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";

const SESSION = "pki2fa_admin";
const SIGN_IN = "pki2fa_admin_sign_in";

/** Whether the client reached the service over TLS (see the module's rule). */
export function servedOverTls(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  if (!trustProxy) return false;
  const proto = c.req.header("x-forwarded-proto")?.split(",").at(-1)?.trim().toLowerCase();
  return proto === "https";
}

function name(base: string, secure: boolean): string {
  return secure ? `__Secure-${base}` : base;
}

/** The session cookie's value, if the request has one. */
export function sessionCookie(c: Context, secure: boolean): string | undefined {
  return getCookie(c, name(SESSION, secure));
}

/** Sets the session cookie: no `Max-Age`, so it also ends with the browser. */
export function setSessionCookie(c: Context, id: string, secure: boolean): void {
  setCookie(c, name(SESSION, secure), id, {
    path: "/admin",
    httpOnly: true,
    secure,
    sameSite: "Strict",
  });
}

/** Tells the browser to drop the session cookie. */
export function clearSessionCookie(c: Context, secure: boolean): void {
  deleteCookie(c, name(SESSION, secure), { path: "/admin", secure, httpOnly: true });
}

/** The sign-in form's CSRF cookie (double submit: the form carries the same value). */
export function signInCookie(c: Context, secure: boolean): string | undefined {
  return getCookie(c, name(SIGN_IN, secure));
}

/** Sets the sign-in form's CSRF cookie, good for an hour, sent only to the sign-in path. */
export function setSignInCookie(c: Context, token: string, secure: boolean): void {
  setCookie(c, name(SIGN_IN, secure), token, {
    path: "/admin/sign-in",
    httpOnly: true,
    secure,
    sameSite: "Strict",
    maxAge: 3600,
  });
}

/** Drops the sign-in form's cookie once it has served. */
export function clearSignInCookie(c: Context, secure: boolean): void {
  deleteCookie(c, name(SIGN_IN, secure), { path: "/admin/sign-in", secure, httpOnly: true });
}
