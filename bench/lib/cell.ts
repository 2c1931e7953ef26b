// The loopback cell's settings as scripts/cell env exports them (scripts/bench evals that first).

export interface CellEnv {
  AFS_CELL: string;
  AFS_ADDR: string;
  AFS_CELLSERVDB: string;
  AFS_RW_VOLUME: string;
  AFS_RW_DIR: string;
  AFS_FIXTURE: string;
  AFS_TEST_PRINCIPAL: string;
  AFS_TEST_KEYTAB: string;
}

const KEYS: (keyof CellEnv)[] = [
  'AFS_CELL',
  'AFS_ADDR',
  'AFS_CELLSERVDB',
  'AFS_RW_VOLUME',
  'AFS_RW_DIR',
  'AFS_FIXTURE',
  'AFS_TEST_PRINCIPAL',
  'AFS_TEST_KEYTAB',
];

export class BenchSetupError extends Error {
  readonly code = 'EBENCHSETUP';
}

/** The cell environment, or the names that are missing. */
export function cellEnv(env: NodeJS.ProcessEnv = process.env): CellEnv | { missing: string[] } {
  const missing = KEYS.filter((k) => !env[k]);
  if (missing.length > 0) return { missing };
  return Object.fromEntries(KEYS.map((k) => [k, env[k]!])) as unknown as CellEnv;
}
