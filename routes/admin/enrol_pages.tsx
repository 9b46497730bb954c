/**
 * Enrolment in the console, in three steps that each work without JavaScript:
 *
 * 1. `GET /admin/enrol`: a form (subject id, issuer, account name, and the optional
 *    algorithm, digits and period). `POST` makes a random seed, stores the subject marked
 *    unconfirmed (`confirmed: false`; the API's verify answers 409 for it) and redirects.
 * 2. `GET /admin/subjects/{id}/enrolment`: the QR code (inline SVG, made in-process), the
 *    base32 secret for typing in by hand, and a form for the first code. Shown again on
 *    request while the subject is unconfirmed, so a reload or a wrong code loses nothing;
 *    never once it is confirmed.
 * 3. `POST /admin/subjects/{id}/confirm`: the code is verified like any other (it is used
 *    up, and a wrong one counts towards the lock), and then the record is marked confirmed
 *    only if it still holds the seed the code was checked against.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { raw } from "hono/html";
import { base32nopad } from "@scure/base";
import { z } from "zod";
import { OTP_ALGORITHMS, SECRET_BYTES } from "../../crypto/otp_algorithm.ts";
import { otpauthUri } from "../../crypto/otpauth_uri.ts";
import { auditContext } from "../../middleware/context.ts";
import { setRetryAfter } from "../../middleware/retry_after.ts";
import { DEFAULT_SUBJECT } from "../../store/state_store.ts";
import type { SubjectRecord } from "../../store/subject_store.ts";
import { verifyGuarded } from "../../store/verifier.ts";
import { labelProblem } from "../otp_labels.ts";
import { qrSvg } from "../qr_svg.ts";
import { subjectId, subjectNotFound } from "../subject_lookup.ts";
import { RESERVED_ID_PREFIX_MESSAGE, SUBJECT_ID } from "../v1_schemas.ts";
import type { AdminDeps } from "./admin_deps.ts";
import { field, type FormFields } from "./admin_form.ts";
import { CsrfField, Layout, page, subjectPath } from "./layout.tsx";
import { EnrolForm, type EnrolValues } from "./enrol_form.tsx";

/** A label field: present, at most 200 characters, and what the API accepts (`labelProblem`). */
const label = (name: string, key: "issuer" | "account_name") =>
  z.string().min(1, `${name} is required`).max(200, `${name} must be at most 200 characters`)
    .superRefine((value, ctx) => {
      const problem = labelProblem(key, value);
      if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
    });

/** The enrolment form as parsed. */
const EnrolInput = z.object({
  subject: z.string().refine((id) => !id.startsWith("_"), RESERVED_ID_PREFIX_MESSAGE).regex(
    SUBJECT_ID,
    "Subject id must be 1 to 128 letters, digits, dots, hyphens, underscores or @",
  ).refine((id) => id !== DEFAULT_SUBJECT, "The default subject cannot be enrolled here"),
  issuer: label("Issuer", "issuer"),
  account_name: label("Account name", "account_name"),
  algorithm: z.enum(OTP_ALGORITHMS, { error: "Algorithm must be SHA1, SHA256 or SHA512" }),
  digits: z.enum(["6", "8"], { error: "Digits must be 6 or 8" })
    .transform((digits) => digits === "8" ? 8 as const : 6 as const),
  period: z.string().regex(/^\d{1,3}$/, "Period must be a whole number of seconds")
    .transform(Number).refine((p) => p >= 15 && p <= 120, "Period must be 15 to 120 seconds"),
});

function valuesOf(form: FormFields): EnrolValues {
  return {
    subject: field(form, "subject"),
    issuer: field(form, "issuer"),
    account_name: field(form, "account_name"),
    algorithm: field(form, "algorithm") || "SHA1",
    digits: field(form, "digits") || "6",
    period: field(form, "period") || "30",
  };
}

/** The secret in groups of four, as authenticator apps show it. */
function grouped(base32: string): string {
  return base32.match(/.{1,4}/g)!.join(" ");
}

