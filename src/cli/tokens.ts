// tsafs tokens [--json]: the tokens `tsafs login` (or an import) left in the store: who, for which
// cell, until when. Only what describeToken shows; never a key or ticket byte.

import { type RxkadToken, tokenExpired } from '../auth/token.js';
import { TokenStore } from '../auth/token-store.js';
import { NEVERDATE } from '../rx/security/rxkad-server.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import type { Command } from './command.js';
import { printJson } from './output.js';

export interface TokenView {
  /** "name[.instance][@cell]" as the file server will see it. */
  identity: string;
  cell: string;
  source: RxkadToken['source'];
  kvno: number;
  /** ISO time, or null when the token never expires. */
  expires: string | null;
  expired: boolean;
}

export function tokenView(t: RxkadToken, nowSeconds = Math.floor(Date.now() / 1000)): TokenView {
  const { name, instance, cell } = t.identity;
  return {
    identity: `${name}${instance ? `.${instance}` : ''}${cell ? `@${cell}` : ''}`,
    cell: t.cell,
    source: t.source,
    kvno: t.kvno,
    expires: t.end === NEVERDATE ? null : new Date(t.end * 1000).toISOString(),
    expired: tokenExpired(t, nowSeconds),
  };
}

export function formatTokens(views: readonly TokenView[]): string {
  if (views.length === 0) return 'no tokens (tsafs login gets one)\n';
  return views
    .map((v) => {
      const until =
        v.expires === null ? 'never expires' : `${v.expired ? 'EXPIRED' : 'expires'} ${v.expires}`;
      return `${v.identity} in cell ${v.cell} (${v.source}, kvno ${v.kvno}): ${until}\n`;
    })
    .join('');
}

const USAGE = 'usage: tsafs tokens [--json]';

export const command: Command = {
  name: 'tokens',
  summary: 'the stored tokens: identity, cell, expiry (no secrets)',
  usage: USAGE,
  async run(ctx, args) {
    const { positionals } = parseCommandArgs(args, {}, USAGE);
    expectPositionals(positionals, 0, 0, USAGE);
    const views = (await new TokenStore().list()).map((t) => tokenView(t));
    if (ctx.json) printJson(views);
    else ctx.stdout.write(formatTokens(views));
    return undefined;
  },
};
