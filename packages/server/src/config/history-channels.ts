/**
 * Which channels of an app keep history for recovery (docs/protocol.md §11.1): the app's
 * `history.channels` patterns, where `*` matches any run of characters (so `private-*` covers
 * `private-encrypted-*` and `private-cache-*`). The patterns are compiled once per app, on first use.
 */
import type { AppConfig } from './config';

type Matcher = (channel: string) => boolean;

const compiled = new WeakMap<AppConfig, Matcher>();

/** Whether the app keeps the history of `channel`. */
export function keepsHistory(app: AppConfig, channel: string): boolean {
  let matches = compiled.get(app);
  if (matches === undefined) {
    matches = compilePatterns(app.history.channels);
    compiled.set(app, matches);
  }
  return matches(channel);
}

/** One test per pattern: exact names and `prefix*` (the usual ones) without a general match. */
export function compilePatterns(patterns: readonly string[]): Matcher {
  const tests = patterns.map((pattern): Matcher => {
    const star = pattern.indexOf('*');
    if (star < 0) return (channel) => channel === pattern;
    if (star === pattern.length - 1) {
      const prefix = pattern.slice(0, -1);
      return (channel) => channel.startsWith(prefix);
    }
    const parts = pattern.split('*');
    return (channel) => globMatches(parts, channel);
  });
  if (tests.length === 0) return () => false;
  return (channel) => tests.some((test) => test(channel));
}

/**
 * `parts` is the pattern split at its stars. The first part must start the name, the last must end
 * it, and the ones between must appear in order: taking the earliest place for each is always right,
 * so the match is linear (no backtracking, whatever the pattern).
 */
function globMatches(parts: readonly string[], channel: string): boolean {
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (channel.length < first.length + last.length) return false;
  if (!channel.startsWith(first) || !channel.endsWith(last)) return false;
  let at = first.length;
  const end = channel.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const found = channel.indexOf(part, at);
    if (found < 0 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}
