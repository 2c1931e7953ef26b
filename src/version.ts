// The package version, read once from package.json so that `tsafs --version`, the library's
// VERSION and rxdebug's answer can never disagree with what npm installed. The path holds both
// in the repository (dist/src/version.js) and in an installed package (<pkg>/dist/src/version.js).

import { readFileSync } from 'node:fs';

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
