/**
 * The live dashboard: `GET <path>` serves the page, `GET <path>/stats.json` the numbers it polls.
 * Protected by basic auth (`username` + `password`) or a token (`Authorization: Bearer`, or
 * `?token=` once, which sets an HttpOnly cookie scoped to the dashboard path). Channel lists and
 * presence members are asked through the adapter, so in a cluster they cover every node.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { channelTraits } from '@react-reverb/core/protocol';
import type { RegistryStats } from '../../channels/registry';
import type { AppConfig } from '../../config/config';
import type { DashboardConfig } from '../../config/operations-config';
import type { Adapter } from '../../scaling/adapter';
import { timingSafeEqualText } from '../../shared/secure-compare';
import { RECENT_PROBLEMS, type Traffic } from '../../shared/traffic';
import { type AppNumbers, appNumbers, type MachineReport, machineNumbers } from '../machine-reports';
import { dashboardPage } from './page';

/** Presence member lists are fetched for at most this many channels per poll. */
const MAX_MEMBER_LISTS = 50;
const COOKIE = 'reverb_dashboard';

export interface DashboardSource {
  readonly serverId: string;
  readonly apps: readonly AppConfig[];
  readonly adapter: Adapter;
  readonly traffic: Traffic;
  appStats(appId: string): RegistryStats | undefined;
  /** In a worker of `--workers N`: every worker's numbers, asked through the primary (machine-reports.ts). */
  machine?: () => Promise<MachineReport>;
}

/** One worker of the machine, as the dashboard lists it. */
export interface DashboardWorker {
  readonly slot: number;
  readonly pid: number;
  readonly uptimeSeconds: number;
  readonly restarts: number;
  readonly connections: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
}

export interface DashboardChannel {
  readonly name: string;
  readonly subscriptionCount: number;
  readonly userCount?: number;
  readonly members?: readonly string[];
}

export interface DashboardStats {
  readonly serverId: string;
  readonly timeMs: number;
  readonly uptimeSeconds: number;
  readonly apps: ReadonlyArray<{
    readonly id: string;
    readonly key: string;
    readonly connections: number;
    readonly channels: readonly DashboardChannel[];
    readonly messagesIn: number;
    readonly messagesOut: number;
    readonly webhooksDelivered: number;
    readonly webhookFailures: number;
  }>;
  readonly problems: ReadonlyArray<{ timeMs: number; level: string; message: string; appId?: string }>;
  /** `--workers N`: the machine's workers (the numbers above are their sums). */
  readonly workers?: readonly DashboardWorker[];
}

export class Dashboard {
  private readonly startedMs = Date.now();

  constructor(
    private readonly config: DashboardConfig,
    private readonly source: DashboardSource,
  ) {}

  handles(path: string): boolean {
    return path === this.config.path || path === `${this.config.path}/stats.json`;
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): Promise<void> {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'application/json', JSON.stringify({ error: 'Method not allowed' }), {
        Allow: 'GET, HEAD',
      });
      return;
    }
    const auth = this.authorize(req, rawQuery);
    if (!auth.ok) {
      const challenge =
        this.config.username !== undefined
          ? { 'WWW-Authenticate': 'Basic realm="Reverb dashboard"' }
          : undefined;
      send(
        res,
        401,
        'application/json',
        JSON.stringify({ error: 'Dashboard credentials required' }),
        challenge,
      );
      return;
    }
    const extra: Record<string, string> = {};
    if (auth.setCookie && this.config.token !== undefined) {
      extra['Set-Cookie'] =
        `${COOKIE}=${encodeURIComponent(this.config.token)}; HttpOnly; SameSite=Strict; Path=${this.config.path}`;
    }
    if (path === this.config.path) {
      const nonce = randomBytes(16).toString('base64');
      send(
        res,
        200,
        'text/html; charset=utf-8',
        dashboardPage({ statsUrl: `${this.config.path}/stats.json`, nonce }),
        {
          ...extra,
          'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'`,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        },
      );
      return;
    }
    try {
      send(res, 200, 'application/json', JSON.stringify(await this.stats()), { 'Cache-Control': 'no-store' });
    } catch (error) {
      send(
        res,
        500,
        'application/json',
        JSON.stringify({ error: `Stats failed: ${(error as Error).message}` }),
      );
    }
  }

  private authorize(req: IncomingMessage, rawQuery: string): { ok: boolean; setCookie?: boolean } {
    const { username, password, token } = this.config;
    const header = req.headers.authorization ?? '';
    if (username !== undefined && password !== undefined && header.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (
        colon >= 0 &&
        timingSafeEqualText(decoded.slice(0, colon), username) &&
        timingSafeEqualText(decoded.slice(colon + 1), password)
      ) {
        return { ok: true };
      }
    }
    if (token !== undefined) {
      if (header.startsWith('Bearer ') && timingSafeEqualText(header.slice(7), token)) return { ok: true };
      const fromQuery = new URLSearchParams(rawQuery).get('token');
      if (fromQuery !== null && timingSafeEqualText(fromQuery, token)) return { ok: true, setCookie: true };
      const cookie = (req.headers.cookie ?? '')
        .split(';')
        .map((part) => part.trim())
        .find((part) => part.startsWith(`${COOKIE}=`));
      if (cookie && timingSafeEqualText(decodeURIComponent(cookie.slice(COOKIE.length + 1)), token))
        return { ok: true };
    }
    return { ok: false };
  }

  async stats(): Promise<DashboardStats> {
    const { adapter, traffic } = this.source;
    const machine = await this.source.machine?.();
    const apps = await Promise.all(
      this.source.apps.map(async (app) => {
        const snapshots = await adapter.query({ type: 'channels', appId: app.id });
        const names = Object.keys(snapshots).sort();
        let memberLists = 0;
        const channels = await Promise.all(
          names.map(async (name): Promise<DashboardChannel> => {
            const snapshot = snapshots[name] ?? { subscriptionCount: 0 };
            const base = {
              name,
              subscriptionCount: snapshot.subscriptionCount,
              ...(snapshot.userCount === undefined ? {} : { userCount: snapshot.userCount }),
            };
            if (!channelTraits(name).isPresence || memberLists++ >= MAX_MEMBER_LISTS) return base;
            return { ...base, members: await adapter.query({ type: 'users', appId: app.id, channel: name }) };
          }),
        );
        const numbers = machine
          ? machineNumbers(machine, app.id)
          : appNumbers(traffic.forApp(app.id), this.source.appStats(app.id));
        return { id: app.id, key: app.key, ...numbers, channels };
      }),
    );
    const base = {
      serverId: this.source.serverId,
      timeMs: Date.now(),
      uptimeSeconds: (Date.now() - this.startedMs) / 1000,
      apps,
    };
    if (!machine) return { ...base, problems: [...traffic.recentProblems()] };
    const problems = machine.workers
      .flatMap((w) => w.problems)
      .sort((a, b) => a.timeMs - b.timeMs)
      .slice(-RECENT_PROBLEMS);
    const workers = machine.workers.map((w): DashboardWorker => {
      const all = Object.values(w.apps);
      const sum = (read: (n: AppNumbers) => number) => all.reduce((total, n) => total + read(n), 0);
      return {
        slot: w.slot,
        pid: w.pid,
        uptimeSeconds: w.uptimeSeconds,
        restarts: w.restarts,
        connections: sum((n) => n.connections),
        messagesIn: sum((n) => n.messagesIn),
        messagesOut: sum((n) => n.messagesOut),
      };
    });
    return { ...base, problems, workers };
  }
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
