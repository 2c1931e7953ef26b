// tsafs acl get <path>... / tsafs acl set [--clear] [--negative] <path> <name> <rights> [...]:
// like `fs listacl` and `fs setacl`. Rights are letters (rlidwka, A-H) or read/write/mail/all/none.

import { type Acl, parseRights, setAclEntry } from '../afs/acl.js';
import { parseCommandArgs } from './args.js';
import type { CliContext, Command, OptionTable } from './command.js';
import { rightsText } from './format.js';
import { printJson, UsageError } from './output.js';
import { eachPath, printEach } from './per-path.js';

const USAGE = `usage: tsafs acl get [--json] <path>...
       tsafs acl set [--clear] [--negative] <path> <name> <rights> [<name> <rights>...]
rights: letters rlidwka (and A-H), or read, write, mail, all, none (none removes the entry)`;

/** The name/rights pairs of `acl set`, checked before anything is sent. */
export function parseAclPairs(words: string[]): { name: string; rights: number }[] {
  if (words.length === 0 || words.length % 2 !== 0) throw new UsageError(USAGE);
  const pairs: { name: string; rights: number }[] = [];
  for (let i = 0; i < words.length; i += 2) {
    try {
      pairs.push({ name: words[i]!, rights: parseRights(words[i + 1]!) });
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
  }
  return pairs;
}

/** `fs setacl`: change (or with `clear`, replace) one list of the ACL. */
export function applyAclPairs(
  acl: Acl,
  pairs: { name: string; rights: number }[],
  o: { clear?: boolean; negative?: boolean },
): Acl {
  let next: Acl = o.clear ? { positive: [], negative: [] } : acl;
  for (const p of pairs) next = setAclEntry(next, p.name, p.rights, { negative: o.negative ?? false });
  return next;
}

function aclJson(path: string, acl: Acl) {
  const entries = (l: Acl['positive']) =>
    l.map((e) => ({ name: e.name, rights: rightsText(e.rights), mask: e.rights }));
  return { path, positive: entries(acl.positive), negative: entries(acl.negative) };
}

function aclText(a: ReturnType<typeof aclJson>): string {
  const out = [`Access list for ${a.path} is`];
  if (a.positive.length) out.push('Normal rights:', ...a.positive.map((e) => `  ${e.name} ${e.rights}`));
  if (a.negative.length) out.push('Negative rights:', ...a.negative.map((e) => `  ${e.name} ${e.rights}`));
  return out.join('\n');
}

async function get(ctx: CliContext, args: string[]): Promise<undefined> {
  const { positionals } = parseCommandArgs(args, {}, USAGE);
  const all = await eachPath(ctx, positionals, USAGE, async (path) =>
    aclJson(path, await ctx.client.fs.getAcl(path)),
  );
  return printEach(ctx, all, aclText, '\n\n');
}

async function set(ctx: CliContext, args: string[]): Promise<undefined> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, USAGE);
  if (positionals.length < 3) throw new UsageError(USAGE);
  const path = ctx.afsPath(positionals[0]!);
  const pairs = parseAclPairs(positionals.slice(1));
  const fs = ctx.client.fs;
  // --clear replaces the whole ACL, so there is nothing to fetch first.
  const current = values.clear ? { positive: [], negative: [] } : await fs.getAcl(path);
  const next = applyAclPairs(current, pairs, values);
  await fs.setAcl(path, next);
  if (ctx.json) printJson(aclJson(path, next));
  return undefined;
}

const OPTIONS = {
  clear: {
    type: 'boolean',
    describe: 'acl set: replace the whole list instead of changing the entries named',
  },
  negative: {
    type: 'boolean',
    describe: 'acl set: change the negative (denied) entries instead of the positive ones',
  },
} satisfies OptionTable;

export const command: Command = {
  name: 'acl',
  summary: 'show (acl get) or change (acl set) access control lists',
  usage: USAGE,
  options: OPTIONS,
  examples: [
    'tsafs acl get /afs/example.org/user/me',
    'tsafs acl set /afs/example.org/user/me/pub system:anyuser rl   # read and list for everyone',
    'tsafs acl set --clear /afs/example.org/x me all',
  ],
  async run(ctx, args) {
    const [sub, ...rest] = args;
    if (sub === 'get' || sub === 'list') return get(ctx, rest);
    if (sub === 'set') return set(ctx, rest);
    throw new UsageError(sub === undefined ? USAGE : `unknown subcommand '${sub}'\n${USAGE}`);
  },
};
