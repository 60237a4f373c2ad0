// Smoke test of the browser harness: serve a static page on our own loopback port, open it
// in headless chromium, check what it shows, take a screenshot. Exit 0 = the harness works.
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, launch, serveStatic } from './lib.mjs';

const dir = mkdtempSync(join(tmpdir(), 'wicket-browser-'));
writeFileSync(join(dir, 'index.html'),
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Wicket smoke</title></head>'
  + '<body><h1 id="greeting">Hello from a static page</h1>'
  + '<form method="get" action="/index.html"><label for="q">Q</label><input id="q" name="q"><button>Go</button></form>'
  + '</body></html>');

const server = await serveStatic(dir);
const browser = await launch();
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const response = await page.goto(`${server.url}/index.html`);
  check(response && response.status() === 200, `status ${response && response.status()}`);
  check(await page.title() === 'Wicket smoke', 'title');
  check(await page.textContent('#greeting') === 'Hello from a static page', 'heading text');
  // Keyboard: the label points at the input, typing and Enter submit the form.
  await page.getByLabel('Q').fill('wicket');
  await Promise.all([page.waitForURL('**/index.html?q=wicket'), page.keyboard.press('Enter')]);
  const shot = join(dir, 'smoke.png');
  await page.screenshot({ path: shot });
  const png = readFileSync(shot);
  check(png.subarray(1, 4).toString() === 'PNG' && png.length > 1000, 'a PNG screenshot');
  console.log(`ok: browser smoke (${browser.version()}, ${server.url})`);
} catch (e) {
  failed = true;
  console.error(`FAIL: browser smoke: ${e.message}`);
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
