// Screenshots of the portal pages for docs/screenshots/.
//
//   mkdir -p /tmp/samples && WICKET_PORTAL_SAMPLES=/tmp/samples \
//     cargo test -p wicketd --lib portal::pages::tests::write_samples -- --ignored
//   node tests/browser/screenshots.mjs /tmp/samples docs/screenshots
//
// The pages are served over HTTP (not file://) so the stylesheet loads from /portal.css as
// it does from wicketd, with the security headers wicketd sends (headers.json, written by
// the same test): any Content-Security-Policy violation the browser reports fails the run.
import { createServer } from 'node:http';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, launch } from './lib.mjs';

/** Serves the sample files with wicketd's page headers, on a loopback port of our own. */
function servePortalSamples(dir) {
  const headers = JSON.parse(readFileSync(join(dir, 'headers.json'), 'utf8'));
  const server = createServer((req, res) => {
    const name = new URL(req.url, 'http://x').pathname.slice(1);
    if (!/^[a-z-]+\.(html|css)$/.test(name)) { res.writeHead(404); res.end(); return; }
    let body;
    try { body = readFileSync(join(dir, name)); } catch { res.writeHead(404); res.end(); return; }
    const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/html; charset=utf-8';
    res.writeHead(200, { ...headers, 'Content-Type': type });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}`,
      stop: () => new Promise((r) => server.close(() => r())),
    }));
  });
}

const [samples, out] = process.argv.slice(2);
if (!samples || !out) {
  console.error('usage: node screenshots.mjs SAMPLES_DIR OUT_DIR');
  process.exit(2);
}
mkdirSync(out, { recursive: true });

const shots = [
  ['login.html', 'login.png', { width: 1000, height: 720 }],
  ['login-error.html', 'login-error.png', { width: 1000, height: 720 }],
  ['signed-in.html', 'signed-in.png', { width: 1000, height: 720 }],
  ['logout.html', 'logout.png', { width: 1000, height: 560 }],
  ['password.html', 'password.png', { width: 1000, height: 820 }],
  ['error.html', 'error.png', { width: 1000, height: 560 }],
  ['invite.html', 'invite.png', { width: 1000, height: 760 }],
  ['invite-invalid.html', 'invite-invalid.png', { width: 1000, height: 560 }],
  ['login.html', 'login-phone.png', { width: 390, height: 720 }],
  ['code.html', 'totp-code.png', { width: 1000, height: 720 }],
  ['code-error.html', 'totp-code-error.png', { width: 1000, height: 720 }],
  ['two-factor-enrol.html', 'totp-enrol.png', { width: 1000, height: 980 }],
  ['recovery-codes.html', 'totp-recovery-codes.png', { width: 1000, height: 900 }],
  ['two-factor-account.html', 'totp-account.png', { width: 1000, height: 820 }],
  ['code.html', 'totp-code-phone.png', { width: 390, height: 720 }],
];

const server = await servePortalSamples(samples);
const browser = await launch();
let failed = false;
try {
  for (const scheme of ['light', 'dark']) {
    for (const [page, png, viewport] of shots) {
      if (scheme === 'dark' && page !== 'login.html') continue;
      const ctx = await browser.newContext({ viewport, colorScheme: scheme });
      const tab = await ctx.newPage();
      const violations = [];
      tab.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
      const res = await tab.goto(`${server.url}/${page}`);
      check(res && res.status() === 200, `${page}: status`);
      // The stylesheet applied: the card has its rounded border.
      const radius = await tab.$eval('.card', (el) => getComputedStyle(el).borderTopLeftRadius);
      check(radius !== '0px', `${page}: portal.css applied`);
      check(violations.length === 0, `${page}: CSP violations: ${violations.join(' | ')}`);
      const name = scheme === 'dark' ? png.replace('.png', '-dark.png') : png;
      await tab.screenshot({ path: join(out, name) });
      console.log(`wrote ${join(out, name)}`);
      await ctx.close();
    }
  }
} catch (e) {
  failed = true;
  console.error(`FAIL: screenshots: ${e.message}`);
} finally {
  await browser.close();
  await server.stop();
}
process.exit(failed ? 1 : 0);
