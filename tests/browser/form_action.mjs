// Why the portal's CSP lists the redirect origins in `form-action`: browsers apply
// `form-action` to the redirects that follow a form POST. A sign-in form on
// auth.example.org that answers 303 to app.example.org is blocked under
// `form-action 'self'` and followed under the policy wicketd builds
// (pages::content_security_policy, read from the samples' headers.json).
//
//   node tests/browser/form_action.mjs SAMPLES_DIR
//
// Both names resolve to 127.0.0.1 inside this browser only (--host-resolver-rules); the
// two servers listen on loopback ports of our own.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, check } from './lib.mjs';

const samples = process.argv[2];
if (!samples) {
  console.error('usage: node form_action.mjs SAMPLES_DIR');
  process.exit(2);
}
const portalCsp = JSON.parse(readFileSync(join(samples, 'headers.json'), 'utf8'))['Content-Security-Policy'];
check(portalCsp && portalCsp.includes('form-action'), 'headers.json holds the portal CSP');

function listen(handler) {
  const server = createServer(handler);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, stop: () => new Promise((r) => server.close(() => r())) }));
  });
}

const app = await listen((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end('<!doctype html><title>app</title><p id="where">landed on the app</p>');
});
let csp = portalCsp;
const portal = await listen((req, res) => {
  if (req.method === 'POST') {
    req.resume();
    res.writeHead(303, { Location: `http://app.example.org:${app.port}/landed` });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Security-Policy': csp });
  res.end('<!doctype html><title>portal</title><form method="post" action="/login"><button id="go">Sign in</button></form>');
});

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--host-resolver-rules=MAP *.example.org 127.0.0.1'],
});

/** Submits the portal form under `policy`; resolves to the title of where the browser ends up. */
async function submitUnder(policy) {
  csp = policy;
  const page = await browser.newPage();
  const blocked = new Promise((resolve) => {
    page.on('console', (m) => { if (/form-action/.test(m.text())) resolve('blocked'); });
  });
  await page.goto(`http://auth.example.org:${portal.port}/login`);
  // A blocked navigation ends the wait with net::ERR_ABORTED; the report says why.
  const landed = page.waitForURL(`http://app.example.org:${app.port}/landed`).then(() => 'landed', () => 'aborted');
  await page.click('#go');
  // No timer decides: either the browser arrives, or it aborts and reports form-action.
  let outcome = await landed;
  if (outcome === 'aborted') outcome = await blocked;
  await page.close();
  return outcome;
}

let failed = false;
try {
  const strict = "default-src 'none'; style-src 'self'; form-action 'self'";
  check(await submitUnder(strict) === 'blocked', "form-action 'self' blocks the redirect after POST");
  check(await submitUnder(portalCsp) === 'landed', `the portal CSP lets it through: ${portalCsp}`);
  console.log('ok: form-action must list the redirect origins, and the portal CSP does');
} catch (e) {
  failed = true;
  console.error(`FAIL: form_action: ${e.message}`);
} finally {
  await browser.close();
  await portal.stop();
  await app.stop();
}
process.exit(failed ? 1 : 0);
