/**
 * The enrolment form (`GET /admin/enrol`), shown again with the values and what is wrong
 * after a refused post. Field names are the API's (`subject`, `issuer`, `account_name`,
 * `algorithm`, `digits`, `period`).
 *
 * @module
 */
import type { Child } from "hono/jsx";
import { OTP_ALGORITHMS } from "../../crypto/otp_algorithm.ts";
import { CsrfField, Layout } from "./layout.tsx";

/** What the form holds, as typed. */
export interface EnrolValues {
  subject: string;
  issuer: string;
  account_name: string;
  algorithm: string;
  digits: string;
  period: string;
}

/** The enrolment form page. */
export function EnrolForm(
  props: { csrf: string; values: EnrolValues; errors?: readonly string[] },
): Child {
  const v = props.values;
  return (
    <Layout title="Enrol a subject" csrf={props.csrf} section="enrol" errors={props.errors ?? []}>
      <p>
        Makes a new random seed and shows it as a QR code for the user's authenticator app. The
        subject counts once the app's first code is confirmed on the next page.
      </p>
      <form method="post" action="/admin/enrol" class="stack">
        <CsrfField token={props.csrf} />
        <label for="subject">Subject id</label>
        <p class="hint" id="subject-hint">
          Letters, digits and . _ @ -, up to 128, not starting with _: the id your application
          verifies with.
        </p>
        <input
          id="subject"
          name="subject"
          value={v.subject}
          required
          maxlength={128}
          pattern="[A-Za-z0-9.@\-][A-Za-z0-9._@\-]{0,127}"
          autocomplete="off"
          aria-describedby="subject-hint"
        />
        <label for="issuer">Issuer</label>
        <p class="hint" id="issuer-hint">The name the app shows above the code.</p>
        <input
          id="issuer"
          name="issuer"
          value={v.issuer}
          required
          maxlength={200}
          aria-describedby="issuer-hint"
        />
        <label for="account_name">Account name</label>
        <p class="hint" id="account-hint">The user's name or e-mail, shown under the issuer.</p>
        <input
          id="account_name"
          name="account_name"
          value={v.account_name}
          required
          maxlength={200}
          autocomplete="off"
          aria-describedby="account-hint"
        />
        <details>
          <summary>Optional parameters (most apps want the defaults)</summary>
          <div class="stack">
            <label for="algorithm">Algorithm</label>
            <select id="algorithm" name="algorithm">
              {OTP_ALGORITHMS.map((algorithm) => (
                <option value={algorithm} selected={v.algorithm === algorithm}>{algorithm}</option>
              ))}
            </select>
            <label for="digits">Digits</label>
            <select id="digits" name="digits">
              {["6", "8"].map((digits) => (
                <option value={digits} selected={v.digits === digits}>{digits}</option>
              ))}
            </select>
            <label for="period">Period in seconds (15 to 120)</label>
            <input
              id="period"
              name="period"
              type="number"
              min={15}
              max={120}
              step={1}
              value={v.period}
              required
            />
          </div>
        </details>
        <button type="submit">Enrol</button>
      </form>
    </Layout>
  );
}
