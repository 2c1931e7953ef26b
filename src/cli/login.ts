// tsafs login [user[@REALM]] [--keytab file] [--cell c]: the kinit + aklog of tsafs. A live TGT
// in the MIT ccache is used when there is one; otherwise the AS exchange runs with the keytab or
// a password read without echo. The afs/<cell> ticket becomes an rxkad token in the 0600 store.
// Nothing secret (password, session key, ticket) is printed or logged.

import { describeSearch, loadAfsConfig } from '../afs/afs-config.js';
import { login } from '../auth/login.js';
import { describeToken } from '../auth/token.js';
import { AfsError } from '../rpc/errors.js';
import { expectPositionals, parseCommandArgs } from './args.js';
import type { Command, OptionTable } from './command.js';
import { printJson, UsageError } from './output.js';
import { readSecret } from './secret-input.js';
import { tokenView } from './tokens.js';

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
    if (values.keytab !== undefined && !positionals[0])
      throw new UsageError('--keytab needs the principal: tsafs login user@REALM --keytab file');
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
