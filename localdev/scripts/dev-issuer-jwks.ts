// Prints the public JWKS of the lab's token issuer (the key `npm start` and `canary token`
// use, .lab/issuer-key.json; created here when missing), for `make dev-issuer`: a dev
// cluster's services then accept the tokens `canary token --tenant T` prints.
import { join } from 'node:path';
import { startIssuer } from 'local-runtime/issuer';
import { repoRoot } from 'local-runtime/paths';

const issuer = await startIssuer({ keyFile: join(repoRoot, '.lab', 'issuer-key.json') });
try {
  const answer = await fetch(issuer.jwksUrl);
  if (!answer.ok) throw new Error(`the issuer's JWKS answered ${answer.status}`);
  process.stdout.write(`${await answer.text()}\n`);
} finally {
  await issuer.close();
}
