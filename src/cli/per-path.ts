// The shape most read commands share: one answer per path named, printed as JSON (one object for
// one path, an array for several) or as text blocks.

import type { CliContext } from './command.js';
import { printJson, UsageError } from './output.js';

/** `fn` for each AFS path named on the line (at least one, or a usage error), in order. */
export async function eachPath<T>(
  ctx: CliContext,
  positionals: string[],
  usage: string,
  fn: (path: string) => Promise<T>,
): Promise<T[]> {
  if (positionals.length === 0) throw new UsageError(usage);
  const all: T[] = [];
  for (const p of positionals) all.push(await fn(ctx.afsPath(p)));
  return all;
}

/** Print the answers: --json as one value or an array, text as blocks separated by `sep`. */
export function printEach<T>(ctx: CliContext, all: T[], text: (t: T) => string, sep = '\n'): undefined {
  if (ctx.json) printJson(all.length === 1 ? all[0] : all);
  else ctx.stdout.write(`${all.map(text).join(sep)}\n`);
  return undefined;
}
