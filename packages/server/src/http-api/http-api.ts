/**
 * The HTTP API of docs/protocol.md §7 under `/apps/{id}`: publish (`events`, `batch_events`), query
 * (`channels`, `channels/{name}`, `channels/{name}/users`, Reverb's `connections`),
 * `users/{id}/terminate_connections` and our `users/{id}/end_other_sessions` (docs/protocol.md §11.2,
 * end-other-sessions.ts).
 * Order of checks: unknown app 404, unknown path 404 / wrong method 405, body over
 * REVERB_MAX_REQUEST_SIZE 413, signature/timestamp/body_md5 401, then the request itself (400/413).
 * Success is always 200 with a JSON object; every error is JSON `{"error": "..."}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  channelNameProblem,
  channelTraits,
  encodeChannelEvent,
  isValidSocketId,
  Limits,
  type PublishableEvent,
  validateBatchRequest,
  validateTriggerRequest,
} from '@react-reverb/core/protocol';
import { type HttpVerification, parseQueryString, verifyHttpRequest } from '@react-reverb/core/signing';
import type { AppConfig } from '../config/config';
import { keepsHistory } from '../config/history-channels';
import type { Adapter, ChannelSnapshot } from '../scaling/adapter';
import { HttpError } from '../shared/errors';
import type { ReverbEvents } from '../shared/hooks';
import type { ReverbLogger } from '../shared/logger';
import { TokenBucket } from '../socket/limits';
import { connectionsAnswer } from './connections';
import { endOtherSessions } from './end-other-sessions';

export interface HttpApiOptions {
  readonly pathPrefix: string;
  readonly maxRequestSize: number;
  readonly appsById: ReadonlyMap<string, AppConfig>;
  readonly adapter: Adapter;
  readonly events: ReverbEvents;
  readonly logger: ReverbLogger;
}

type Json = Record<string, unknown>;

interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handle: (
    app: AppConfig,
    params: Record<string, string>,
    body: string,
    match: string[],
  ) => Promise<Json>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `Malformed path segment: ${segment}`);
  }
}

function parseInfo(raw: string | undefined): string[] {
  if (raw === undefined || raw === '') return [];
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

const KNOWN_INFO = new Set(['user_count', 'subscription_count', 'cache']);

function checkInfo(info: readonly string[]): void {
  for (const attribute of info) {
    if (!KNOWN_INFO.has(attribute)) throw new HttpError(400, `Unsupported info attribute: ${attribute}`);
  }
}

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new HttpError(400, 'Invalid JSON body');
  }
}

function checkChannelName(name: string): void {
  const problem = channelNameProblem(name);
  if (problem)
    throw new HttpError(
      400,
      `Invalid channel name: ${name.slice(0, Limits.MAX_CHANNEL_NAME_LENGTH)} (${problem})`,
    );
}

/** The `info` attributes of one channel that apply to it (trigger answers skip the rest). */
function attributesFor(channel: string, snapshot: ChannelSnapshot, info: readonly string[]): Json {
  const isPresence = channelTraits(channel).isPresence;
  const attributes: Json = {};
  if (info.includes('user_count') && isPresence) attributes.user_count = snapshot.userCount ?? 0;
  if (info.includes('subscription_count') && !isPresence)
    attributes.subscription_count = snapshot.subscriptionCount;
  return attributes;
}

export class HttpApi {
  private readonly routes: readonly Route[];
  /** Per-app API request buckets, created on first use for apps with `max_api_requests_per_second`. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly options: HttpApiOptions) {
    this.routes = [
      { method: 'POST', pattern: /^\/events$/, handle: (app, _p, body) => this.trigger(app, body) },
      { method: 'POST', pattern: /^\/batch_events$/, handle: (app, _p, body) => this.batch(app, body) },
      { method: 'GET', pattern: /^\/channels$/, handle: (app, params) => this.channels(app, params) },
      {
        method: 'GET',
        pattern: /^\/connections$/,
        handle: (app) => connectionsAnswer(this.options.adapter.state, app),
      },
      {
        method: 'GET',
        pattern: /^\/channels\/([^/]+)$/,
        handle: (app, params, _b, m) => this.channel(app, decodeSegment(m[1] ?? ''), params),
      },
      {
        method: 'GET',
        pattern: /^\/channels\/([^/]+)\/users$/,
        handle: (app, _p, _b, m) => this.users(app, decodeSegment(m[1] ?? '')),
      },
      {
        method: 'POST',
        pattern: /^\/users\/([^/]+)\/terminate_connections$/,
        handle: (app, _p, _b, m) => this.terminate(app, decodeSegment(m[1] ?? '')),
      },
      {
        method: 'POST',
        pattern: /^\/users\/([^/]+)\/end_other_sessions$/,
        handle: (app, _p, body, m) =>
          endOtherSessions(app, decodeSegment(m[1] ?? ''), body, options.adapter, options.events),
      },
    ];
  }

  /** True when the path belongs to the API (`{prefix}/apps/...`); the request is then answered. */
  handles(pathname: string): boolean {
    return pathname.startsWith(`${this.options.pathPrefix}/apps/`);
  }

