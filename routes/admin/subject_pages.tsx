/**
 * A subject's page (`GET /admin/subjects/{id}`): what the API shows of it, the failures an
 * unlock clears, and a form per action — unlock, new recovery codes, export when
 * `EXPORT_ENABLED=true`, and delete, which first asks on a page of its own
 * (`GET /admin/subjects/{id}/delete`).
 *
 * @module
 */
import { Hono } from "hono";
import type { Child } from "hono/jsx";
import { DEFAULT_SUBJECT } from "../../store/state_store.ts";
import { subjectId, subjectNotFound } from "../subject_lookup.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { CsrfField, Layout, page, subjectPath, Time } from "./layout.tsx";
import { type SubjectView, viewOf } from "./subject_view.ts";

/** The notice for `?done=`, from NOTICES' own entries only (`done=constructor` is none). */
function noticeFor(done: string | undefined): string | null {
  return done !== undefined && Object.hasOwn(NOTICES, done) ? NOTICES[done]! : null;
}

/** What the subject page may confirm after an action. */
const NOTICES: Readonly<Record<string, string>> = {
  unlocked: "Unlocked: the failure count and the lock are cleared.",
  "not-locked": "There was nothing to unlock: no failures and no lock.",
  confirmed: "Enrolment confirmed: the subject verifies from now on.",
  "already-confirmed": "Already confirmed: the enrolment was complete before this code.",
};

function Fact(props: { term: string; children?: Child }) {
  return (
    <>
      <dt>{props.term}</dt>
      <dd>{props.children}</dd>
    </>
  );
}

function Facts(props: { view: SubjectView }) {
  const v = props.view;
  const lastUse = v.lastUse === null
    ? <Time ms={null} />
    : v.lastUse.kind === "time"
    ? <Time ms={v.lastUse.ms} />
    : <>counter {v.lastUse.value.toString()}</>;
  const when = (iso: string | null) => iso === null ? "—" : <Time ms={Date.parse(iso)} />;
  return (
    <dl class="facts">
      <Fact term="Type">{v.type.toUpperCase()}</Fact>
      <Fact term="Algorithm">{v.algorithm}</Fact>
      <Fact term="Digits">{String(v.digits)}</Fact>
      {v.type === "totp"
        ? <Fact term="Period">{v.period} seconds</Fact>
        : <Fact term="Next counter">{(v.counter ?? 0n).toString()}</Fact>}
      <Fact term="Issuer">{v.issuer ?? "—"}</Fact>
      <Fact term="Account name">{v.account_name ?? "—"}</Fact>
      <Fact term="Enrolment">{v.confirmed ? "confirmed" : "waiting for its first code"}</Fact>
      <Fact term="Failed attempts">{String(v.failures)}</Fact>
      <Fact term="Locked until">
        <Time ms={v.lockedUntilMs} />
      </Fact>
      <Fact term="Last accepted use">{lastUse}</Fact>
      <Fact term="Recovery codes left">{String(v.recoveryCodesLeft)}</Fact>
      <Fact term="Created">{when(v.created_at)}</Fact>
      <Fact term="Updated">{when(v.updated_at)}</Fact>
      {v.serial_no ? <Fact term="Serial number">{v.serial_no}</Fact> : null}
      {v.manufacturer ? <Fact term="Manufacturer">{v.manufacturer}</Fact> : null}
    </dl>
  );
}

/** The subject page's body; the export form's error and value come back after a bad key. */
export function SubjectPage(
  props: {
    view: SubjectView;
    csrf: string;
    exportEnabled: boolean;
    notice?: string | null;
    errors?: string[];
    recipientKey?: string;
  },
): Child {
  const { view, csrf } = props;
  const id = view.id;
  return (
    <Layout
      title={`Subject ${id}`}
      csrf={csrf}
      section="subjects"
      notice={props.notice ?? null}
      errors={props.errors ?? []}
    >
      <Facts view={view} />
      {view.confirmed ? null : (
        <p>
          <a href={subjectPath(id, "enrolment")}>Show the QR code and confirm the enrolment</a>
        </p>
      )}
      <div class="actions">
        <section aria-labelledby="unlock-h">
          <h2 id="unlock-h">Unlock</h2>
          <p>Clears the failure count and any lock, so the next right code is accepted.</p>
          <form method="post" action={subjectPath(id, "unlock")}>
            <CsrfField token={csrf} />
            <button type="submit">Unlock {id}</button>
          </form>
        </section>
        <section aria-labelledby="recovery-h">
          <h2 id="recovery-h">Recovery codes</h2>
          <p>Ten new one-time codes; every earlier code stops working. Shown once.</p>
          <form method="post" action={subjectPath(id, "recovery-codes")}>
            <CsrfField token={csrf} />
            <button type="submit">Make new recovery codes</button>
          </form>
        </section>
        {props.exportEnabled
          ? (
            <section aria-labelledby="export-h">
              <h2 id="export-h">Export</h2>
              <form method="post" action={subjectPath(id, "export")} class="stack">
                <CsrfField token={csrf} />
                <label for="recipient_public_key">Recipient's RSA public key (PEM)</label>
                <p class="hint" id="recipient-hint">
                  The seed is encrypted to this key (RSA-OAEP, SHA-256); only its holder can read
                  it.
                </p>
                <textarea
                  id="recipient_public_key"
                  name="recipient_public_key"
                  required
                  maxlength={16384}
                  aria-describedby="recipient-hint"
                >
                  {props.recipientKey ?? ""}
                </textarea>
                <button type="submit">Export sealed seed</button>
              </form>
            </section>
          )
          : null}
        {id === DEFAULT_SUBJECT ? null : (
          <section aria-labelledby="delete-h">
            <h2 id="delete-h">Delete</h2>
            <p>Removes the subject, its state and its recovery codes. You will be asked first.</p>
            <p>
              <a class="button" href={subjectPath(id, "delete")}>Delete {id}…</a>
            </p>
          </section>
        )}
      </div>
    </Layout>
  );
}

/** The subject page and the delete confirmation page. */
export function subjectRoutes(deps: AdminDeps): Hono {
  return new Hono()
    .get("/admin/subjects/:id", async (c) => {
      const view = await viewOf(deps, subjectId(c)) ?? subjectNotFound();
      return page(
        c,
        <SubjectPage
          view={view}
          csrf={c.get("adminSession").csrf}
          exportEnabled={deps.security.exportEnabled}
          notice={noticeFor(c.req.query("done"))}
        />,
      );
    })
    .get("/admin/subjects/:id/delete", async (c) => {
      const id = subjectId(c);
      if (id === DEFAULT_SUBJECT || await deps.subjects.get(id) === null) subjectNotFound();
      const csrf = c.get("adminSession").csrf;
      return page(
        c,
        <Layout title={`Delete ${id}?`} csrf={csrf} section="subjects">
          <p>
            Deleting <strong>{id}</strong>{" "}
            removes its seed, its state and its recovery codes. Its authenticator app's codes stop
            working at once. This cannot be undone.
          </p>
          <form method="post" action={subjectPath(id, "delete")} class="inline">
            <CsrfField token={csrf} />
            <button type="submit" class="danger">Delete {id}</button>
          </form>{" "}
          <a href={subjectPath(id)}>Keep it</a>
        </Layout>,
      );
    });
}
