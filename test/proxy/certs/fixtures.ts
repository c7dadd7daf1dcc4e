/** Shared helpers for the certificate tests: temporary data directories and hand-made certificates. */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { after } from 'node:test';
import { generateKey } from '../../../proxy/certs/keys.ts';
import { buildCertificate, toPem } from '../../../proxy/certs/x509.ts';
import type { KeyType } from '../../../proxy/certs/types.ts';

/** A fresh directory removed when the test file ends. */
export function tempDir(prefix = 'loadstar-certs-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function openssl(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface Made {
  cert: crypto.X509Certificate;
  key: crypto.KeyObject;
  pem: string;
  keyPem: string;
}

const DAY = 86_400_000;

/** A certificate with chosen dates and issuer, for the cases the store refuses to create (expired, intermediates). */
export async function makeCert(options: {
  cn: string;
  issuer?: Made;
  ca?: boolean;
  pathLength?: number;
  dns?: string[];
  keyType?: KeyType;
  notBefore?: Date;
  notAfter?: Date;
}): Promise<Made> {
  const key = await generateKey(options.keyType ?? 'ec256');
  const notBefore = options.notBefore ?? new Date(Date.now() - DAY);
  const der = buildCertificate({
    subject: { commonName: options.cn },
    publicKey: crypto.createPublicKey(key),
    signingKey: options.issuer?.key ?? key,
    issuerCertificate: options.issuer?.cert.raw,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 90 * DAY),
    ca: options.ca ?? false,
    pathLength: options.pathLength,
    dns: options.ca ? undefined : options.dns ?? [options.cn],
  });
  return { cert: new crypto.X509Certificate(der), key, pem: toPem('CERTIFICATE', der), keyPem: key.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** root CA → intermediate CA → leaf for `www.example.test`. */
export async function makeChain(): Promise<{ root: Made; intermediate: Made; leaf: Made }> {
  const root = await makeCert({ cn: 'Test Root', ca: true, pathLength: 1 });
  const intermediate = await makeCert({ cn: 'Test Intermediate', ca: true, issuer: root });
  const leaf = await makeCert({ cn: 'www.example.test', issuer: intermediate });
  return { root, intermediate, leaf };
}

export const DAY_MS = DAY;
