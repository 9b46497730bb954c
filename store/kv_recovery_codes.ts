/**
 * Recovery codes on Deno KV: a subject's unused digests are one value, and an attempt is one
 * read of every key it depends on (the seed's verification state, the digests, the guarded
 * record) and one atomic commit that checks all of their versions, retried when another
 * writer got there first. Of many concurrent uses of one code exactly one commits the
 * removal; the others read again, find it gone, and fail.
 *
 * @module
 */
import { applyRecovery, type RecordedRecovery, type RecoveryAttempt } from "./recovery_rules.ts";
import type { VerificationState } from "./verification_rules.ts";
import { recoveryCodesKey, verificationKey } from "./state_keys.ts";

const MAX_ATTEMPTS = 200;

/** What the KV value holds. */
interface StoredDigests {
  digests: string[];
}

/** Replaces a subject's digests; an empty list removes them. */
export async function setRecoveryCodesKv(
  kv: Deno.Kv,
  subject: string,
  digests: readonly string[],
): Promise<void> {
  if (digests.length === 0) await kv.delete(recoveryCodesKey(subject));
  else await kv.set(recoveryCodesKey(subject), { digests: [...digests] } satisfies StoredDigests);
}

/** How many unused codes a subject has. */
export async function countRecoveryCodesKv(kv: Deno.Kv, subject: string): Promise<number> {
  return (await kv.get<StoredDigests>(recoveryCodesKey(subject))).value?.digests.length ?? 0;
}

/** One attempt, atomically (see the module documentation). */
export async function useRecoveryCodeKv(
  kv: Deno.Kv,
  attempt: RecoveryAttempt,
): Promise<RecordedRecovery> {
  const stateKey = [...verificationKey(attempt.subject), attempt.seedId];
  const codesKey = recoveryCodesKey(attempt.subject);
  // Without a guard the third read is the digests again: one getMany either way.
  const guardKey = attempt.guard ? [...attempt.guard.key] : codesKey;
  for (let round = 0; round < MAX_ATTEMPTS; round++) {
    const [state, codes, guarded] = await kv.getMany<[VerificationState, StoredDigests, unknown]>(
      [stateKey, codesKey, guardKey],
    );
    const record = attempt.guard ? guarded : null;
    if (attempt.guard) {
      if (record!.versionstamp === null) return { kind: "missing" };
      if (record!.versionstamp !== attempt.guard.version) return { kind: "stale" };
    }
    const next = applyRecovery(state.value, codes.value?.digests ?? [], attempt);
    if (next.state === null && next.digests === null) return next.result;
    const operation = kv.atomic().check(state, codes);
    if (record) operation.check(record);
    if (next.state !== null) operation.set(stateKey, next.state);
    if (next.digests !== null) {
      if (next.digests.length === 0) operation.delete(codesKey);
      else operation.set(codesKey, { digests: next.digests } satisfies StoredDigests);
    }
    if ((await operation.commit()).ok) return next.result;
  }
  throw new Error("The state store stayed contended; giving up");
}
