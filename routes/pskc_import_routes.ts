/**
 * `POST /v1/import/pskc`: RFC 6030 files whose secrets are encrypted to this service's own
 * RSA key (§6.3, RSA-OAEP), imported all or nothing. The file never needs a shared secret
 * beside it: only this service can open it. Files protected otherwise (a pre-shared key, a
 * passphrase, or none) are refused here and imported with `deno task import-pskc`, which
 * opens them on the operator's machine.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { createRoute, z } from "@hono/zod-openapi";
import { parsePskc, type PskcDocument, PskcError } from "../pskc/pskc_document.ts";
import {
  type PackageResult,
  type PskcToken,
  readPskcTokens,
  requiredKey,
} from "../pskc/pskc_tokens.ts";
import { MAX_XML_BYTES } from "../pskc/xml_tree.ts";
import { DEFAULT_SUBJECT } from "../store/state_store.ts";
import type { SubjectParams } from "../store/subject_store.ts";
import { adminOnly } from "../middleware/v1_auth.ts";
import { auditContext } from "../middleware/context.ts";
import { readBody } from "../middleware/json_body.ts";
import { setRetryAfter } from "../middleware/retry_after.ts";
import { bodyGuard } from "../middleware/body_guard.ts";
import type { RouteDeps } from "./route_deps.ts";
import { BODY_TIMEOUT_DESCRIPTION, ErrorBody, jsonContent } from "./schemas.ts";

/** The path, for the app-wide body limit to leave it to this route's own 1 MB limit. */
export const PSKC_IMPORT_PATH = "/v1/import/pskc";

const PREFIX = /^[A-Za-z0-9._@-]{0,64}$/;

/** One refused package. */
interface PackageProblem {
  index: number;
  key_id: string | null;
  reason: string;
}

function problemsOf(results: PackageResult[], existing: ReadonlySet<string>): PackageProblem[] {
  const problems: PackageProblem[] = [];
  for (const r of results) {
    let reason: string | null = null;
    if (r.status !== "ok") reason = r.reason;
    else if (r.subjectId === DEFAULT_SUBJECT) reason = 'The subject id "default" is reserved';
    else if (existing.has(r.subjectId!)) {
      reason = `The subject "${r.subjectId}" already exists (use ?replace=true)`;
    }
    if (reason !== null) problems.push({ index: r.index, key_id: r.keyId, reason });
  }
  return problems;
}

/**
 * Marks every package whose secret is a `PlainValue` as invalid. The file as a whole passes
 * the RSA check as soon as one value is encrypted to the service, so without this a file with
 * one sealed key and any number of bare ones imported the bare ones too, against the route's
 * rule (seeds reach the service encrypted to it, or through the CLI).
 */
function refusePlainSecrets(document: PskcDocument, results: PackageResult[]): PackageResult[] {
  const plain = new Set(
    document.packages.filter((p) => p.secret?.kind === "plain").map((p) => p.index),
  );
  return results.map((r) => {
    if (r.status !== "ok" || !plain.has(r.index)) return r;
    r.token.secret.fill(0);
    return {
      index: r.index,
      keyId: r.keyId,
      subjectId: r.subjectId,
      status: "invalid",
      reason: "The secret is not encrypted to this service's key (RFC 6030 section 6.3)",
    };
  });
}

/** The `Retry-After` of an import refused while another runs. */
const BUSY_RETRY_MS = 5_000;

/**
 * `POST /v1/import/pskc`. One import runs at a time in a process: each package costs an
 * RSA-4096 private-key operation (about 17 ms of CPU here), so a 1 MB file of about 1,000
 * packages is some 17 s of CPU, and a few sent at once (a retry loop, a script) would take every
 * core from the verifications. Another import meanwhile is 429 with `Retry-After`.
 */
