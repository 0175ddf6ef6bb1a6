/**
 * The node-side decisions of single session (session-verdict.ts) and the cluster message that carries
 * them (cluster-messages.ts): the decision table, and both arrival orders of a claim reply and the
 * message of a newer claim.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessageEnvelope } from '../../src/scaling/cluster-messages';
import {
  type ConnectionSession,
  type CurrentSession,
  claimVerdict,
  currentOf,
  NewestSessions,
  type SessionVerdict,
  sessionVerdict,
} from '../../src/scaling/session-verdict';
import type { ClaimResult } from '../../src/scaling/sessions';

describe('sessionVerdict: one connection against the newest current session', () => {
  const newest: CurrentSession = { sessionId: 'B', order: 11 };
  const table: [string, ConnectionSession, boolean, SessionVerdict][] = [
    ['same session, older order (a tab from before a re-claim)', { sessionId: 'B', order: 3 }, false, 'keep'],
    ['same session, same order', { sessionId: 'B', order: 11 }, false, 'keep'],
    ['same session, claim pending', { sessionId: 'B', order: undefined }, false, 'keep'],
    ['other session, lower order: replaced', { sessionId: 'A', order: 10 }, false, 'close'],
    ['other session, higher order: the message is stale', { sessionId: 'C', order: 12 }, false, 'keep'],
    [
      'other session, claim pending: judged on its reply',
      { sessionId: 'A', order: undefined },
      false,
      'wait',
    ],
    ['no session: never judged by sign-ins', { sessionId: undefined, order: undefined }, false, 'keep'],
    ['no session, end_other_sessions', { sessionId: undefined, order: undefined }, true, 'close'],
    ['other session, end_other_sessions, lower order', { sessionId: 'A', order: 10 }, true, 'close'],
    ['same session, end_other_sessions', { sessionId: 'B', order: 3 }, true, 'keep'],
    ['other session, end_other_sessions, claim pending', { sessionId: 'A', order: undefined }, true, 'wait'],
  ];
  it.each(table)('%s', (_, connection, closeSessionless, verdict) => {
    expect(sessionVerdict(connection, newest, closeSessionless)).toBe(verdict);
  });
});

describe('NewestSessions', () => {
  it('keeps the highest order whatever the arrival order, and forgets on demand', () => {
    const record = new NewestSessions();
    expect(record.observe('u1', { sessionId: 'B', order: 11 })).toEqual({ sessionId: 'B', order: 11 });
    expect(record.observe('u1', { sessionId: 'A', order: 10 })).toEqual({ sessionId: 'B', order: 11 });
    expect(record.observe('u1', { sessionId: 'C', order: 12 })).toEqual({ sessionId: 'C', order: 12 });
    expect(record.observe('u2', { sessionId: 'A', order: 1 })).toEqual({ sessionId: 'A', order: 1 });
    expect(record.size).toBe(2);
    record.forget('u1');
    expect(record.get('u1')).toBeUndefined();
    expect(record.size).toBe(1);
  });
});

describe('claimVerdict: a claim reply, after recording what it says', () => {
  const settle = (record: NewestSessions, sessionId: string, result: ClaimResult) =>
    claimVerdict(sessionId, result, record.observe('u1', currentOf(result)));

  it('accepts new and current claims when nothing newer is known', () => {
    expect(settle(new NewestSessions(), 'A', { outcome: 'new', order: 10, current: 'A' })).toBe('accept');
    expect(settle(new NewestSessions(), 'A', { outcome: 'current', order: 10, current: 'A' })).toBe('accept');
  });

  it('refuses a replaced session, and records the session that is current', () => {
    const record = new NewestSessions();
    expect(settle(record, 'A', { outcome: 'replaced', order: 11, current: 'B' })).toBe('refuse');
    expect(record.get('u1')).toEqual({ sessionId: 'B', order: 11 });
  });

  // Node N holds a connection of A; A's claim got order 10, B's (on another node) order 11.
  const claimA: ClaimResult = { outcome: 'new', order: 10, current: 'A', previous: 'Z' };
  const messageB: CurrentSession = { sessionId: 'B', order: 11 };

  it('reply first, then the newer message: accepted, then closed by the message', () => {
    const record = new NewestSessions();
    expect(settle(record, 'A', claimA)).toBe('accept');
    const newest = record.observe('u1', messageB);
    expect(sessionVerdict({ sessionId: 'A', order: 10 }, newest)).toBe('close');
  });

  it('the newer message first (claim pending), then the reply: refused, never signed in', () => {
    const record = new NewestSessions();
    const newest = record.observe('u1', messageB);
    expect(sessionVerdict({ sessionId: 'A', order: undefined }, newest)).toBe('wait');
    expect(settle(record, 'A', claimA)).toBe('refuse');
    // A tab of A whose claim was ordered before B's is refused the same way.
    expect(settle(record, 'A', { outcome: 'current', order: 10, current: 'A' })).toBe('refuse');
  });

  it('the older message after a newer reply changes nothing: the newer session stays', () => {
    const record = new NewestSessions();
    expect(settle(record, 'B', { outcome: 'new', order: 11, current: 'B', previous: 'A' })).toBe('accept');
    const newest = record.observe('u1', { sessionId: 'A', order: 10 });
    expect(newest).toEqual({ sessionId: 'B', order: 11 });
    expect(sessionVerdict({ sessionId: 'B', order: 11 }, newest)).toBe('keep');
  });
});

describe('the session_replaced cluster message', () => {
  const envelope = (message: unknown) => JSON.stringify({ node: 'n1', message });
  const valid = { type: 'session_replaced', appId: 'app-1', userId: '17', keepSessionId: 'B', order: 11 };

  it('decodes, with and without closeSessionless', () => {
    expect(decodeMessageEnvelope(envelope(valid))).toEqual({ node: 'n1', message: valid });
    expect(decodeMessageEnvelope(envelope({ ...valid, closeSessionless: true }))?.message).toEqual({
      ...valid,
      closeSessionless: true,
    });
    // false is the default: not carried.
    expect(decodeMessageEnvelope(envelope({ ...valid, closeSessionless: false }))?.message).toEqual(valid);
    expect(decodeMessageEnvelope(envelope({ ...valid, keepSessionId: 'x'.repeat(128) }))).toBeDefined();
  });

  it.each([
    ['no user', { ...valid, userId: undefined }],
    ['a numeric user', { ...valid, userId: 17 }],
    ['no session', { ...valid, keepSessionId: undefined }],
    ['an empty session', { ...valid, keepSessionId: '' }],
    ['a session over 128 characters', { ...valid, keepSessionId: 'x'.repeat(129) }],
    ['no order', { ...valid, order: undefined }],
    ['a string order', { ...valid, order: '11' }],
    ['a fractional order', { ...valid, order: 1.5 }],
    ['a negative order', { ...valid, order: -1 }],
    ['an unsafe order', { ...valid, order: 2 ** 53 }],
    ['a string closeSessionless', { ...valid, closeSessionless: 'yes' }],
  ])('drops one with %s', (_, message) => {
    expect(decodeMessageEnvelope(envelope(message))).toBeUndefined();
  });
});
