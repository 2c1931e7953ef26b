// tsafs login [user[@REALM]] [--keytab file] [--cell c]: the kinit + aklog of tsafs. A live TGT
// in the MIT ccache is used when there is one; otherwise the AS exchange runs with the keytab or
// a password read without echo. The afs/<cell> ticket becomes an rxkad token in the 0600 store.
// Nothing secret (password, session key, ticket) is printed or logged.

import { userInfo } from 'node:os';
import { describeSearch, loadAfsConfig } from '../afs/afs-config.js';
import { Krb5Error } from '../auth/krb5/errors.js';
import type { KdcExchangeOptions } from '../auth/krb5/kdc-client.js';
import { rxkadTokenFromCredentials } from '../auth/krb5/rxkad-token.js';
import { obtainAfsCredentials } from '../auth/krb5/tgs.js';
import { describeToken, type RxkadToken } from '../auth/token.js';
import { TokenStore } from '../auth/token-store.js';
import { AfsError } from '../rpc/errors.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { printJson, UsageError } from './output.js';
import { readSecret } from './secret-input.js';
import { tokenView } from './tokens.js';

export interface LoginRequest {
  cell: string;
  /** "user" or "user@REALM"; default: the ccache's principal, else the login name. */
  principal?: string;
  /** Default: the cell name upper-cased. */
  realm?: string;
  keytab?: string;
  /** Default KRB5CCNAME or /tmp/krb5cc_<uid>; null ignores any ccache. */
  ccache?: string | null;
  /** Asked for only when neither a TGT nor a keytab is at hand. */
  password?: (prompt: string) => Promise<string>;
  store?: TokenStore;
  kdc?: KdcExchangeOptions;
}

/** Obtain the cell's token and store it; resolves with the stored token (keep it out of logs). */
export async function login(req: LoginRequest): Promise<RxkadToken> {
  const cell = req.cell.toLowerCase();
  const base = { cell, realm: req.realm, kdc: req.kdc };
  let creds: Awaited<ReturnType<typeof obtainAfsCredentials>>;
  if (req.keytab !== undefined) {
    if (!req.principal)
      throw new UsageError('--keytab needs the principal: tsafs login user@REALM --keytab file');
    creds = await obtainAfsCredentials({ ...base, principal: req.principal, keytabPath: req.keytab });
  } else {
    try {
      creds = await obtainAfsCredentials({ ...base, principal: req.principal, ccachePath: req.ccache });
    } catch (e) {
      // No usable TGT: fall back to a password, as kinit would.
      if (!(e instanceof Krb5Error && e.code === 'KRB5_NO_TGT')) throw e;
      const principal = req.principal ?? userInfo().username;
      const realm = req.realm ?? cell.toUpperCase();
      const shown = principal.includes('@') ? principal : `${principal}@${realm}`;
      const ask = req.password ?? readSecret;
      const password = await ask(`Password for ${shown}: `);
      creds = await obtainAfsCredentials({ ...base, principal, password, ccachePath: null });
    }
  }
  const token = rxkadTokenFromCredentials(creds, cell);
  await (req.store ?? new TokenStore()).put(token);
  return token;
}

const USAGE = 'usage: tsafs login [user[@REALM]] [--keytab file] [--realm REALM] [--cell c]';

const OPTIONS = {
  keytab: {
    type: 'string',
    arg: '<file>',
    describe: "use the principal's key from this keytab (no password)",
  },
  realm: {
    type: 'string',
    arg: '<REALM>',
    describe: 'the Kerberos realm (default: from krb5.conf domain_realm, else the cell name upper-cased)',
  },
} satisfies OptionTable;

export const command: Command = {
  name: 'login',
  summary: 'get a token for the cell from Kerberos (ccache TGT, keytab or password)',
  usage: USAGE,
  options: OPTIONS,
  examples: [
    'tsafs login                       # the TGT in your ccache (kinit), else asks for your password',
    'tsafs login me@EXAMPLE.ORG --cell example.org',
    'tsafs login svc --keytab /etc/svc.keytab   # cron jobs, services',
  ],
  async run(ctx, args) {
    const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
    expectPositionals(positionals, 0, 1, USAGE);
    const cfg = ctx.cell ? undefined : await loadAfsConfig({ cellServDB: false });
    const cell = ctx.cell ?? cfg?.thisCell;
    if (!cell) {
      throw new AfsError(
        'EDESTADDRREQ',
        `EDESTADDRREQ: no cell named and no local cell configured: use --cell <cell>, set AFSCELL, or write ThisCell (${describeSearch(cfg!)})`,
      );
    }
    const stdin = ctx.stdin as NodeJS.ReadStream;
    const token = await login({
      cell,
      principal: positionals[0],
      keytab: values.keytab,
      realm: values.realm,
      password: (prompt) => readSecret(prompt, stdin),
    });
    if (ctx.json) printJson(tokenView(token));
    else ctx.stdout.write(`${describeToken(token)}\n`);
    return undefined;
  },
};
