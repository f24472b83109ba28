import { canaryTrack, previewHost } from 'canary-context';

/** Hidden marker that identifies the one comment this workflow keeps up to date. */
export const COMMENT_MARKER = '<!-- pr-canary:status -->';

export interface CommentInput {
  readonly pr: number;
  readonly tag: string;
  readonly services: readonly string[];
  readonly host: string;
  /**
   * Where the guarded internal entrypoint is reached (platform setting internal-url): the
   * public host strips X-Canary, so the comment's requests go here, with the API host (or
   * the preview hostname) as the Host header.
   */
  readonly internalUrl: string;
}

/** The PR comment: what was deployed, and how to reach it with curl, the lab and the extension. */
export function prCommentBody({ pr, tag, services, host, internalUrl }: CommentInput): string {
  if (services.length === 0) {
    return `${COMMENT_MARKER}\n### PR canary\n\nThis PR changes no service image, so no canary is deployed.\n`;
  }
  const list = services.map((s) => `\`${s}:${tag}\``).join(', ');
  const base = internalUrl.replace(/\/+$/, '');
  return [
    COMMENT_MARKER,
    '### PR canary',
    '',
    `Images ${list} are built. Argo CD deploys them as PR ${pr}'s canary; stable keeps serving everyone else.`,
    '',
    `Canaries answer only on the internal entrypoint (${base}; the public host \`${host}\` strips \`X-Canary\`). With a token from the platform's issuer in \`TOKEN\`:`,
    '',
    '```sh',
    `curl -s ${base}/v1/items -H 'Host: ${host}' -H 'X-Canary: ${pr}' -H "Authorization: Bearer $TOKEN" -D - -o /dev/null | grep -i x-served-by`,
    `curl -s ${base}/v1/items -H 'Host: ${previewHost(pr, host)}' -H "Authorization: Bearer $TOKEN" -D - -o /dev/null | grep -i x-served-by`,
    '```',
    '',
    `\`X-Served-By\` should list \`@${canaryTrack(pr)}\` for ${services.join(' and ')}.`,
    '',
    `Without the header (a link in chat, a phone, a webhook): **${previewHost(pr, host)}** is PR ${pr}'s preview hostname, whatever services it deploys, where your network resolves it to the internal entrypoint (docs/real-cluster.md, "Reaching canaries").`,
    '',
    `On your machine: \`npm start\`, then \`./canary lab add ${pr} --services ${services.join(',')} --ref <this branch>\`.`,
    `In a browser: the **extension-canary** extension, PR ${pr} for ${host}.`,
    '',
  ].join('\n');
}
