// An HTTP client for the tests on node:http, because fetch merges repeated headers: a header
// given as an array is sent as that many header lines.
import http from 'node:http';

/** @returns {Promise<{ status: number, headers: import('node:http').IncomingHttpHeaders, body: string, json: () => any }>} */
export function send(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
    });
    req.on('timeout', () => req.destroy(new Error('test request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

export const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** Calls dpopd's API directly, as the relay would. */
export async function callDpopd(dpopdUrl, path, body) {
  const response = await fetch(`${dpopdUrl}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Authorization: `Basic ${Buffer.from('demo-caller:demo-caller-secret').toString('base64')}`,
    },
    body: JSON.stringify(body),
  });
  return response.json();
}
