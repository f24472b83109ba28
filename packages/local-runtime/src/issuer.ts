import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';

/** What the lab's tokens say they are from and for (the api's AUTH_ISSUER / AUTH_AUDIENCE there). */
export const LAB_ISSUER = 'https://issuer.lab.pr-canary.invalid';
export const LAB_AUDIENCE = 'api-service';
const ALG = 'ES256';

export interface TokenOptions {
  readonly user?: string;
  readonly ttlSeconds?: number;
}

/** A local token issuer: an ES256 key, its JWKS on loopback, and tokens signed with it. */
export interface LocalIssuer {
  readonly jwksUrl: string;
  /** The api's environment for this issuer. */
  readonly env: Readonly<Record<string, string>>;
  token(tenant: string, options?: TokenOptions): Promise<string>;
  close(): Promise<void>;
}

/** Signs a lab token with a private JWK (what `canary token` does with the lab's key file). */
export async function signToken(
  privateJwk: JWK,
  tenant: string,
  options: TokenOptions = {},
): Promise<string> {
  const key = await importJWK(privateJwk, ALG);
  return new SignJWT({ tenant })
    .setProtectedHeader({ alg: ALG, kid: privateJwk.kid ?? 'lab' })
    .setIssuer(LAB_ISSUER)
    .setAudience(LAB_AUDIENCE)
    .setSubject(options.user ?? 'developer')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.ttlSeconds ?? 3600))
    .sign(key);
}

async function newKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg: ALG, kid: `lab-${Date.now().toString(36)}` };
}

/**
 * Starts an issuer. With `keyFile`, the private key is kept there (mode 0600; created on
 * first use), so tokens outlive one run and `canary token` can sign without the lab.
 */
export async function startIssuer(options: { keyFile?: string } = {}): Promise<LocalIssuer> {
  let privateJwk: JWK;
  if (options.keyFile !== undefined && existsSync(options.keyFile)) {
    privateJwk = JSON.parse(readFileSync(options.keyFile, 'utf8')) as JWK;
  } else {
    privateJwk = await newKey();
    if (options.keyFile !== undefined) {
      await mkdir(dirname(options.keyFile), { recursive: true });
      await writeFile(options.keyFile, `${JSON.stringify(privateJwk)}\n`, { mode: 0o600 });
    }
  }
  const { d: _private, ...publicJwk } = privateJwk;
  const jwks = JSON.stringify({ keys: [{ ...publicJwk, use: 'sig' }] });
  const server: Server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return {
    jwksUrl,
    env: { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: LAB_ISSUER, AUTH_AUDIENCE: LAB_AUDIENCE },
    token: (tenant, tokenOptions) => signToken(privateJwk, tenant, tokenOptions),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
