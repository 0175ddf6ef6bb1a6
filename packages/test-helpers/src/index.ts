export { launchBrowser } from './browser';
export { type Certificate, makeCertificate } from './certificate';
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
