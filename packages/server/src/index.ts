/**
 * `@react-reverb/server`: the Pusher Channels protocol 7 server, for in-process use and the `reverb` CLI.
 *
 * The public API only: what an application embedding the server needs (create, configure, listen to
 * its events, log, scale out, restart nodes). Test and benchmark switches (the broadcast path's
 * frame-once toggle and counters in socket/broadcast.ts) and the server's inner parts (registries,
 * dispatch, the HTTP API's errors, webhook sending, metrics) are not exported; tests and benchmarks
 * import them from their modules. tests/architecture.test.ts holds this list: a new export is a
 * decision, made there too.
 */

export type { RegistryStats } from './channels/registry';
export {
  type AppConfig,
  type AppLimits,
  type ClientEventsFrom,
  defineConfig,
  type LoadConfigOptions,
  loadConfig,
  type RedisConfig,
  type ServerConfig,
} from './config/config';
export {
  type DashboardConfig,
  type MetricsConfig,
  type OperationsConfig,
  parseOperationsConfig,
} from './config/operations-config';
export type { Operations, OperationsOptions } from './operations/operations';
export { restartNodes } from './operations/shutdown';
export {
  type Adapter,
  type AdapterFactory,
  type AdapterMessage,
  type AdapterQuery,
  type AdapterQueryResults,
  type CacheSnapshot,
  type ChannelSnapshot,
  LocalAdapter,
  type LocalNode,
  type QueryOf,
} from './scaling/adapter';
export type {
  CachedEvent,
  ClusterState,
  JoinOutcome,
  LeaveOutcome,
  PresenceMembers,
} from './scaling/cluster-state';
export {
  type AdapterLogger,
  RedisAdapter,
  type RedisAdapterEventMap,
  type RedisAdapterOptions,
  type RedisAdapterStats,
} from './scaling/redis-adapter';
export type {
  ClaimOutcome,
  ClaimResult,
  EndOthersResult,
  PeekResult,
  SessionState,
} from './scaling/sessions';
export { type CreateServerOptions, createReverbServer, type ReverbServer, type ServerStats } from './server';
export { ConfigError } from './shared/errors';
export { type ReverbEventMap, type ReverbEventName, ReverbEvents } from './shared/hooks';
export { createLogger, type ReverbLogger } from './shared/logger';
