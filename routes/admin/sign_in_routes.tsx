/**
 * Signing in and out of the console. Sign-in takes the admin token in a form (one input,
 * `name="token"`), compared in constant time like the API's bearer tokens, and answers a
 * wrong one with 401 and an `auth.denied` audit event. Every attempt is a request that the
 * API's per-client rate limit counts, and a wrong token spends the same per-client budget as
 * a wrong bearer token on the API (middleware/wrong_token_throttle.ts: ten, then one every
 * 90 s, even with `RATE_LIMIT_PER_MINUTE=0`); once it is spent even the right token is 429,
 * so a throttled guesser learns nothing. A right one begins a new session (any session the
 * browser held is ended first) and sets its cookie.
 *
 * The sign-in form's CSRF token is a double submit: the same random value in the form and in
 * a cookie only the sign-in path receives, since there is no session yet to hold it.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import type { AuditLog } from "../../observability/audit.ts";
import { auditContext } from "../../middleware/context.ts";
import { setRetryAfter } from "../../middleware/retry_after.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { CSRF_FIELD, field, readForm, sameToken } from "./admin_form.ts";
import { type AdminSessions, randomToken } from "./admin_sessions.ts";
import { CsrfField, Layout, page } from "./layout.tsx";
import {
  clearSessionCookie,
  clearSignInCookie,
  servedOverTls,
  sessionCookie,
  setSessionCookie,
  setSignInCookie,
  signInCookie,
} from "./session_cookie.ts";

/** The notice for `?done=`, from NOTICES' own entries only (`done=constructor` is none). */
function noticeFor(done: string | undefined): string | null {
  return done !== undefined && Object.hasOwn(NOTICES, done) ? NOTICES[done]! : null;
}

/** What the sign-in page may say about how the visitor got there. */
const NOTICES: Readonly<Record<string, string>> = {
  "signed-out": "You are signed out.",
  "ended": "Your session ended (30 minutes without use, or signed out elsewhere). Sign in again.",
};

function SignInPage(props: { csrf: string; notice?: string | null; errors?: string[] }) {
  return (
    <Layout title="Sign in" csrf={null} notice={props.notice ?? null} errors={props.errors ?? []}>
      <form method="post" action="/admin/sign-in" class="stack narrow">
        <CsrfField token={props.csrf} />
        <label for="token">Admin token</label>
        <p class="hint" id="token-hint">The service's ADMIN_TOKEN.</p>
        <input
          id="token"
          name="token"
          type="password"
          required
          autocomplete="current-password"
          aria-describedby="token-hint"
          maxlength={1024}
        />
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

/** The sign-in page with 429: the client's wrong tokens are spent (wrong_token_throttle.ts). */
function tooManyAttempts(
  c: Context,
  audit: AuditLog,
  secure: boolean,
  waitMs: number,
): Response | Promise<Response> {
  audit.record("rate.limited", auditContext(c, { reason: "wrong tokens" }));
  setRetryAfter(c, waitMs);
  const csrf = randomToken();
  setSignInCookie(c, csrf, secure);
  const minutes = Math.ceil(waitMs / 60_000);
  return page(
    c,
    <SignInPage
      csrf={csrf}
      errors={[
        `Too many wrong tokens from your address. Try again in ${minutes} minute${
          minutes === 1 ? "" : "s"
        }.`,
      ]}
    />,
    429,
  );
}

/** The sign-in and sign-out routes. */
export function signInRoutes(deps: AdminDeps, sessions: AdminSessions): Hono {
  const { audit, security } = deps;
  const adminToken = security.adminToken!;
  const tls = (c: Parameters<typeof servedOverTls>[0]) => servedOverTls(c, security.trustProxy);

  return new Hono()
    .get("/admin/sign-in", async (c) => {
      const secure = tls(c);
      if (await sessions.resume(sessionCookie(c, secure)) !== null) {
        return c.redirect("/admin/subjects", 303);
      }
      const csrf = randomToken();
      setSignInCookie(c, csrf, secure);
      return page(
        c,
        <SignInPage csrf={csrf} notice={noticeFor(c.req.query("done"))} />,
      );
    })
    .post("/admin/sign-in", async (c) => {
      const secure = tls(c);
      const form = await readForm(c);
      const expected = signInCookie(c, secure);
      if (expected === undefined || !await sameToken(form.get(CSRF_FIELD), expected)) {
        audit.record("auth.denied", auditContext(c, { reason: "console sign-in form forged" }));
        const csrf = randomToken();
        setSignInCookie(c, csrf, secure);
        return page(
          c,
          <SignInPage
            csrf={csrf}
            errors={["This form expired or was sent from another page. Sign in again here."]}
          />,
          403,
        );
      }
      const client = c.get("client");
      const token = field(form, "token");
      // A token is a guess whether it comes here or to the API: one budget for both.
      const waitMs = token === "" ? 0 : deps.wrongTokens?.waitMs(client) ?? 0;
      if (waitMs > 0) return tooManyAttempts(c, audit, secure, waitMs);
      if (!await sameToken(token, adminToken)) {
        audit.record(
          "auth.denied",
          auditContext(c, { reason: form.has("token") ? "wrong token" : "no token" }),
        );
        const blockedMs = token === "" ? 0 : await deps.wrongTokens?.wrong(client) ?? 0;
        if (blockedMs > 0) return tooManyAttempts(c, audit, secure, blockedMs);
        const csrf = randomToken();
        setSignInCookie(c, csrf, secure);
        return page(c, <SignInPage csrf={csrf} errors={["That is not the admin token."]} />, 401);
      }
      // A new id at every sign-in: whatever session id the browser brought is ended, never
      // promoted (session fixation).
      await sessions.end(sessionCookie(c, secure));
      const session = await sessions.create();
      setSessionCookie(c, session.id, secure);
      clearSignInCookie(c, secure);
      audit.record("admin.signed_in", auditContext(c));
      return c.redirect("/admin/subjects", 303);
    })
    .post("/admin/sign-out", async (c) => {
      // The console's gate has checked the session and the form's CSRF token.
      const secure = tls(c);
      await sessions.end(c.get("adminSession").id);
      clearSessionCookie(c, secure);
      audit.record("admin.signed_out", auditContext(c));
      return c.redirect("/admin/sign-in?done=signed-out", 303);
    });
}
