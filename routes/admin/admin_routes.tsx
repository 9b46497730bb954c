/**
 * The admin console at `/admin`: server-rendered pages (hono/jsx) for operators, mounted by
 * createApp only when `ADMIN_TOKEN` is set (404 otherwise, as for any unknown path). Its
 * middleware is registered on `/admin/*` only, so API requests never run it.
 *
 * Every response of the console carries a strict CSP (`default-src 'self'`, no inline script
 * or style, forms only to this origin, no framing) and the browser-page headers. Every path
 * but the sign-in page and the two assets passes the gate: a live session (else a GET is
 * sent to sign in and a POST is refused with 401), and on a POST the session's CSRF token in
 * the form (else 403). Cross-site posts are refused before any of this, by the request frame
 * (middleware/cross_site.ts), as for the API.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { auditContext } from "../../middleware/context.ts";
import { StateStoreUnavailableError } from "../../store/state_store.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { CSRF_FIELD, readForm, sameToken } from "./admin_form.ts";
import { AdminSessions } from "./admin_sessions.ts";
import { Layout, page } from "./layout.tsx";
import { servedOverTls, sessionCookie } from "./session_cookie.ts";
import { signInRoutes } from "./sign_in_routes.tsx";
import { subjectListRoutes } from "./subject_list_page.tsx";
import { subjectRoutes } from "./subject_pages.tsx";
import { subjectActionRoutes } from "./subject_actions.tsx";
import { enrolRoutes } from "./enrol_pages.tsx";
import { servicePageRoutes } from "./service_page.tsx";
import { assetRoutes } from "./assets.ts";

/** The policy of every console page: this origin only, nothing inline, no framing. */
export const ADMIN_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; " +
  "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; " +
  "object-src 'none'";

/**
 * The browser-page headers (as routes/docs_routes.ts sends). `Referrer-Policy: same-origin`
 * rather than `no-referrer`: under `no-referrer` a browser sends `Origin: null` with a
 * same-origin form post, which the cross-site check must refuse.
 */
const PAGE_HEADERS: readonly (readonly [string, string])[] = [
  ["Content-Security-Policy", ADMIN_CSP],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Referrer-Policy", "same-origin"],
  ["X-Frame-Options", "DENY"],
  ["Permissions-Policy", "camera=(), microphone=(), geolocation=()"],
];

/** Paths reachable without a session. */
const OPEN_PATHS: ReadonlySet<string> = new Set(["/admin/sign-in"]);

const TITLES: Partial<Record<number, string>> = {
  400: "Bad request",
  401: "Sign in first",
  403: "Refused",
  404: "Not found",
  408: "Too slow",
  409: "Conflict",
  413: "Too large",
  415: "Wrong form type",
  429: "Too many attempts",
  503: "Unavailable",
};

/** The console's routes. */
export function adminRoutes(deps: AdminDeps): Hono {
  const sessions = new AdminSessions(deps.stateStore, {
    adminToken: deps.security.adminToken!,
    now: deps.now,
  });
  const { audit, logger } = deps;
  const app = new Hono();

  app.use("/admin/*", async function adminGate(c, next) {
    for (const [name, value] of PAGE_HEADERS) c.header(name, value);
    const path = c.req.path;
    if (OPEN_PATHS.has(path) || path.startsWith("/admin/assets/")) return await next();
    const secure = servedOverTls(c, deps.security.trustProxy);
    const cookie = sessionCookie(c, secure);
    const session = await sessions.resume(cookie);
    if (session === null) {
      if (c.req.method === "GET" || c.req.method === "HEAD") {
        return c.redirect(
          cookie === undefined ? "/admin/sign-in" : "/admin/sign-in?done=ended",
          303,
        );
      }
      audit.record("auth.denied", auditContext(c, { reason: "no console session" }));
      return errorPage(c, 401, "Your session has ended, or you are not signed in.", null);
    }
    c.set("adminSession", session);
    if (c.req.method === "POST") {
      const form = await readForm(c);
      if (!await sameToken(form.get(CSRF_FIELD), session.csrf)) {
        audit.record("auth.denied", auditContext(c, { reason: "console CSRF token" }));
        return errorPage(
          c,
          403,
          "This form was not sent from this session's pages. Open the page again and retry.",
          session.csrf,
        );
      }
      c.set("adminForm", form);
    }
    await next();
  });

  app.get("/admin", (c) => c.redirect("/admin/subjects", 303));
  app.route("/", assetRoutes());
  app.route("/", signInRoutes(deps, sessions));
  app.route("/", subjectListRoutes(deps));
  app.route("/", enrolRoutes(deps));
  app.route("/", subjectActionRoutes(deps));
  app.route("/", subjectRoutes(deps));
  app.route("/", servicePageRoutes(deps));
  // Any other /admin path, signed in: a console 404 page rather than the API's JSON.
  app.all("/admin/*", (c) => errorPage(c, 404, "There is no such page.", csrfOf(c)));

  app.onError((error, c) => {
    if (error instanceof HTTPException) {
      return errorPage(c, error.status as ContentfulStatusCode, error.message, csrfOf(c));
    }
    if (error instanceof StateStoreUnavailableError) {
      logger.warn("State store unavailable", { requestId: c.get("requestId") });
      return errorPage(
        c,
        503,
        "The state store does not answer. Try again in a moment.",
        csrfOf(c),
      );
    }
    logger.error("Unexpected error", { requestId: c.get("requestId"), error: error.name });
    return errorPage(c, 500, "Something went wrong. The log has the details.", csrfOf(c));
  });
  return app;
}

/** The signed-in session's CSRF token, for the navigation of an error page. */
function csrfOf(c: Context): string | null {
  return (c.get("adminSession") as { csrf: string } | undefined)?.csrf ?? null;
}

/** An error page with the status, what happened, and a way on. */
function errorPage(
  c: Context,
  status: ContentfulStatusCode,
  message: string,
  csrf: string | null,
): Response | Promise<Response> {
  return page(
    c,
    <Layout title={TITLES[status] ?? "Error"} csrf={csrf} errors={[message]}>
      <p>
        {csrf === null
          ? <a href="/admin/sign-in">Sign in</a>
          : <a href="/admin/subjects">Back to the subjects</a>}
      </p>
    </Layout>,
    status,
  );
}
