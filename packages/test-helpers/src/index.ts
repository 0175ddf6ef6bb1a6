export { launchBrowser } from './browser';
export { type Certificate, makeCertificate } from './certificate';
export { echoJsConnection, type ViteEnv } from './echo-js';
export {
  type FaultConnection,
  type FaultProxy,
  type FaultProxyCounts,
  type FaultProxyOptions,
  type FaultProxyTarget,
  type FaultProxyTargetInput,
  startFaultProxy,
} from './fault-proxy';
export { freePort } from './free-port';
export { type RedisHandle, startRedis } from './redis';
export {
  DEMO_APP,
  DEMO_APP_CONFIG,
  REVERB_BIN,
  type ServerHandle,
  type ServerOptions,
  startServer,
  waitUntilUp,
} from './server';
export { waitFor } from './wait';
