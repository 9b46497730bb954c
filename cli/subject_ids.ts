/**
 * Subject ids for imported accounts, derived from their labels: `Issuer:account` reduced to
 * the id alphabet (letters, digits and `._@-`), after an optional prefix. Two accounts that
 * reduce to the same id are a collision: the first keeps it, the later ones are reported and
 * not imported, since importing them would silently replace the first.
 *
 * @module
 */
import type { OtpauthCredential } from "../crypto/parse_otpauth_uri.ts";

/** Longest subject id the service accepts. */
export const MAX_SUBJECT_ID = 128;
/** The subject that is the assignment's seed, never an imported account's id. */
const RESERVED_ID = "default";
/** The characters of a subject id. */
export const SUBJECT_ID_CHARACTERS = /^[A-Za-z0-9._@-]*$/;

/** The label an id is made from: `Issuer:account`, or the account alone. */
export function labelOf(credential: Pick<OtpauthCredential, "issuer" | "accountName">): string {
  return credential.issuer === null
    ? credential.accountName
    : `${credential.issuer}:${credential.accountName}`;
}

/**
 * `label` in the id alphabet: accents dropped (é → e), every run of other characters one
 * `_`, no `_` or `.` at either end, cut to fit after `prefix`. `null` when nothing is left.
 */
export function subjectIdFromLabel(label: string, prefix = ""): string | null {
  const reduced = label.normalize("NFKD").replace(/\p{M}+/gu, "")
    .replace(/[^A-Za-z0-9._@-]+/g, "_")
    .replace(/^[_.]+|[_.]+$/g, "");
  if (reduced === "") return null;
  return (prefix + reduced).slice(0, MAX_SUBJECT_ID);
}

/** An id, or why there is none. */
export type IdAssignment = { id: string; problem: null } | { id: null; problem: string };

/** Hands out ids in order; a later label that reduces to a taken id is a collision. */
export class SubjectIds {
  #prefix: string;
  #taken = new Map<string, string>();

  constructor(prefix = "") {
    this.#prefix = prefix;
  }

  /** The id for `label`, from the entry `source` (for the collision report). */
  take(label: string, source: string): IdAssignment {
    const id = subjectIdFromLabel(label, this.#prefix);
    if (id === null) {
      return { id: null, problem: "The label has no character usable in a subject id" };
    }
    // `default` is the assignment's seed: PUT /v1/subjects/default/seed would replace it.
    if (id === RESERVED_ID) {
      return {
        id: null,
        problem: 'The id "default" is reserved for the assignment\'s seed (use --prefix)',
      };
    }
    // A leading `_` is kept for the store's own keys (only a prefix can bring one here).
    if (id.startsWith("_")) {
      return { id: null, problem: `The id "${id}" must not start with _ (reserved)` };
    }
    const first = this.#taken.get(id);
    if (first !== undefined) {
      return { id: null, problem: `Id collision: line ${first} already has ${id}` };
    }
    this.#taken.set(id, source);
    return { id, problem: null };
  }
}
