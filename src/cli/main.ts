#!/usr/bin/env node
// The tsafs command line: one file per command; this file parses the common options and dispatches.

import { parseArgs } from 'node:util';
import { AfsClient } from '../client.js';
import { describeError, EXIT, exitCodeFor, UsageError } from './output.js';

const HELP = `usage: tsafs <command> [options]

commands:
  vldb <volume>                     the VLDB entry of a volume (like vos examine)
  fetch <volume> <vnode> <unique>   read a file by FID (-o file, default stdout)
  rxdebug <addr> [port]             ask an Rx endpoint for its version, stats, connections, peers

options:
  --cell <name>          the cell (default: ThisCell)
  --cellservdb <path>    CellServDB to read (default /etc/openafs/CellServDB)
  --json                 machine-readable output
  -o, --output <file>    where fetch writes
  -h, --help             this text
`;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    process.stderr.write(`tsafs: ${describeError(e)}\n${HELP}`);
    return EXIT.USAGE;
  }
  const { values, positionals } = parsed;
  const [cmd, ...args] = positionals;
  if (values.help || !cmd) {
    process.stdout.write(HELP);
    return cmd || values.help ? EXIT.OK : EXIT.USAGE;
  }
  const client = new AfsClient({ cellServDB: values.cellservdb, cell: values.cell });
  try {
    await client.start();
    switch (cmd) {
      case 'vldb':
        await (await import('./vldb.js')).vldbCommand(client, args, values.json ?? false, values.cell);
        break;
      case 'fetch':
        await (await import('./fetch.js')).fetchCommand(client, args, {
          output: values.output,
          json: values.json ?? false,
          cell: values.cell,
        });
        break;
      case 'rxdebug':
        await (await import('./rxdebug.js')).rxdebugCommand(client.endpoint, args, values.json ?? false);
        break;
      default:
        throw new UsageError(`unknown command '${cmd}'\n${HELP}`);
    }
    return EXIT.OK;
  } catch (e) {
    process.stderr.write(`tsafs ${cmd}: ${describeError(e)}\n`);
    return exitCodeFor(e);
  } finally {
    await client.close();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      cell: { type: 'string' },
      cellservdb: { type: 'string' },
      json: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`tsafs: ${describeError(e)}\n`);
    process.exitCode = EXIT.FAILURE;
  },
);