export function pskcImportRoutes(deps: RouteDeps): Hono {
  const keys = { "SHA-1": deps.privateKeyOaepSha1, "SHA-256": deps.privateKey };
  let running = false;
  return new Hono().post(
    PSKC_IMPORT_PATH,
    adminOnly(deps.audit),
    bodyGuard({ maxBytes: MAX_XML_BYTES, message: "The PSKC file is larger than 1 MB" }),
    async (c) => {
      const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
      if (type !== "application/pskc+xml") {
        return c.json({ error: "Content-Type must be application/pskc+xml" }, 415);
      }
      const prefix = c.req.query("prefix") ?? "";
      if (!PREFIX.test(prefix)) {
        throw new HTTPException(400, {
          message: "prefix may hold letters, digits and ._@- (at most 64)",
        });
      }
      // Every id would start with `_` and be refused one by one: say so once, for the prefix.
      if (prefix.startsWith("_")) {
        throw new HTTPException(400, {
          message: "prefix must not start with _ (reserved for the service's own store keys)",
        });
      }
      const replace = c.req.query("replace") === "true";
      if (running) {
        setRetryAfter(c, BUSY_RETRY_MS);
        return c.json({
          error: "Another PSKC import is running; retry when it has finished",
        }, 429);
      }
      running = true;
      try {
        return await importFile(c, deps, keys, { prefix, replace });
      } finally {
        running = false;
      }
    },
  );
}

/** Decrypts, checks and stores one file's tokens: the route's work once it has the slot. */
async function importFile(
  c: Context,
  deps: RouteDeps,
  keys: Record<"SHA-1" | "SHA-256", CryptoKey>,
  options: { prefix: string; replace: boolean },
): Promise<Response> {
  const { prefix, replace } = options;
  let results: PackageResult[];
  try {
    const document = parsePskc(await readBody(c));
    // A file with nothing encrypted is refused whole, unless some package could not even be
    // read (a CipherValue that is not base64): then each package says what is wrong with it.
    const need = requiredKey(document);
    const unreadable = document.packages.some((p) => p.problem !== null);
    if (need !== "rsa" && !(need === null && unreadable)) {
      throw new PskcError(
        "Only files whose secrets are encrypted to this service's key (RFC 6030 section " +
          "6.3) are imported here; use deno task import-pskc for the others",
      );
    }
    results = refusePlainSecrets(
      document,
      await readPskcTokens(document, { rsa: keys }, { prefix }),
    );
  } catch (error) {
    if (!(error instanceof PskcError)) throw error;
    deps.audit.record("seed.rejected", auditContext(c, { reason: "pskc file refused" }));
    throw new HTTPException(400, { message: error.message });
  }
  const existing = new Set<string>();
  if (!replace) {
    for (const r of results) {
      // Only packages that can be imported: a refused one may name an id no store accepts.
      if (r.status === "ok" && await deps.subjects.get(r.token.subjectId) !== null) {
        existing.add(r.token.subjectId);
      }
    }
  }
  const problems = problemsOf(results, existing);
  if (problems.length > 0 || results.length === 0) {
    deps.audit.record("seed.rejected", auditContext(c, { reason: "pskc packages refused" }));
    return c.json({
      error: results.length === 0
        ? "The file has no key packages"
        : `${problems.length} of ${results.length} key package(s) cannot be imported; nothing was imported`,
      packages: problems,
    }, 400);
  }
  const tokens = results.flatMap((r) => r.status === "ok" ? [r.token] : []);
  const imported: string[] = [];
  try {
    for (const t of tokens) {
      const params = paramsOf(t);
      // Without replace, each write is if-absent: the check above was only a read, and
      // another request may have created the subject since.
      const put = await deps.subjects.put(t.subjectId, t.secret, params, {
        now: deps.now(),
        ifAbsent: !replace,
      });
      if (put.outcome === "exists") {
        await rollBack(deps, c, imported);
        deps.audit.record(
          "seed.rejected",
          auditContext(c, { subject: t.subjectId, reason: "pskc subject created meanwhile" }),
        );
        throw new HTTPException(409, {
          message: `The subject "${t.subjectId}" was created by another request during this ` +
            "import; nothing was imported",
        });
      }
      imported.push(t.subjectId);
      deps.audit.record("seed.set", auditContext(c, { subject: t.subjectId, reason: "pskc" }));
    }
  } catch (error) {
    if (error instanceof HTTPException || imported.length === 0) throw error;
    // The store failed part-way (Redis went down): take back what this import created, so
    // the file stays all or nothing. Replaced subjects cannot be put back, and a store that
    // is down may not take the deletes either: the answer names what stays written, and
    // sending the file again with replace=true finishes the import (it is idempotent).
    const left = replace ? imported : await rollBackWhatCan(deps, c, imported);
    if (left.length === 0) throw error;
    deps.audit.record(
      "seed.rejected",
      auditContext(c, { reason: `pskc import cut short by the store, ${left.length} written` }),
    );
    return c.json({
      error: `The state store failed during the import: ${left.length} of ${tokens.length} ` +
        "subject(s) were written and stay; send the file again with replace=true to finish",
      written: left,
    }, 503);
  } finally {
    for (const t of tokens) t.secret.fill(0);
  }
  deps.metrics.seedDecrypt("set");
  return c.json({ imported }, 201);
}

