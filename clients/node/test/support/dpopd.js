// A real dpopd for the tests: the debug build of this repository (run `cargo build --bin dpopd`
// first; `DPOPD_BIN` overrides the path), on a free 127.0.0.1 port, under `timeout` so that it
// ends even if a test run is killed.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const DPOPD_BIN =
  process.env.DPOPD_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'dpopd');
export const CALLER = { caller: 'demo-caller', secret: 'demo-caller-secret' };

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts dpopd; `env` adds DPOPD__ settings, `config` (TOML text) runs it in production mode
 * with freshly generated keys prepended. Its store is in memory: each test's dpopd is fresh.
 */
export async function startDpopd({ env = {}, config } = {}) {
  const port = await freePort();
  const args = ['120', DPOPD_BIN];
  if (config !== undefined) {
    const keys = execFileSync(DPOPD_BIN, ['keygen'], { encoding: 'utf8' });
    const file = join(mkdtempSync(join(tmpdir(), 'dpopd-relay-')), 'dpopd.toml');
    writeFileSync(file, `${config}\n${keys}`);
    args.push('--config', file);
  }
  const child = spawn('timeout', args, {
    env: {
      PATH: process.env.PATH,
      DPOPD__SERVER__PORT: String(port),
      DPOPD__LOG__LEVEL: 'warn',
      DPOPD__STORE__KIND: 'memory',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i += 1) {
    if (child.exitCode !== null) break;
    try {
      if ((await fetch(`${url}/healthz`)).ok) {
        return { url, port, stop: () => stopChild(child) };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error(`dpopd did not start: ${log.slice(-2000)}`);
}

function stopChild(child) {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once('exit', () => resolveStop());
    child.kill('SIGTERM');
  });
}

/**
 * Production mode (`startDpopd({ config: OPENID_CONFIG })`) with the demo caller and a public
 * client of the code flow allowed the `openid` and `email` scopes, for OpenID Connect.
 */
export const OPENID_CLIENT = 'openid-client';
export const OPENID_CONFIG = `
[[callers]]
key = "demo-caller"
secret = "demo-caller-secret"
roles = ["as", "rs"]

[[clients]]
client_id = "${OPENID_CLIENT}"
auth_method = "none"
grant_types = ["authorization_code", "refresh_token"]
scopes = ["openid", "email", "read"]
redirect_uris = ["http://127.0.0.1:3000/callback"]
`;