  async handle(req: IncomingMessage, res: ServerResponse, rawPath: string, rawQuery: string): Promise<void> {
    try {
      const body = await this.dispatch(req, rawPath, rawQuery);
      sendJson(res, 200, body);
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.status === 413) res.setHeader('Connection', 'close');
        if (error.status === 429) res.setHeader('Retry-After', '1');
        sendJson(res, error.status, { error: error.message });
        // Whatever is left of an oversized body is read and dropped, so the client sees the answer.
        req.resume();
        return;
      }
      this.options.logger.error({ err: error, path: rawPath }, 'HTTP API request failed');
      sendJson(res, 500, { error: 'Internal server error' });
    }
  }

  private async dispatch(req: IncomingMessage, rawPath: string, rawQuery: string): Promise<Json> {
    const rest = rawPath.slice(`${this.options.pathPrefix}/apps/`.length);
    const slash = rest.indexOf('/');
    const appId = decodeSegment(slash < 0 ? rest : rest.slice(0, slash));
    const subPath = slash < 0 ? '' : rest.slice(slash);
    const app = this.options.appsById.get(appId);
    if (!app) throw new HttpError(404, `Unknown app: ${appId.slice(0, 100)}`);

    let route: Route | undefined;
    let match: RegExpExecArray | null = null;
    let methodMismatch = false;
    for (const candidate of this.routes) {
      const m = candidate.pattern.exec(subPath);
      if (!m) continue;
      if (candidate.method !== req.method) {
        methodMismatch = true;
        continue;
      }
      route = candidate;
      match = m;
      break;
    }
    if (!route || !match) {
      if (methodMismatch) throw new HttpError(405, `Method ${req.method} not allowed on ${subPath}`);
      throw new HttpError(404, `Unknown path: ${rawPath.slice(0, 200)}`);
    }

    const body = await readBody(req, this.options.maxRequestSize);
    const params = parseQueryString(rawQuery);
    const verified = this.verify(app, req.method ?? 'GET', rawPath, params, body);
    if (!verified.ok) throw new HttpError(401, verified.error);
    if (!app.enabled) throw new HttpError(403, 'Application disabled');
    this.checkRate(app);
    return route.handle(app, params, body.toString('utf8'), [...match]);
  }

  /**
   * Laravel's PHP SDK sends to `{REVERB_SERVER_PATH}/apps/…` but signs `/apps/…`, and Reverb checks
   * that form; a caller that signs the path it sends, prefix included, passes too. A refusal quotes
   * the string to sign without the prefix.
   */
  private verify(
    app: AppConfig,
    method: string,
    rawPath: string,
    params: Record<string, string>,
    body: Buffer,
  ): HttpVerification {
    const { pathPrefix } = this.options;
    const request = { method, params, body, key: app.key, secret: app.secret };
    const unprefixed = verifyHttpRequest({ ...request, path: rawPath.slice(pathPrefix.length) });
    if (unprefixed.ok || pathPrefix === '') return unprefixed;
    return verifyHttpRequest({ ...request, path: rawPath }).ok ? { ok: true } : unprefixed;
  }

  /**
   * Only signed requests count, so nobody but the app's own backend can use up its quota; an
   * unsigned flood costs one HMAC each and is answered 401.
   */
  private checkRate(app: AppConfig): void {
    const perSecond = app.limits.maxApiRequestsPerSecond;
    if (perSecond === null) return;
    let bucket = this.buckets.get(app.id);
    if (!bucket) {
      bucket = new TokenBucket(perSecond);
      this.buckets.set(app.id, bucket);
    }
    if (!bucket.take(Date.now())) {
      throw new HttpError(
        429,
        `Too many requests: at most ${perSecond} HTTP API requests per second for this app`,
      );
    }
  }

  private async publish(app: AppConfig, event: PublishableEvent): Promise<Json | undefined> {
    if (event.socketId !== undefined && !isValidSocketId(event.socketId)) {
      throw new HttpError(400, `Invalid socket_id: ${event.socketId.slice(0, 50)}`);
    }
    checkInfo(event.info);
    const { adapter } = this.options;
    await Promise.all(
      event.channels.map((channel) => {
        const frame = encodeChannelEvent(event.name, channel, event.data);
        const cache = channelTraits(channel).isCache
          ? { data: event.data, ttlSeconds: app.cacheTtl }
          : undefined;
        // §11.1: kept for recovery (and sent with its position) on the app's history channels. One
        // message shape either way (`history` undefined when not kept): no spread per trigger.
        return adapter.publish({
          type: 'broadcast',
          appId: app.id,
          channel,
          frame,
          exceptSocketId: event.socketId,
          cache,
          history: keepsHistory(app, channel)
            ? { maxEvents: app.history.maxEvents, ttlMs: app.history.ttlMs }
            : undefined,
        });
      }),
    );
    this.options.events.emit('http_event', { appId: app.id, channels: event.channels, event: event.name });
    if (event.info.length === 0) return undefined;
    const answers: Json = {};
    for (const channel of event.channels) {
      const snapshot = await adapter.query({ type: 'channel', appId: app.id, channel });
      answers[channel] = attributesFor(channel, snapshot, event.info);
    }
    return answers;
  }

  private async trigger(app: AppConfig, body: string): Promise<Json> {
    const result = validateTriggerRequest(parseBody(body));
    if (!result.ok) throw new HttpError(result.status, result.error);
    const channels = await this.publish(app, result.value);
    return channels ? { channels } : {};
  }

  private async batch(app: AppConfig, body: string): Promise<Json> {
    const result = validateBatchRequest(parseBody(body));
    if (!result.ok) throw new HttpError(result.status, result.error);
    const answers: Json[] = [];
    let anyInfo = false;
    for (const event of result.value) {
      const channels = await this.publish(app, event);
      if (channels) anyInfo = true;
      const [channel] = event.channels;
      answers.push(channels && channel !== undefined ? ((channels[channel] as Json | undefined) ?? {}) : {});
    }
    return anyInfo ? { batch: answers } : {};
  }

  private async channels(app: AppConfig, params: Record<string, string>): Promise<Json> {
    const prefix = params.filter_by_prefix;
    const info = parseInfo(params.info);
    checkInfo(info);
    if (info.includes('cache')) throw new HttpError(400, 'info=cache is only available for one channel');
    if (info.includes('user_count') && !prefix?.startsWith('presence-')) {
      throw new HttpError(400, 'info=user_count requires filter_by_prefix starting with presence-');
    }
    const snapshots = await this.options.adapter.query({ type: 'channels', appId: app.id, prefix });
    const channels: Json = {};
    for (const [name, snapshot] of Object.entries(snapshots))
      channels[name] = attributesFor(name, snapshot, info);
    return { channels };
  }

  private async channel(app: AppConfig, name: string, params: Record<string, string>): Promise<Json> {
    checkChannelName(name);
    const info = parseInfo(params.info);
    checkInfo(info);
    const traits = channelTraits(name);
    if (info.includes('user_count') && !traits.isPresence) {
      throw new HttpError(400, `info=user_count applies to presence channels only, not ${name}`);
    }
    if (info.includes('subscription_count') && traits.isPresence) {
      throw new HttpError(400, `info=subscription_count does not apply to presence channel ${name}`);
    }
    if (info.includes('cache') && !traits.isCache) {
      throw new HttpError(400, `info=cache applies to cache channels only, not ${name}`);
    }
    const { adapter } = this.options;
    const snapshot = await adapter.query({ type: 'channel', appId: app.id, channel: name });
    const answer: Json = { occupied: snapshot.subscriptionCount > 0 };
    if (info.includes('user_count')) answer.user_count = snapshot.userCount ?? 0;
    if (info.includes('subscription_count')) answer.subscription_count = snapshot.subscriptionCount;
    if (info.includes('cache'))
      answer.cache = await adapter.query({ type: 'cache', appId: app.id, channel: name });
    return answer;
  }

  private async users(app: AppConfig, name: string): Promise<Json> {
    checkChannelName(name);
    if (!channelTraits(name).isPresence) throw new HttpError(400, `${name} is not a presence channel`);
    const ids = await this.options.adapter.query({ type: 'users', appId: app.id, channel: name });
    return { users: ids.map((id) => ({ id })) };
  }

  private async terminate(app: AppConfig, userId: string): Promise<Json> {
    if (userId === '') throw new HttpError(400, 'Missing user id');
    await this.options.adapter.publish({ type: 'terminate_user', appId: app.id, userId });
    return {};
  }
}

/** Reads the body, refusing with 413 as soon as it passes `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, `Request body too large: at most ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        reject(new HttpError(413, `Request body too large: at most ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.once('error', (error) => {
      if (!done) reject(error);
      done = true;
    });
  });
}
