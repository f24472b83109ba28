import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An open pull request as GitHub's REST API describes it (the fields Argo CD's generator reads). */
export interface FakePull {
  readonly number: number;
  readonly title: string;
  /** The head branch (`head.ref`); a fork's PR may well be `main`. */
  readonly branch: string;
  readonly headSha: string;
  readonly base: string;
  readonly author: string;
  readonly labels: readonly string[];
}

export interface FakeGitHub {
  /** The `api` URL for the generator (go-github appends `/api/v3/`). */
  readonly url: string;
  /** Replaces the open pull requests it serves. */
  setPulls(pulls: readonly FakePull[]): void;
  /** How many times the pulls were listed (with the expected token). */
  readonly listed: () => number;
  close(): Promise<void>;
}

/**
 * The one GitHub endpoint Argo CD's pull-request generator calls,
 * `GET /api/v3/repos/{owner}/{repo}/pulls`, on 127.0.0.1; anything else is a 404, and a
 * request without the expected bearer token a 401.
 */
export async function startFakeGitHub(owner: string, repo: string, token: string): Promise<FakeGitHub> {
  let pulls: readonly FakePull[] = [];
  let listed = 0;
  const path = `/api/v3/repos/${owner}/${repo}/pulls`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== path) return json(404, { message: 'Not Found' });
    if (req.headers.authorization !== `Bearer ${token}`) return json(401, { message: 'Bad credentials' });
    listed += 1;
    json(
      200,
      pulls.map((p) => ({
        number: p.number,
        state: 'open',
        title: p.title,
        user: { login: p.author },
        labels: p.labels.map((name, i) => ({ id: i + 1, name })),
        head: { ref: p.branch, sha: p.headSha },
        base: { ref: p.base, sha: '0'.repeat(40) },
      })),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setPulls: (next) => {
      pulls = next;
    },
    listed: () => listed,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
