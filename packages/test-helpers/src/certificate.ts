import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificate {
  readonly dir: string;
  /** PEM file paths (for REVERB_SSL_CERT / REVERB_SSL_KEY). */
  readonly certPath: string;
  readonly keyPath: string;
  /** The self-signed certificate itself, to trust as a CA. */
  readonly cert: Buffer;
}

/** A real self-signed pair for localhost and 127.0.0.1, valid one day, made with `openssl`. */
export function makeCertificate(): Certificate {
  const dir = mkdtempSync(join(tmpdir(), 'rr-tls-'));
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  return { dir, certPath, keyPath, cert: readFileSync(certPath) };
}