/**
 * {@linkcode rollBack} for a failing store: each delete is tried, and the ids whose delete
 * failed too are returned.
 */
async function rollBackWhatCan(
  deps: RouteDeps,
  c: Context,
  created: readonly string[],
): Promise<string[]> {
  const left: string[] = [];
  for (const id of created) {
    try {
      await rollBack(deps, c, [id]);
    } catch {
      left.push(id);
    }
  }
  return left;
}

/** Removes the subjects this request created before it found one it could not create. */
async function rollBack(deps: RouteDeps, c: Context, created: readonly string[]): Promise<void> {
  for (const id of created) {
    await deps.subjects.delete(id);
    deps.audit.record(
      "subject.deleted",
      auditContext(c, { subject: id, reason: "pskc import rolled back" }),
    );
  }
}

/** The subject record's fields of an imported token. */
function paramsOf(t: PskcToken): SubjectParams {
  return {
    algorithm: t.algorithm,
    digits: t.digits,
    period: t.period,
    issuer: t.issuer?.slice(0, 200) || null,
    account_name: null,
    ...(t.type === "hotp" ? { type: "hotp" as const, counter: t.counter.toString() } : {}),
    ...(t.serialNo ? { serial_no: t.serialNo.slice(0, 200) } : {}),
    ...(t.manufacturer ? { manufacturer: t.manufacturer.slice(0, 200) } : {}),
  };
}

const PackageProblemSchema = z.object({
  index: z.int().openapi({ description: "1-based position of the KeyPackage in the file" }),
  key_id: z.string().nullable(),
  reason: z.string(),
});

/** The OpenAPI description of {@linkcode pskcImportRoutes}. */
export const pskcImportRouteSpecs = [
  createRoute({
    method: "post",
    path: PSKC_IMPORT_PATH,
    tags: ["Subjects (/v1)"],
    summary: "Import an RFC 6030 (PSKC) file encrypted to the service's RSA key, all or nothing",
    description:
      "Secrets must be RSA-OAEP encrypted to the service's public key (RFC 6030 section 6.3): " +
      "xmlenc#rsa-oaep-mgf1p (SHA-1) or xmlenc11#rsa-oaep with SHA-256 and MGF1-SHA-256. " +
      "rsa_1_5 is refused. Each Key/@Id, after the prefix, becomes a subject id.",
    security: [{ adminToken: [] }],
    request: {
      query: z.object({
        prefix: z.string().optional().openapi({ param: { name: "prefix", in: "query" } }),
        replace: z.enum(["true", "false"]).optional().openapi({
          param: { name: "replace", in: "query" },
        }),
      }),
      body: {
        required: true,
        content: { "application/pskc+xml": { schema: z.string().openapi({ format: "binary" }) } },
      },
    },
    responses: {
      201: jsonContent(
        z.object({ imported: z.array(z.string()) }).openapi("PskcImported"),
        "Every package imported; the subject ids",
      ),
      400: jsonContent(
        ErrorBody.extend({ packages: z.array(PackageProblemSchema).optional() }).openapi(
          "PskcRefused",
        ),
        "The file, or one reason per refused package; nothing was imported",
      ),
      401: jsonContent(ErrorBody, "No valid token"),
      403: jsonContent(ErrorBody, "A verify token on an admin route"),
      408: jsonContent(ErrorBody, BODY_TIMEOUT_DESCRIPTION),
      409: jsonContent(
        ErrorBody,
        "A subject was created by another request during the import (without replace); nothing was imported",
      ),
      413: jsonContent(ErrorBody, "Larger than 1 MB"),
      415: jsonContent(ErrorBody, "Not application/pskc+xml"),
      429: jsonContent(ErrorBody, "Another import is running in this process (Retry-After)"),
      503: jsonContent(
        ErrorBody.extend({ written: z.array(z.string()).optional() }).openapi("PskcCutShort"),
        "State store unavailable: nothing was imported, or (with `written`) the subjects " +
          "that stay written; send the file again with replace=true to finish",
      ),
    },
  }),
];
