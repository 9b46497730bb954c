/**
 * The frame of every console page — skip link, navigation, sign-out, one `<h1>`, notices
 * and errors — and the helpers pages share. Server-rendered with hono/jsx: the markup is the
 * whole page, every value escaped by JSX, no script and no inline style (the CSP forbids
 * both), so each page works without JavaScript.
 *
 * @module
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { CSRF_FIELD } from "./admin_form.ts";

/** Where the console's two assets are served. */
export const CSS_PATH = "/admin/assets/console.css";
export const ICON_PATH = "/admin/assets/icon.svg";

/** The console's sections, for the navigation. */
export type Section = "subjects" | "enrol" | "service";

/** What the layout shows. */
export interface LayoutProps {
  title: string;
  /** The session's CSRF token; `null` on the sign-in pages (no navigation). */
  csrf: string | null;
  section?: Section;
  /** A confirmation of what was just done (announced politely). */
  notice?: string | null;
  /** What went wrong (announced at once). */
  errors?: readonly string[];
  children?: Child;
}

const SECTIONS: readonly [Section, string, string][] = [
  ["subjects", "/admin/subjects", "Subjects"],
  ["enrol", "/admin/enrol", "Enrol"],
  ["service", "/admin/service", "Service"],
];

/** The page frame. */
export function Layout(props: LayoutProps): Child {
  const errors = props.errors ?? [];
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · pki-2fa admin</title>
        <link rel="stylesheet" href={CSS_PATH} />
        <link rel="icon" href={ICON_PATH} type="image/svg+xml" />
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <p class="brand">pki-2fa admin</p>
          {props.csrf === null ? null : (
            <nav aria-label="Console">
              <ul>
                {SECTIONS.map(([section, href, label]) => (
                  <li>
                    <a href={href} aria-current={props.section === section ? "page" : undefined}>
                      {label}
                    </a>
                  </li>
                ))}
              </ul>
              <form method="post" action="/admin/sign-out" class="inline">
                <CsrfField token={props.csrf} />
                <button type="submit" class="secondary">Sign out</button>
              </form>
            </nav>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.notice ? <p class="notice" role="status">{props.notice}</p> : null}
          {errors.length > 0
            ? (
              <div class="errors" role="alert">
                <p>{errors.length === 1 ? "There is a problem:" : "There are problems:"}</p>
                <ul>
                  {errors.map((error) => <li>{error}</li>)}
                </ul>
              </div>
            )
            : null}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** The hidden CSRF field every form carries. */
export function CsrfField(props: { token: string }): Child {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

/** A time as `2025-11-24 16:20:15 UTC`, machine-readable in `datetime`; `—` for none. */
export function Time(props: { ms: number | null }): Child {
  if (props.ms === null) {
    return (
      <>
        <span aria-hidden="true">—</span>
        <span class="sr-only">none</span>
      </>
    );
  }
  const iso = new Date(props.ms).toISOString();
  return <time datetime={iso}>{iso.slice(0, 19).replace("T", " ")} UTC</time>;
}

/** Renders a page: the doctype and the element, with the status. */
export function page(
  c: Context,
  element: Child,
  status: ContentfulStatusCode = 200,
): Response | Promise<Response> {
  return c.html(html`<!doctype html>${element}`, status);
}

/** A path segment for a subject id (ids are `[A-Za-z0-9._@-]`; `@` is escaped anyway). */
export function subjectPath(id: string, action = ""): string {
  return `/admin/subjects/${encodeURIComponent(id)}${action === "" ? "" : `/${action}`}`;
}
