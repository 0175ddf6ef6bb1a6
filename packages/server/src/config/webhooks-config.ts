/**
 * An app's webhook settings (`apps[i].webhooks`): each entry is a URL, or
 * `{ url, event_types?, batch_ms?, headers? }`. `loadConfig` checks them when it reads the file, and
 * the dispatcher (operations/webhooks.ts) reads its targets from here.
 */
import type { WebhookEventName } from '@react-reverb/core/protocol';
import { ConfigError } from '../shared/errors';
import { isRecord } from './values';

export const WEBHOOK_EVENT_NAMES: readonly WebhookEventName[] = [
  'channel_occupied',
  'channel_vacated',
  'member_added',
  'member_removed',
  'client_event',
  'cache_miss',
  'subscription_count',
  'session_replaced',
];

const WEBHOOK_KEYS = ['url', 'event_types', 'batch_ms', 'headers'];
/** Headers the server computes for each POST; an app may not replace them. */
const SERVER_HEADERS = /^(content-type|x-pusher-key|x-pusher-signature)$/i;
const MAX_BATCH_MS = 60_000;

export interface WebhookTarget {
  readonly url: string;
  readonly eventTypes: ReadonlySet<WebhookEventName>;
  /** 0: one POST per event; otherwise events are collected this long and sent together. */
  readonly batchMs: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** Reads an app's `webhooks` (`at` names the app in messages); throws ConfigError naming the bad entry. */
export function parseWebhooks(
  app: { readonly id: string; readonly webhooks: readonly unknown[] },
  at = `app ${app.id}`,
): WebhookTarget[] {
  return app.webhooks.map((raw, i) => parseWebhook(raw, `${at}.webhooks[${i}]`));
}

function parseWebhook(raw: unknown, where: string): WebhookTarget {
  const entry = typeof raw === 'string' ? { url: raw } : raw;
  if (!isRecord(entry)) throw new ConfigError(where, 'must be a URL or an object with "url"');
  for (const key of Object.keys(entry)) {
    if (!WEBHOOK_KEYS.includes(key))
      throw new ConfigError(`${where}.${key}`, 'is not a known webhook setting');
  }
  if (typeof entry.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(entry.url)) {
    throw new ConfigError(`${where}.url`, 'must be an http:// or https:// URL');
  }
  const types = eventTypes(entry.event_types, `${where}.event_types`);
  const batchMs = entry.batch_ms ?? 0;
  if (typeof batchMs !== 'number' || !Number.isInteger(batchMs) || batchMs < 0 || batchMs > MAX_BATCH_MS) {
    throw new ConfigError(
      `${where}.batch_ms`,
      `must be an integer number of milliseconds, 0 to ${MAX_BATCH_MS}`,
    );
  }
  return {
    url: entry.url,
    eventTypes: types,
    batchMs,
    headers: headers(entry.headers, `${where}.headers`),
  };
}

function eventTypes(value: unknown, where: string): Set<WebhookEventName> {
  if (value === undefined) return new Set(WEBHOOK_EVENT_NAMES);
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigError(where, `must be a non-empty list of ${WEBHOOK_EVENT_NAMES.join(', ')}`);
  }
  for (const name of value) {
    if (!WEBHOOK_EVENT_NAMES.includes(name as WebhookEventName)) {
      throw new ConfigError(where, `has an unknown event ${JSON.stringify(name)}`);
    }
  }
  return new Set(value as WebhookEventName[]);
}

function headers(value: unknown, where: string): Record<string, string> {
  const result: Record<string, string> = {};
  if (value === undefined) return result;
  if (!isRecord(value)) throw new ConfigError(where, 'must be an object of strings');
  for (const [name, header] of Object.entries(value)) {
    if (typeof header !== 'string') throw new ConfigError(`${where}.${name}`, 'must be a string');
    if (SERVER_HEADERS.test(name)) throw new ConfigError(`${where}.${name}`, 'is set by the server');
    result[name] = header;
  }
  return result;
}
