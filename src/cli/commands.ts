// The command registry. To add a command, write src/cli/<name>.ts exporting
// `export const command: Command = { name, summary, usage, run }` and add ONE line below:
//   <name>: () => import('./<name>.js'),
// Modules load lazily, so a command's dependencies cost nothing to the others.

import type { Command } from './command.js';

type Loader = () => Promise<{ command: Command }>;

export const COMMANDS: Readonly<Record<string, Loader>> = {
  ls: () => import('./ls.js'),
  cat: () => import('./cat.js'),
  get: () => import('./get.js'),
  put: () => import('./put.js'),
  mkdir: () => import('./mkdir.js'),
  rm: () => import('./rm.js'),
  mv: () => import('./mv.js'),
  ln: () => import('./ln.js'),
  stat: () => import('./stat.js'),
  acl: () => import('./acl.js'),
  quota: () => import('./quota.js'),
  whereis: () => import('./whereis.js'),
  examine: () => import('./examine.js'),
  mkmount: () => import('./mkmount.js'),
  lsmount: () => import('./lsmount.js'),
  whoami: () => import('./whoami.js'),
  debug: () => import('./debug.js'),
  vldb: () => import('./vldb.js'),
  fetch: () => import('./fetch.js'),
  rxdebug: () => import('./rxdebug.js'),
  login: () => import('./login.js'),
  tokens: () => import('./tokens.js'),
  unlog: () => import('./unlog.js'),
  config: () => import('./config.js'),
  checkservers: () => import('./checkservers.js'),
  completion: () => import('./completion.js'),
  serve: () => import('./serve.js'),
  mount: () => import('./mount.js'),
};

/** Global options a command takes as its own when they follow its name (see parseCommandLine). */
export const CLAIMED_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  mkmount: ['cell'],
};

/** The command called `name`, or undefined when there is none. */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  return load ? (await load()).command : undefined;
}

/** Every command, for the help text. */
export async function allCommands(): Promise<Command[]> {
  return Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).command));
}
