/**
 * `GET /admin/service`: the service at a glance — the default seed, the public keys with
 * their fingerprints (kid) and status (`GET /v1/keys`'s list: seed encryption, and the
 * audit signing key when the audit file is on), the state store, the readiness checks of
 * `GET /ready`, and this process's last audit events (observability/recent_audit.ts),
 * which never hold a secret.
 *
 * @module
 */
import { Hono } from "hono";
import type { RecentAuditEvent } from "../../observability/recent_audit.ts";
import { readinessChecks } from "../health_routes.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { Layout, page, subjectPath } from "./layout.tsx";

/** The rest of an audit event, as one line. */
function detail(event: RecentAuditEvent): string {
  const parts: string[] = [];
  if (event.reason) parts.push(event.reason);
  if (event.remaining !== undefined) parts.push(`${event.remaining} left`);
  if (event.fingerprint) parts.push(`key ${event.fingerprint.slice(0, 16)}…`);
  if (event.kid) parts.push(`kid ${event.kid.slice(0, 16)}…`);
  if (event.previousKid) parts.push(`was ${event.previousKid.slice(0, 16)}…`);
  return parts.join("; ");
}

function AuditTable(props: { events: RecentAuditEvent[] }) {
  if (props.events.length === 0) return <p>No audit events since this process started.</p>;
  return (
    <table class="stacked">
      <caption>Newest first, at most 50, from this process since it started</caption>
      <thead>
        <tr>
          <th scope="col">Time (UTC)</th>
          <th scope="col">Event</th>
          <th scope="col">Subject</th>
          <th scope="col">Client</th>
          <th scope="col">Detail</th>
        </tr>
      </thead>
      <tbody>
        {props.events.map((event) => (
          <tr>
            <td data-label="Time (UTC)">{event.time.slice(0, 19).replace("T", " ")}</td>
            <td data-label="Event">{event.event}</td>
            <td data-label="Subject">
              {event.subject ? <a href={subjectPath(event.subject)}>{event.subject}</a> : "—"}
            </td>
            <td data-label="Client">{event.client ?? "—"}</td>
            <td data-label="Detail">{detail(event) || "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The service page route. */
export function servicePageRoutes(deps: AdminDeps): Hono {
  return new Hono().get("/admin/service", async (c) => {
    const [{ ready, checks }, dataKey] = await Promise.all([
      readinessChecks(deps),
      deps.subjects.status().catch(() => "unavailable" as const),
    ]);
    const seed = deps.seedStore.seed;
    return page(
      c,
      <Layout title="Service" csrf={c.get("adminSession").csrf} section="service">
        <h2>Default seed</h2>
        <p>
          {seed === null
            ? "No seed yet: POST /decrypt-seed or PUT /v1/subjects/default/seed stores one."
            : (
              <>
                Loaded (seed id <code>{seed.id.slice(0, 16)}…</code>).{" "}
                <a href={subjectPath("default")}>Its state</a>
              </>
            )}
        </p>
        <h2>Keys</h2>
        <table class="stacked">
          <caption>
            As GET /v1/keys publishes them; kid is the SHA-256 of the key's SPKI DER
          </caption>
          <thead>
            <tr>
              <th scope="col">Use</th>
              <th scope="col">Status</th>
              <th scope="col">Fingerprint (kid)</th>
            </tr>
          </thead>
          <tbody>
            {deps.publishedKeys.map((key) => (
              <tr>
                <td data-label="Use">{key.use}</td>
                <td data-label="Status">{key.status}</td>
                <td data-label="Fingerprint (kid)">
                  <code>{key.kid}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {deps.publishedKeys.some((key) => key.use === "audit")
          ? null
          : <p>No audit signing key: the audit file (AUDIT_LOG_FILE) is off.</p>}
        <h2>State store</h2>
        <dl class="facts">
          <dt>Kind</dt>
          <dd>
            {deps.stateStoreKind === "redis"
              ? "Redis (shared by replicas)"
              : "Deno KV (this process)"}
          </dd>
          <dt>Answering</dt>
          <dd>{checks.state_store === "ok" ? "yes" : "no"}</dd>
          <dt>Subject data key</dt>
          <dd>{dataKey}</dd>
        </dl>
        <h2>Readiness</h2>
        <p>{ready ? "Ready (GET /ready answers 200)." : "Not ready (GET /ready answers 503)."}</p>
        <table class="stacked">
          <caption>The checks of GET /ready</caption>
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(checks).map(([name, value]) => (
              <tr>
                <td data-label="Check">{name}</td>
                <td data-label="Result">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Recent audit events</h2>
        <AuditTable events={deps.recentAudit.recent()} />
      </Layout>,
    );
  });
}
