/** Hidden marker that identifies the one comment this workflow keeps up to date. */
export const COMMENT_MARKER = '<!-- pr-canary:status -->';

export interface CommentInput {
  readonly pr: number;
  readonly tag: string;
  readonly services: readonly string[];
  readonly host: string;
}

/** The PR comment: what was deployed, and how to reach it with curl, the lab and the extension. */
export function prCommentBody({ pr, tag, services, host }: CommentInput): string {
  if (services.length === 0) {
    return `${COMMENT_MARKER}\n### PR canary\n\nThis PR changes no service image, so no canary is deployed.\n`;
  }
  const list = services.map((s) => `\`${s}:${tag}\``).join(', ');
  return [
    COMMENT_MARKER,
    '### PR canary',
    '',
    `Images ${list} are built. Argo CD deploys them as PR ${pr}'s canary; stable keeps serving everyone else.`,
    '',
    `Send **\`X-Canary: ${pr}\`** on the internal entrypoint, with a token from the platform's issuer in \`TOKEN\`:`,
    '',
    '```sh',
    `curl -s https://${host}/v1/items -H "Authorization: Bearer $TOKEN" -H 'X-Canary: ${pr}' -D - -o /dev/null | grep -i x-served-by`,
    '```',
    '',
    `\`X-Served-By\` should list \`@pr-${pr}\` for ${services.join(' and ')}.`,
    '',
    `Without the header (a link in chat, a phone, a webhook): **https://pr-${pr}.${host}/** reaches PR ${pr} at every hop, on the internal entrypoint, when the PR deploys an edge service.`,
    '',
    `On your machine: \`npm start\`, then \`./canary lab add ${pr} --services ${services.join(',')} --ref <this branch>\`.`,
    `In a browser: the **extension-canary** extension, PR ${pr} for ${host}.`,
    '',
  ].join('\n');
}
