// Parses the loopback cell's real KeyFile (written by asetkey) and checks the minted ticket
// decodes with that key. Skips when the cell is not configured here.
import assert from 'node:assert/strict';
import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { KEYTYPE_RXKAD, loadServerKeys } from '../../src/auth/keyfile.js';
import { mintLocalAuthToken } from '../../src/auth/localauth.js';
import { decodeTicket } from '../../src/auth/ticket.js';
import { hasOddParity } from '../../src/rx/crypto/des.js';

const keyFile = process.env.AFS_KEYFILE;

async function readable(p: string | undefined): Promise<boolean> {
  if (!p) return false;
  try {
    await access(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

test('the cell KeyFile parses and its key mints a decodable admin ticket', async (t) => {
  if (!(await readable(keyFile))) {
    t.skip('AFS_KEYFILE not set or unreadable (run under `scripts/cell env`)');
    return;
  }
  const keys = await loadServerKeys(dirname(keyFile as string));
  const des = keys.filter((k) => k.type === KEYTYPE_RXKAD);
  assert.ok(des.length >= 1, 'the cell has at least one rxkad key');
  for (const k of des) {
    assert.equal(k.key.length, 8);
    assert.ok(hasOddParity(k.key), `kvno ${k.kvno} has odd parity`);
  }
  const tok = mintLocalAuthToken(keys, { cell: process.env.AFS_CELL ?? 'tsafs.test' });
  const key = des.find((k) => k.kvno === tok.kvno);
  assert.ok(key);
  const d = decodeTicket(tok.ticket, key.key);
  assert.equal(d.name, 'admin');
  assert.deepEqual(d.sessionKey, tok.sessionKey);
});
