// util.inspect views of objects that hold key material: console.log, a debugger or an error
// report shows what they are, never the key bytes (nor anything derived from them).

import { type InspectOptionsStylized, inspect } from 'node:util';

export const REDACTED = '[redacted]';

/** `Name { ...shown }` as util.inspect prints it, for a [util.inspect.custom] method. */
export function redactedView(
  name: string,
  shown: Record<string, unknown>,
  options: InspectOptionsStylized,
): string {
  return `${name} ${inspect(shown, options)}`;
}
