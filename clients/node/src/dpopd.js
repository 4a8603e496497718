// The call to dpopd's JSON API: caller credentials, a bounded time, and one rule — anything but
// HTTP 200 with a JSON object naming an `action` is a failure (`DpopdUnavailable`), which the
// relay answers 503. Nothing a broken or unreachable dpopd does can reach "let it through".

/** dpopd did not answer usably: unreachable, too slow, non-200, or not the JSON expected. */
export class DpopdUnavailable extends Error {
  /** @param {string} path @param {string} reason */
  constructor(path, reason) {
    super(`dpopd ${path}: ${reason}`);
    this.name = 'DpopdUnavailable';
  }
}

/**
 * @typedef {object} DpopdOptions
 * @property {string} [dpopdUrl]  where dpopd listens; default `$DPOPD_URL`, else http://127.0.0.1:8080
 * @property {string} [caller]    this server's caller key at dpopd; default `$DPOPD_CALLER`
 * @property {string} [secret]    its secret; default `$DPOPD_SECRET`
 * @property {number} [timeoutMs] the whole call, connection to last byte; default 5000
 * @property {typeof fetch} [fetch]
 */

export class Dpopd {
  #url;
  #authorization;
  #timeoutMs;
  #fetch;

  /** @param {DpopdOptions} [options] */
  constructor(options = {}) {
    const env = globalThis.process?.env ?? {};
    const url = options.dpopdUrl ?? env.DPOPD_URL ?? 'http://127.0.0.1:8080';
    if (!/^https?:\/\/[^/?#]+/i.test(url)) throw new TypeError(`dpopd-relay: dpopdUrl is not an http(s) URL: ${url}`);
    const caller = options.caller ?? env.DPOPD_CALLER;
    const secret = options.secret ?? env.DPOPD_SECRET;
    if (!caller || !secret) {
      throw new TypeError(
        'dpopd-relay: caller credentials missing: set DPOPD_CALLER and DPOPD_SECRET (or pass caller and secret)',
      );
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
      throw new TypeError('dpopd-relay: timeoutMs must be a positive number');
    this.#url = url.replace(/\/+$/, '');
    this.#authorization = `Basic ${Buffer.from(`${caller}:${secret}`, 'utf8').toString('base64')}`;
    this.#timeoutMs = timeoutMs;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * POSTs `body` to dpopd's `path` and returns its answer, an object with a string `action`.
   * @param {string} path e.g. `/auth/token`
   * @param {object} body
   * @returns {Promise<Record<string, any> & { action: string }>}
   * @throws {DpopdUnavailable}
   */
  async call(path, body) {
    let status;
    let text;
    try {
      const response = await this.#fetch(`${this.#url}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: this.#authorization },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (err) {
      const timedOut = err?.name === 'TimeoutError' || err?.cause?.name === 'TimeoutError';
      throw new DpopdUnavailable(
        path,
        timedOut
          ? `no answer within ${this.#timeoutMs} ms`
          : `unreachable (${err?.cause?.code ?? err?.cause?.message ?? err?.message ?? err})`,
      );
    }
    if (status !== 200) {
      // A non-200 is an API error (caller credentials, role, malformed call) or dpopd failing:
      // resultCode says which, for the log; the client gets 503 either way.
      throw new DpopdUnavailable(path, `HTTP ${status} ${resultCodeOf(text)}`);
    }
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      throw new DpopdUnavailable(path, `answer is not JSON (${text.length} bytes)`);
    }
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer) || typeof answer.action !== 'string') {
      throw new DpopdUnavailable(path, 'answer has no action');
    }
    return answer;
  }
}

function resultCodeOf(text) {
  try {
    const code = JSON.parse(text)?.resultCode;
    return typeof code === 'string' && /^A\d{6}$/.test(code) ? code : '';
  } catch {
    return '';
  }
}
