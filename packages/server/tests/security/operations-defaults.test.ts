/**
 * Dashboard and metrics are not public unless configured (issue 10): by default both paths are plain
 * 404s; when enabled with a token they refuse anyone without it, and the dashboard cannot be enabled
 * without credentials. The metrics text never carries an app secret.
 */
import { DEMO_APP_CONFIG } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { parseOperationsConfig } from '../../src/config/operations-config';
import { cleanupAfterEach } from '../support/cleanup';
import { rawRequest } from '../support/http';
import { startTestServer, type TestServer } from '../support/server';

const defer = cleanupAfterEach();

async function serverWith(operations: Record<string, unknown> = {}): Promise<TestServer> {
  const t = await startTestServer(
    [DEMO_APP_CONFIG],
    { operations: parseOperationsConfig(operations, {}) },
    { captureLogs: true },
  );
  defer(() => t.close());
  return t;
}

describe('by default', () => {
  it('/metrics and /dashboard are 404, with or without credentials', async () => {
    const t = await serverWith();
    for (const path of ['/metrics', '/dashboard', '/dashboard?token=x', '/dashboard/api/stats']) {
      const answer = await rawRequest(t.port, 'GET', path, undefined, { Authorization: 'Bearer x' });
      expect(answer.status, path).toBe(404);
    }
  });
});

describe('when enabled', () => {
  it('metrics with a token: 401 without it or with a wrong one, 200 with it, no secret inside', async () => {
    const t = await serverWith({ metrics: { enabled: true, token: 'metrics-token-123' } });
    expect((await rawRequest(t.port, 'GET', '/metrics')).status).toBe(401);
    const wrong = await rawRequest(t.port, 'GET', '/metrics', undefined, {
      Authorization: 'Bearer metrics-token-12',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.text).not.toContain('metrics-token-123');
    const ok = await rawRequest(t.port, 'GET', '/metrics', undefined, {
      Authorization: 'Bearer metrics-token-123',
    });
    expect(ok.status).toBe(200);
    expect(ok.text).not.toContain(DEMO_APP_CONFIG.secret);
  });

  it('the dashboard refuses to be enabled without credentials', () => {
    expect(() => parseOperationsConfig({ dashboard: { enabled: true } }, {})).toThrow(/REVERB_DASHBOARD/);
  });

  it('the dashboard with a token: 401 for anyone without it', async () => {
    const t = await serverWith({ dashboard: { enabled: true, token: 'dash-token-123' } });
    const anonymous = await rawRequest(t.port, 'GET', '/dashboard');
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toContain('dash-token-123');
    const wrong = await rawRequest(t.port, 'GET', '/dashboard', undefined, {
      Authorization: 'Bearer dash-token-12',
    });
    expect(wrong.status).toBe(401);
  });
});
