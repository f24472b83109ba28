// nginx (Debian's nginx-light) doing the lab routers' job, as the reference for their CPU
// cost: one process (no master), HTTP/1.1 edge routing on X-Canary to the api, gRPC
// (HTTP/2) routing on x-canary to the store, keep-alive to both, no access log.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function nginxMissing(): string | undefined {
  const probe = spawnSync('nginx', ['-v'], { stdio: 'ignore' });
  return probe.error === undefined
    ? undefined
    : 'nginx is not installed (bash scripts/install-system-packages.sh)';
}

/** A free loopback port (released before it is returned: a short race, fine for a benchmark). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function config(dir: string, o: NginxOptions): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_x_canary $api_backend { default api_stable; "123" api_canary; }
  map $http_x_canary $store_backend { default store_stable; "123" store_canary; }
  upstream api_stable { server ${o.apiAddress}; keepalive 64; }
  upstream api_canary { server ${o.apiAddress}; keepalive 64; }
  upstream store_stable { server ${o.storeAddress}; keepalive 64; }
  upstream store_canary { server ${o.storeAddress}; keepalive 64; }
  server {
    listen 127.0.0.1:${o.edgePort};
    location / {
      proxy_pass http://$api_backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
    }
  }
  server {
    listen 127.0.0.1:${o.grpcPort} http2;
    location / { grpc_pass grpc://$store_backend; }
  }
}
`;
}

export interface NginxOptions {
  readonly apiAddress: string;
  readonly storeAddress: string;
  readonly edgePort: number;
  readonly grpcPort: number;
}

function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startNginx(options: NginxOptions): Promise<{ pid: number; stop: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  writeFileSync(join(dir, 'nginx.conf'), config(dir, options));
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', 'stderr'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 100; i += 1) {
    if (child.exitCode !== null) break;
    if ((await accepting(options.edgePort)) && (await accepting(options.grpcPort)))
      return { pid: child.pid ?? -1, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop();
  throw new Error(`nginx did not start (exit ${child.exitCode})`);
}
