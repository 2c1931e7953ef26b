// Reading a password for `tsafs login`: from a terminal without echo, or the first line of stdin
// when stdin is a pipe (scripts, tests). The prompt goes to stderr so stdout stays clean.

export class SecretInputError extends Error {
  override readonly name = 'SecretInputError';
  constructor(
    readonly code: 'ERR_TSAFS_INPUT_ABORTED' | 'ERR_TSAFS_INPUT_EMPTY',
    message: string,
  ) {
    super(message);
  }
}

const CTRL_C = 0x03;
const CTRL_D = 0x04;
const BACKSPACE = 0x7f;
const CTRL_H = 0x08;

/**
 * Backspace erases one character, not one byte: UTF-8 continuation bytes (10xxxxxx) go with the
 * byte that leads them, so a non-ASCII password is never left with half a character.
 */
export function eraseLastCharacter(bytes: number[]): void {
  while (bytes.length > 0 && (bytes[bytes.length - 1]! & 0xc0) === 0x80) bytes.pop();
  bytes.pop();
}

/** Reads one line from a TTY in raw mode (no echo); Ctrl-C aborts. */
function readFromTty(stdin: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const bytes: number[] = [];
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(Buffer.from(bytes).toString('utf8'));
      bytes.fill(0);
    };
    const onData = (chunk: Buffer) => {
      for (const b of chunk) {
        if (b === CTRL_C) return finish(new SecretInputError('ERR_TSAFS_INPUT_ABORTED', 'interrupted'));
        if (b === 0x0d || b === 0x0a || b === CTRL_D) return finish();
        if (b === BACKSPACE || b === CTRL_H) eraseLastCharacter(bytes);
        else bytes.push(b);
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/** Reads stdin up to the first newline (or its end). */
function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const done = () => {
      stdin.off('data', onData);
      stdin.off('end', done);
      stdin.off('error', reject);
      stdin.pause();
      const text = Buffer.concat(parts).toString('utf8');
      const nl = text.indexOf('\n');
      resolve((nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, ''));
    };
    const onData = (c: Buffer | string) => {
      const b = typeof c === 'string' ? Buffer.from(c) : c;
      parts.push(b);
      if (b.includes(0x0a)) done();
    };
    stdin.on('data', onData);
    stdin.once('end', done);
    stdin.once('error', reject);
    stdin.resume();
  });
}

/** Prompts on stderr and reads a secret; an empty answer is an error (no empty passwords sent). */
export async function readSecret(prompt: string, stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  const tty = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  if (tty) process.stderr.write(prompt);
  const s = tty ? await readFromTty(stdin) : await readFirstLine(stdin);
  if (s === '') throw new SecretInputError('ERR_TSAFS_INPUT_EMPTY', 'no password given');
  return s;
}
