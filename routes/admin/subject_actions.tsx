/**
 * What the subject page's forms do: unlock, delete (after its confirmation page), new
 * recovery codes (shown once, on the answer page) and export (when `EXPORT_ENABLED=true`).
 * The gate has checked the session and the form's CSRF token before any of these runs;
 * each is audited like its API twin. An action that changes state answers with a redirect
 * (post, redirect, get) unless its answer is a secret shown once.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { auditContext } from "../../middleware/context.ts";
import { deleteSubject, RecoveryCodes } from "../../store/recovery_codes.ts";
import { DEFAULT_SUBJECT } from "../../store/state_store.ts";
import { sealForRecipient } from "../export_routes.ts";
import { subjectId, subjectIncarnation, subjectNotFound } from "../subject_lookup.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { field } from "./admin_form.ts";
import { Layout, page, subjectPath } from "./layout.tsx";
import { SubjectPage } from "./subject_pages.tsx";
import { viewOf } from "./subject_view.ts";

/** The subject-action routes. */
export function subjectActionRoutes(deps: AdminDeps): Hono {
  const { audit, subjects, stateStore } = deps;
  const recovery = new RecoveryCodes(stateStore, subjects);

  /** The subject exists (the default one: once it has a seed), else 404. */
  async function existing(id: string): Promise<void> {
    const exists = id === DEFAULT_SUBJECT
      ? deps.seedStore.seed !== null
      : await subjects.get(id) !== null;
    if (!exists) subjectNotFound();
  }

  return new Hono()
    .post("/admin/subjects/:id/unlock", async (c) => {
      const id = subjectId(c);
      await existing(id);
      const cleared = await stateStore.resetFailures(id);
      audit.record(
        "subject.unlocked",
        auditContext(c, {
          subject: id,
          reason: cleared > 0 ? "failures cleared" : "nothing to clear",
        }),
      );
      return c.redirect(`${subjectPath(id)}?done=${cleared > 0 ? "unlocked" : "not-locked"}`, 303);
    })
    .post("/admin/subjects/:id/delete", async (c) => {
      const id = subjectId(c);
      if (id === DEFAULT_SUBJECT) {
        throw new HTTPException(400, { message: "The default subject cannot be deleted." });
      }
      if (!await deleteSubject({ subjects, recovery }, id)) subjectNotFound();
      audit.record("subject.deleted", auditContext(c, { subject: id }));
      return c.redirect("/admin/subjects?done=deleted", 303);
    })
    .post("/admin/subjects/:id/recovery-codes", async (c) => {
      const id = subjectId(c);
      const codes = await recovery.generate(id, subjectIncarnation(deps, id));
      if (codes === null) subjectNotFound();
      audit.record("recovery.generated", auditContext(c, { subject: id, remaining: codes.length }));
      return page(
        c,
        <Layout
          title={`Recovery codes for ${id}`}
          csrf={c.get("adminSession").csrf}
          section="subjects"
          notice="Ten new recovery codes; every earlier one stopped working."
        >
          <p>
            <strong>Shown only now:</strong>{" "}
            the service keeps a keyed hash of each, never the code. Give them to the user to keep
            offline; each works once in place of a code.
          </p>
          <ol class="codes" data-testid="recovery-codes">
            {codes.map((code) => <li>{code}</li>)}
          </ol>
          <p>
            <a href={subjectPath(id)}>Back to {id}</a>
          </p>
        </Layout>,
        201,
      );
    })
    .post("/admin/subjects/:id/export", async (c) => {
      const id = subjectId(c);
      const csrf = c.get("adminSession").csrf;
      if (!deps.security.exportEnabled) {
        throw new HTTPException(403, { message: "Export is off (EXPORT_ENABLED=false)." });
      }
      const pem = field(c.get("adminForm"), "recipient_public_key");
      let sealed;
      try {
        sealed = await sealForRecipient(deps, id, pem);
      } catch (error) {
        if (!(error instanceof HTTPException) || error.status !== 400) throw error;
        const view = await viewOf(deps, id) ?? subjectNotFound();
        return page(
          c,
          <SubjectPage
            view={view}
            csrf={csrf}
            exportEnabled
            errors={[`The recipient key: ${error.message}`]}
            recipientKey={pem.slice(0, 16_384)}
          />,
          400,
        );
      }
      audit.record(
        "seed.exported",
        auditContext(c, { subject: id, fingerprint: sealed.fingerprint }),
      );
      return page(
        c,
        <Layout title={`Sealed export of ${id}`} csrf={csrf} section="subjects">
          <p>
            The seed of{" "}
            <strong>{id}</strong>, RSA-OAEP (SHA-256, MGF1-SHA-256) encrypted to the key with
            SHA-256 fingerprint <code>{sealed.fingerprint}</code>: {sealed.algorithm},{" "}
            {sealed.digits} digits,{" "}
            {sealed.counter === undefined
              ? `${sealed.period} seconds`
              : `HOTP, counter ${sealed.counter}`}.
          </p>
          <label for="encrypted_seed">Encrypted seed (base64)</label>
          <textarea id="encrypted_seed" readonly>{sealed.encrypted_seed}</textarea>
          <p>The recipient decrypts it with:</p>
          <pre><code>base64 -d seed.b64 | openssl pkeyutl -decrypt -inkey recipient.pem -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256</code></pre>
          <p>
            <a href={subjectPath(id)}>Back to {id}</a>
          </p>
        </Layout>,
      );
    });
}
