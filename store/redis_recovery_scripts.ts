/**
 * The Lua scripts of recovery codes on Redis: the digests of a subject's unused codes are a
 * Redis set, so `SREM` decides single use atomically, inside the same script that checks the
 * guard and the lock and counts a failure, in one round trip (the rules of
 * store/recovery_rules.ts; the state format of the VERIFY script in redis_scripts.ts).
 *
 * @module
 */
import { COUNT_FAILURE_LUA, LOAD_STATE_LUA, type RedisScript, script } from "./redis_scripts.ts";

/**
 * One recovery-code attempt. KEYS[1] the subject's verification hash, KEYS[2] the set of
 * unused digests, KEYS[3] the guarded record (when ARGV[7] is set). ARGV: seed id, digest,
 * now, max failures, base lock ms, max lock ms, guard version ('' for none).
 * Returns {kind} or {kind, number}.
 */
export const USE_RECOVERY_CODE: RedisScript = script(`
local guard, guardKey, stateKey, field = ARGV[7], KEYS[3], KEYS[1], ARGV[1]
local now, maxFailures = tonumber(ARGV[3]), tonumber(ARGV[4])
local baseLockMs, maxLockMs = tonumber(ARGV[5]), tonumber(ARGV[6])
${LOAD_STATE_LUA}
if redis.call('SREM', KEYS[2], ARGV[2]) == 1 then
  save(last, 0, 0, 0)
  return {'valid', redis.call('SCARD', KEYS[2])}
end
${COUNT_FAILURE_LUA}
return {'invalid'}`);

/** Replaces the set of digests. KEYS[1] the set; ARGV the digests (none: the set goes). */
export const SET_RECOVERY_CODES: RedisScript = script(`
redis.call('DEL', KEYS[1])
if #ARGV > 0 then redis.call('SADD', KEYS[1], unpack(ARGV)) end
return #ARGV`);
