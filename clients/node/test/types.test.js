// The TypeScript declarations in types/ compile against a program using the package as its
// README does, so they cannot drift from the JavaScript unnoticed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { test } from 'node:test';

test('types/ describe the package as the README uses it (tsc --noEmit, strict)', () => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', 'test/types/tsconfig.json'], {
      encoding: 'utf8',
      cwd: new URL('..', import.meta.url).pathname,
    });
  } catch (err) {
    output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
  assert.equal(output, '');
});
