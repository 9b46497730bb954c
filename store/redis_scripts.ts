/**
 * The Lua scripts of the Redis state store. Each runs atomically in Redis, so one script
 * call is one round trip that no other replica can interleave with. They are sent by SHA-1
 * (`EVALSHA`) and only sent whole when Redis does not know them yet (after a restart).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** A script and its SHA-1. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

/** A script with its SHA-1, for `EVALSHA`. */
export function script(source: string): RedisScript {
  return { source, sha1: createHash("sha1").update(source).digest("hex") };
}

/**
 * The start every verification-like script shares (VERIFY here, USE_RECOVERY_CODE in
 * redis_recovery_scripts.ts): the guard, the seed's state (the format of
 * verification_rules.ts), the lock, and `save`. It expects the locals `guard`, `guardKey`,
 * `stateKey`, `field`, `now` and `maxFailures`; it leaves `last`, `failures`, `level`,
 * `lockedUntil` and `save`. One text, so the two scripts cannot drift apart on the state
 * they both write.
 */
export const LOAD_STATE_LUA = `
if guard ~= '' then
  local record = redis.call('GET', guardKey)
  if not record then return {'missing'} end
  if record ~= guard then return {'stale'} end
end
local last, failures, level, lockedUntil = -1, 0, 0, 0
local stored = redis.call('HGET', stateKey, field)
if stored then
  local s = cjson.decode(stored)
  last, failures, level, lockedUntil = s.lastStep, s.failures, s.lockLevel, s.lockedUntil
end
if maxFailures > 0 and lockedUntil > now then return {'locked', lockedUntil - now} end
local function save(l, f, v, u)
  redis.call('HSET', stateKey, field, string.format(
    '{"lastStep":%.0f,"failures":%.0f,"lockLevel":%.0f,"lockedUntil":%.0f}', l, f, v, u))
end`;

/**
 * A failed attempt, after {@linkcode LOAD_STATE_LUA}: one more failure and, at
 * `maxFailures`, a lock of `baseLockMs * 2^level` capped at `maxLockMs` (both locals).
 */
export const COUNT_FAILURE_LUA = `
if maxFailures > 0 then
  failures = failures + 1
  if failures >= maxFailures then
    lockedUntil = now + math.min(baseLockMs * 2 ^ level, maxLockMs)
    level = level + 1
  end
  save(last, failures, level, lockedUntil)
end`;

/**
 * One verification, the rules of verification_rules.ts: the guard, the lock, the replay
 * mark, and the new state in the seed's field of the subject's hash.
 *
 * KEYS[1] the subject's verification hash, KEYS[2] the guarded record (when ARGV[8] is set).
 * ARGV: seed id, matched step ('' for none), now, replay protection ('1'/'0'), max failures,
 * base lock ms, max lock ms, guard version ('' for none).
 * Returns {kind} or {kind, number}.
 */
export const VERIFY: RedisScript = script(`
local guard, guardKey, stateKey, field = ARGV[8], KEYS[2], KEYS[1], ARGV[1]
local now, maxFailures = tonumber(ARGV[3]), tonumber(ARGV[5])
local baseLockMs, maxLockMs = tonumber(ARGV[6]), tonumber(ARGV[7])
${LOAD_STATE_LUA}
local matched = nil
if ARGV[2] ~= '' then matched = tonumber(ARGV[2]) end
if matched and (ARGV[4] ~= '1' or matched > last) then
  save(math.max(last, matched), 0, 0, 0)
  return {'valid', matched}
end
${COUNT_FAILURE_LUA}
if matched then return {'replay', matched} end
return {'invalid'}`);

/** SET the record and index its last key part in the prefix's sorted set. */
export const SET_RECORD: RedisScript = script(`
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 1`);

/**
 * SET the record only if it still holds ARGV[3] ('' for none), and index it: the
 * compare-and-set of `updateRecord`. Returns 1 when written, 0 when another writer came first.
 */
export const SWAP_RECORD: RedisScript = script(`
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
return 1`);

/**
 * An unlock: clears failures, lock and lock level in every seed's field of the subject's
 * verification hash, keeping the replay mark. KEYS[1] the hash. Returns how many fields held
 * failures or a lock.
 */
export const RESET_FAILURES: RedisScript = script(`
local fields = redis.call('HGETALL', KEYS[1])
local reset = 0
for i = 1, #fields, 2 do
  local s = cjson.decode(fields[i + 1])
  if s.failures ~= 0 or s.lockLevel ~= 0 or s.lockedUntil ~= 0 then
    redis.call('HSET', KEYS[1], fields[i], string.format(
      '{"lastStep":%.0f,"failures":0,"lockLevel":0,"lockedUntil":0}', s.lastStep))
    reset = reset + 1
  end
end
return reset`);

/** DEL the record and its index entry. */
export const DELETE_RECORD: RedisScript = script(`
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])`);

/** The token bucket of token_bucket.ts, atomically in Redis: returns {allowed, retryAfterMs}. */
export const TAKE_TOKEN: RedisScript = script(`
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * refill)
local allowed = 0
local retry = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 else retry = math.ceil((1 - tokens) / refill) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / refill) + 1000)
return {allowed, retry}`);

/**
 * Moves a pre-upgrade single state (a JSON string holding its seed id) into the seed's field
 * of the per-seed hash, unless that field exists. KEYS[1] legacy key, KEYS[2] hash.
 */
export const MIGRATE_STATE: RedisScript = script(`
local legacy = redis.call('GET', KEYS[1])
if not legacy then return 0 end
local s = cjson.decode(legacy)
redis.call('HSETNX', KEYS[2], s.seedId, string.format(
  '{"lastStep":%.0f,"failures":%.0f,"lockLevel":%.0f,"lockedUntil":%.0f}',
  s.lastStep, s.failures, s.lockLevel, s.lockedUntil))
redis.call('DEL', KEYS[1])
return 1`);
