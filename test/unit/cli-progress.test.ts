// The progress bar: silent for small transfers, a bar with percentage and rate for big ones.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { TerminalProgress } from '../../src/cli/progress.js';

function capture() {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => {
    text += c.toString();
  });
  return { s, text: () => text };
}

test('small transfers draw nothing, not even at the end', () => {
  const c = capture();
  const p = new TerminalProgress(c.s, 'small', 1 << 20, 80);
  for (let i = 0; i < 16; i++) p.add(64 << 10);
  p.done();
  assert.equal(c.text(), '');
});

test('a big transfer draws a bar within the terminal width and ends the line', () => {
  const c = capture();
  const total = 64 << 20;
  const p = new TerminalProgress(c.s, 'big.bin', total, 60);
  for (let i = 0; i < 64; i++) p.add(1 << 20);
  p.done();
  const frames = c.text().split('\r').filter(Boolean);
  assert.ok(frames.length >= 1);
  const last = frames.at(-1)!;
  assert.ok(last.endsWith('\n'));
  assert.match(last, /big\.bin \[#+\] 100% 67\.1 MB\/67\.1 MB [\d.]+ MB\/s/);
  for (const f of frames) assert.ok(f.replace('\n', '').length < 60, `frame fits: ${f}`);
});

test('an unknown size (stdin) shows bytes and rate once it is big', () => {
  const c = capture();
  const p = new TerminalProgress(c.s, 'stdin', undefined, 80);
  p.add(8 << 20);
  p.done();
  assert.match(c.text(), /^\rstdin 8\.4 MB [\d.]+ MB\/s.*\n$/s);
});