/** The enrolment pages and forms. */
export function enrolRoutes(deps: AdminDeps): Hono {
  const { audit, subjects } = deps;

  async function enrolmentPage(
    c: Context,
    record: SubjectRecord,
    errors: string[] = [],
    status: 200 | 422 | 429 = 200,
  ) {
    const secret = await subjects.secretOf(record);
    const uri = otpauthUri({
      issuer: record.issuer,
      accountName: record.account_name ?? record.id,
      secret,
      algorithm: record.algorithm,
      digits: record.digits,
      period: record.period,
    });
    const base32 = base32nopad.encode(secret);
    secret.fill(0);
    const svg = await qrSvg(uri);
    const id = record.id;
    return page(
      c,
      <Layout
        title={`Enrol ${id}`}
        csrf={c.get("adminSession").csrf}
        section="enrol"
        errors={errors}
      >
        <p>
          The enrolment counts once the user's app gives its first code. Until then {id}{" "}
          verifies nothing through the API.
        </p>
        <h2>1. Scan the QR code with the authenticator app</h2>
        <div
          class="qr"
          data-testid="qr"
          role="img"
          aria-label={`QR code enrolling ${id} (${record.issuer ?? "no issuer"})`}
        >
          {raw(svg)}
        </div>
        <h2>2. Or type the secret in by hand</h2>
        <p class="secret" data-testid="secret">{grouped(base32)}</p>
        <p class="hint">
          Time-based, {record.algorithm}, {record.digits} digits, every {record.period} seconds.
        </p>
        <h2>3. Confirm with the first code</h2>
        <form method="post" action={subjectPath(id, "confirm")} class="stack">
          <CsrfField token={c.get("adminSession").csrf} />
          <label for="code">Code from the app</label>
          <input
            id="code"
            name="code"
            inputmode="numeric"
            autocomplete="one-time-code"
            pattern={`[0-9]{${record.digits}}`}
            maxlength={record.digits}
            required
          />
          <button type="submit">Confirm enrolment</button>
        </form>
      </Layout>,
      status,
    );
  }

  return new Hono()
    .get(
      "/admin/enrol",
      (c) => page(c, <EnrolForm csrf={c.get("adminSession").csrf} values={valuesOf(new Map())} />),
    )
    .post("/admin/enrol", async (c) => {
      const values = valuesOf(c.get("adminForm"));
      const csrf = c.get("adminSession").csrf;
      const parsed = EnrolInput.safeParse(values);
      if (!parsed.success) {
        const errors = parsed.error.issues.map((issue) => issue.message);
        return page(c, <EnrolForm csrf={csrf} values={values} errors={errors} />, 400);
      }
      const { subject: id, ...params } = parsed.data;
      const secret = crypto.getRandomValues(new Uint8Array(SECRET_BYTES[params.algorithm]));
      const { outcome } = await subjects.put(id, secret, { ...params, confirmed: false }, {
        now: deps.now(),
        ifAbsent: true,
      });
      secret.fill(0);
      if (outcome === "exists") {
        const errors = [`Subject "${id}" already exists. Choose another id, or delete it first.`];
        return page(c, <EnrolForm csrf={csrf} values={values} errors={errors} />, 409);
      }
      audit.record("seed.set", auditContext(c, { subject: id, reason: "enrolled (console)" }));
      return c.redirect(subjectPath(id, "enrolment"), 303);
    })
    .get("/admin/subjects/:id/enrolment", async (c) => {
      const id = subjectId(c);
      const record = await subjects.get(id) ?? subjectNotFound();
      // Confirmed: the secret is never shown again.
      if (record.confirmed !== false) return c.redirect(subjectPath(id), 303);
      return await enrolmentPage(c, record);
    })
    .post("/admin/subjects/:id/confirm", async (c) => {
      const id = subjectId(c);
      const loaded = await subjects.load(id) ?? subjectNotFound();
      const { record } = loaded;
      if (record.confirmed !== false) return alreadyConfirmed(c, id);
      const outcome = await verifyGuarded(loaded.seed, field(c.get("adminForm"), "code"), {
        store: deps.stateStore,
        subject: id,
        policy: deps.security.verifyPolicy,
        now: deps.now(),
        digits: record.digits,
        period: record.period,
        guard: loaded.guard,
      });
      if (outcome.kind === "stale" || outcome.kind === "missing" || outcome.kind === "replay") {
        // Another confirmation of the same seed flips `confirmed`, which also makes the
        // guard stale (or finds this code used up): that is "already confirmed", not a change.
        const now = await subjects.load(id);
        if (now?.record.sealed_seed === record.sealed_seed && now.record.confirmed !== false) {
          return alreadyConfirmed(c, id);
        }
        if (outcome.kind !== "replay") changedMeanwhile(id);
      }
      deps.metrics.verification(outcome.kind);
      const why = { subject: id, reason: "console confirmation" };
      if (outcome.kind === "valid") {
        const confirmed = await subjects.confirm(record);
        if (confirmed === "changed") changedMeanwhile(id);
        if (confirmed === "already") return alreadyConfirmed(c, id);
        audit.record("subject.confirmed", auditContext(c, why));
        return c.redirect(`${subjectPath(id)}?done=confirmed`, 303);
      }
      if (outcome.kind === "locked") {
        audit.record("verify.locked", auditContext(c, why));
        setRetryAfter(c, outcome.retryAfterMs);
        const seconds = Math.ceil(outcome.retryAfterMs / 1000);
        return await enrolmentPage(c, record, [
          `Too many wrong codes: ${id} is locked for ${seconds} seconds.`,
        ], 429);
      }
      audit.record(
        outcome.kind === "replay" ? "verify.replay" : "verify.fail",
        auditContext(c, why),
      );
      return await enrolmentPage(c, record, [
        outcome.kind === "replay"
          ? "That code was used already. Wait for the next one."
          : `That is not the current code. Enter the ${record.digits} digits the app shows now.`,
      ], 422);
    });
}

/** Another request confirmed this enrolment first: the subject page says so. */
function alreadyConfirmed(c: Context, id: string): Response {
  return c.redirect(`${subjectPath(id)}?done=already-confirmed`, 303);
}

/** @throws {HTTPException} 409: the seed was replaced, or the subject deleted, meanwhile */
function changedMeanwhile(id: string): never {
  throw new HTTPException(409, {
    message: `The enrolment of ${id} changed while the code was checked (a new seed, or ` +
      "deleted). Open it again.",
  });
}
