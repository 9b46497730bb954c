/**
 * The Lua scripts of recovery codes on Redis: the digests of a subject's unused codes are a
 * Redis set, so `SREM` decides single use atomically, inside the same script that checks the
 * guard and the lock and counts a failure, in one round trip (the rules of
 * store/recovery_rules.ts; the state format of the VERIFY script in redis_scripts.ts).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { RedisScript } from "./redis_scripts.ts";

function script(source: string): RedisScript {
  return { source, sha1: createHash("sha1").update(source).digest("hex") };
}

/**
 * One recovery-code attempt. KEYS[1] the subject's verification hash, KEYS[2] the set of
 * unused digests, KEYS[3] the guarded record (when ARGV[7] is set). ARGV: seed id, digest,
 * now, max failures, base lock ms, max lock ms, guard version ('' for none).
 * Returns {kind} or {kind, number}.
 */
export const USE_RECOVERY_CODE: RedisScript = script(`
if ARGV[7] ~= '' then
  local record = redis.call('GET', KEYS[3])
  if not record then return {'missing'} end
  if record ~= ARGV[7] then return {'stale'} end
end
local now = tonumber(ARGV[3])
local maxFailures = tonumber(ARGV[4])
local last, failures, level, lockedUntil = -1, 0, 0, 0
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  local s = cjson.decode(stored)
  last, failures, level, lockedUntil = s.lastStep, s.failures, s.lockLevel, s.lockedUntil
end
if maxFailures > 0 and lockedUntil > now then return {'locked', lockedUntil - now} end
local function save(l, f, v, u)
  redis.call('HSET', KEYS[1], ARGV[1], string.format(
    '{"lastStep":%.0f,"failures":%.0f,"lockLevel":%.0f,"lockedUntil":%.0f}', l, f, v, u))
end
if redis.call('SREM', KEYS[2], ARGV[2]) == 1 then
  save(last, 0, 0, 0)
  return {'valid', redis.call('SCARD', KEYS[2])}
end
if maxFailures > 0 then
  failures = failures + 1
  if failures >= maxFailures then
    lockedUntil = now + math.min(tonumber(ARGV[5]) * 2 ^ level, tonumber(ARGV[6]))
    level = level + 1
  end
  save(last, failures, level, lockedUntil)
end
return {'invalid'}`);

/** Replaces the set of digests. KEYS[1] the set; ARGV the digests (none: the set goes). */
export const SET_RECOVERY_CODES: RedisScript = script(`
redis.call('DEL', KEYS[1])
if #ARGV > 0 then redis.call('SADD', KEYS[1], unpack(ARGV)) end
return #ARGV`);
