import { createHash } from 'node:crypto';

/**
 * The Lua scripts every Redis implementation runs (TCP and Upstash alike). Each is one atomic step, so
 * nothing is ever half-written: either the whole commit lands or none of it does. Numbers travel as
 * strings; missing hash fields come back as nil. Keys are declared in KEYS (Cluster-safe: one hash tag).
 */
export interface LuaScript {
  name: string;
  source: string;
  sha1: string;
}

export function script(name: string, source: string): LuaScript {
  return { name, source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * KEYS: state, event, target, policy, exchange overrides, the document counter, and the target's group spend
 * hash when the caller knows the group. ARGV: the target's and the policy's version the caller holds parsed
 * ('' for none): a document still at that version comes back as nil beside its version (the caller reuses its
 * copy; about 4 KB of documents per event not sent, nor read). Returns 16 values: state version, memory,
 * pending event, pending lease, event status, decision, event version, owner, lease, target doc, target
 * version, policy doc, policy version, exchange overrides (JSON), recorded fleet (JSON), document counter;
 * then the group hash's fields and values, alternating.
 */
export const LOAD = script(
  'load',
  `local s = redis.call('HMGET', KEYS[1], 'version', 'memory', 'pending', 'pendingLease', 'fleet')
local e = redis.call('HMGET', KEYS[2], 'status', 'decision', 'version', 'owner', 'leaseUntil')
local tv = redis.call('HGET', KEYS[3], 'version')
local pv = redis.call('HGET', KEYS[4], 'version')
local td = false
local pd = false
if not (tv and tv == ARGV[1]) then td = redis.call('HGET', KEYS[3], 'doc') end
if not (pv and pv == ARGV[2]) then pd = redis.call('HGET', KEYS[4], 'doc') end
local o = redis.call('GET', KEYS[5])
local out = {s[1], s[2], s[3], s[4], e[1], e[2], e[3], e[4], e[5], td, tv, pd, pv, o, s[5], redis.call('GET', KEYS[6])}
if KEYS[7] then
  local g = redis.call('HGETALL', KEYS[7])
  for i = 1, #g do out[16 + i] = g[i] end
end
return out`,
);

/** KEYS: a group spend hash. Its fields and values, alternating (the first load of a grouped target). */
export const GROUP_SPEND = script('group-spend', `return redis.call('HGETALL', KEYS[1])`);

/** KEYS: exchange overrides. The stored JSON document ('' when none). */
export const GET_OVERRIDES = script('get-overrides', `return redis.call('GET', KEYS[1]) or ''`);

/**
 * Compare-and-set of the exchange overrides document. KEYS: exchange overrides. ARGV: the document read
 * ('' for none), the new one ('' deletes). Returns 'ok' or 'conflict' (another operator wrote in between).
 */
export const SET_OVERRIDES = script(
  'set-overrides',
  `local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 'conflict' end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 'ok'`,
);

/**
 * The compare-and-set commit. KEYS: state, event, audit, and the group spend hash for a target in a group.
 * ARGV: event id, owner, now, expected version, memory, decision, audit entry, lease until ('' for a decision
 * without actions), event TTL ms, state TTL ms, audit max entries, audit max age ms, the fleet after the
 * decision (JSON; '' clears it: only shadow mode keeps one), the recent-signal entry ('' keeps none), the
 * recent signals' count cap and TTL ms, then for a group: the target id and its spend (JSON). KEYS[4] is the
 * recent signals list, KEYS[5] the group's hash. The age cap is measured on Redis's clock (TIME), the clock that
 * stamps the stream ids, so a function instance's clock skew cannot trim the entry just written.
 *
 * A decision with actions keeps its audit entry's id in the idempotency record, for `finish` to file the
 * per-action results under.
 *
 * Order matters: the idempotency record is checked first (a redelivery never re-decides), then the
 * version (a lost race re-decides), then the outbox (a decision with actions waits for the previous
 * decision's actions, unless that lease ran out: its invocation died and this newer decision supersedes it).
 */
export const COMMIT = script(
  'commit',
  `local e = redis.call('HMGET', KEYS[2], 'owner', 'version')
if e[1] then
  if e[1] == ARGV[2] then return {'committed', e[2]} end
  return {'duplicate'}
end
local s = redis.call('HMGET', KEYS[1], 'version', 'pending', 'pendingLease')
local version = tonumber(s[1] or '0')
if version ~= tonumber(ARGV[4]) then return {'conflict', tostring(version)} end
local acting = ARGV[8] ~= ''
if acting and s[2] and tonumber(s[3]) > tonumber(ARGV[3]) then return {'busy', s[2], s[3]} end
version = version + 1
redis.call('HSET', KEYS[1], 'version', version, 'memory', ARGV[5], 'updatedAt', ARGV[3])
if ARGV[13] ~= '' then redis.call('HSET', KEYS[1], 'fleet', ARGV[13]) else redis.call('HDEL', KEYS[1], 'fleet') end
if acting then redis.call('HSET', KEYS[1], 'pending', ARGV[1], 'pendingLease', ARGV[8]) end
redis.call('PEXPIRE', KEYS[1], ARGV[10])
local status = 'done'
local lease = '0'
if acting then status = 'pending'; lease = ARGV[8] end
redis.call('HSET', KEYS[2], 'status', status, 'decision', ARGV[6], 'version', version, 'owner', ARGV[2], 'leaseUntil', lease)
redis.call('PEXPIRE', KEYS[2], ARGV[9])
local auditId = redis.call('XADD', KEYS[3], 'MAXLEN', ARGV[11], '*', 'entry', ARGV[7])
if acting then redis.call('HSET', KEYS[2], 'audit', auditId) end
local time = redis.call('TIME')
local oldest = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000) - tonumber(ARGV[12])
if oldest > 0 then redis.call('XTRIM', KEYS[3], 'MINID', string.format('%d', oldest)) end
redis.call('PEXPIRE', KEYS[3], ARGV[12])
if ARGV[14] ~= '' then
  redis.call('LPUSH', KEYS[4], ARGV[14])
  redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[15]) - 1)
  redis.call('PEXPIRE', KEYS[4], ARGV[16])
end
if KEYS[5] then
  redis.call('HSET', KEYS[5], ARGV[17], ARGV[18])
  redis.call('PEXPIRE', KEYS[5], ARGV[10])
end
return {'committed', tostring(version)}`,
);

/**
 * Re-drive a pending outbox. KEYS: state, event. ARGV: event id, owner, now, lease until.
 * Superseded when the target's outbox points elsewhere: a newer decision with actions was committed after
 * this one's lease ran out, and replaying the older actions after it would undo it.
 */
export const CLAIM = script(
  'claim',
  `local e = redis.call('HMGET', KEYS[2], 'status', 'owner', 'leaseUntil')
if not e[1] then return {'missing'} end
if e[1] ~= 'pending' then return {e[1]} end
if redis.call('HGET', KEYS[1], 'pending') ~= ARGV[1] then
  redis.call('HSET', KEYS[2], 'status', 'superseded')
  return {'superseded'}
end
if e[2] ~= ARGV[2] and tonumber(e[3]) > tonumber(ARGV[3]) then return {'busy', e[3]} end
redis.call('HSET', KEYS[2], 'owner', ARGV[2], 'leaseUntil', ARGV[4])
redis.call('HSET', KEYS[1], 'pendingLease', ARGV[4])
return {'claimed'}`,
);

/**
 * After acting. KEYS: state, event, and to record results: the results hash and the audit stream. ARGV: event
 * id, 'done' or 'release', then to record results: the results (JSON), audit max entries, audit max age ms.
 * Writes only to keys that exist (a hash re-created by HSET after its TTL ran out would have no TTL), except
 * the results hash, which takes the stream's age cap as its TTL. Results are filed under the decision's audit
 * entry id (kept in the event record by the commit); once the hash holds a quarter more fields than the
 * stream may hold entries, the fields of entries the stream has trimmed are dropped (amortized O(1)).
 */
export const FINISH = script(
  'finish',
  `local pendingHere = redis.call('HGET', KEYS[2], 'status') == 'pending'
local outboxHere = redis.call('HGET', KEYS[1], 'pending') == ARGV[1]
if ARGV[2] == 'done' then
  if pendingHere then redis.call('HSET', KEYS[2], 'status', 'done') end
  if outboxHere then redis.call('HDEL', KEYS[1], 'pending', 'pendingLease') end
else
  if pendingHere then redis.call('HSET', KEYS[2], 'leaseUntil', '0') end
  if outboxHere then redis.call('HSET', KEYS[1], 'pendingLease', '0') end
end
local auditId = KEYS[3] and redis.call('HGET', KEYS[2], 'audit')
if auditId then
  redis.call('HSET', KEYS[3], auditId, ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  if redis.call('HLEN', KEYS[3]) > math.floor(tonumber(ARGV[4]) * 5 / 4) then
    local first = redis.call('XRANGE', KEYS[4], '-', '+', 'COUNT', 1)[1]
    local fms, fseq = 0, 0
    if first then fms, fseq = string.match(first[1], '(%d+)-(%d+)') end
    fms, fseq = tonumber(fms), tonumber(fseq)
    for _, id in ipairs(redis.call('HKEYS', KEYS[3])) do
      local ms, seq = string.match(id, '(%d+)-(%d+)')
      ms, seq = tonumber(ms), tonumber(seq)
      if not first or ms < fms or (ms == fms and seq < fseq) then redis.call('HDEL', KEYS[3], id) end
    end
  end
end
return 1`,
);

/**
 * A page of the audit log, newest first, with the per-action results of its entries. KEYS: audit stream,
 * results hash. ARGV: the newest id to include ('+' for the newest), how many. Returns the entries as
 * XREVRANGE gives them, then one results value (or nil) per entry.
 */
export const READ_AUDIT = script(
  'read-audit',
  `local entries = redis.call('XREVRANGE', KEYS[1], ARGV[1], '-', 'COUNT', ARGV[2])
if #entries == 0 then return {entries, {}} end
local ids = {}
for i, entry in ipairs(entries) do ids[i] = entry[1] end
return {entries, redis.call('HMGET', KEYS[2], unpack(ids))}`,
);

/**
 * Put a target or policy document. KEYS: document, seq, targets index, the target's document, and the write
 * audit stream when the write is audited. ARGV: document JSON, expected version ('*' any, '' must not
 * exist), target id, max targets, kind, then for an audited write: the audit entry (a JSON object; the new
 * version is added to it here) and the stream's length cap. The entry lands with the document or not at all.
 */
export const PUT_DOCUMENT = script(
  'put-document',
  `local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[2] ~= '*' and (current or '') ~= ARGV[2] then return {'conflict', current} end
if ARGV[5] == 'policy' and redis.call('EXISTS', KEYS[4]) == 0 then return {'no-target'} end
if ARGV[5] == 'target' and not current and redis.call('SISMEMBER', KEYS[3], ARGV[3]) == 0 then
  if redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[4]) then return {'full'} end
  redis.call('SADD', KEYS[3], ARGV[3])
end
local version = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'doc', ARGV[1], 'version', version)
if KEYS[5] then
  local entry = string.sub(ARGV[6], 1, -2) .. ',"version":' .. version .. '}'
  redis.call('XADD', KEYS[5], 'MAXLEN', ARGV[7], '*', 'write', entry)
end
return {'ok', tostring(version)}`,
);

/**
 * Delete a document. KEYS: document, targets index, document counter, then keys deleted with a target
 * (policy, state, audit, results). ARGV: expected version ('*' any), target id, kind. An audited delete adds
 * the write audit stream as the last KEY and the entry (JSON) and the stream's length cap as ARGV: the entry
 * lands with the delete. The counter moves, as on a write, so caches built from the documents (the trigger
 * routes) see the delete.
 */
export const DELETE_DOCUMENT = script(
  'delete-document',
  `local current = redis.call('HGET', KEYS[1], 'version')
if not current then return {'absent'} end
if ARGV[1] ~= '*' and current ~= ARGV[1] then return {'conflict', current} end
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[3])
local last = #KEYS
if ARGV[4] then
  last = last - 1
  redis.call('XADD', KEYS[#KEYS], 'MAXLEN', ARGV[5], '*', 'write', ARGV[4])
end
if ARGV[3] == 'target' then
  redis.call('SREM', KEYS[2], ARGV[2])
  for i = 4, last do redis.call('DEL', KEYS[i]) end
end
return {'ok'}`,
);
