import { describe, expect, it } from 'vitest';
import { clientOptions, reverbFromViteEnv } from '../src/realtime';

describe("reverbFromViteEnv (Laravel's VITE_REVERB_* as its echo.js reads them)", () => {
  it('takes the four variables a starter kit writes', () => {
    expect(
      reverbFromViteEnv(
        {
          VITE_REVERB_APP_KEY: 'demo-key-0001',
          VITE_REVERB_HOST: 'ws.example.test',
          VITE_REVERB_PORT: '8080',
          VITE_REVERB_SCHEME: 'http',
        },
        'app.example.test',
      ),
    ).toEqual({ key: 'demo-key-0001', host: 'ws.example.test', port: 8080, forceTLS: false });
  });

  it('defaults as echo.js does: https, port 443 (80 for http), and the page host', () => {
    expect(reverbFromViteEnv({ VITE_REVERB_APP_KEY: 'k' }, 'app.example.test')).toEqual({
      key: 'k',
      host: 'app.example.test',
      port: 443,
      forceTLS: true,
    });
    expect(
      reverbFromViteEnv({ VITE_REVERB_APP_KEY: 'k', VITE_REVERB_SCHEME: 'http', VITE_REVERB_PORT: '' }, 'h'),
    ).toMatchObject({ port: 80, forceTLS: false });
  });

  it('is null without a key: the build had none, so the app asks the backend (/api/config)', () => {
    expect(reverbFromViteEnv({}, 'h')).toBeNull();
    expect(reverbFromViteEnv({ VITE_REVERB_APP_KEY: '', VITE_REVERB_HOST: 'x' }, 'h')).toBeNull();
  });

  it("makes client options with Laravel's broadcasting endpoints", () => {
    expect(clientOptions({ key: 'k', host: 'h', port: 1, forceTLS: false })).toEqual({
      key: 'k',
      host: 'h',
      port: 1,
      forceTLS: false,
      authEndpoint: '/broadcasting/auth',
      userAuthEndpoint: '/broadcasting/user-auth',
    });
  });
});
