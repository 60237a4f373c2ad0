// Shared helpers for the browser tests: a static file server on a loopback port of our own
// (python's http.server on port 0, the port read from its first line) and Debian's chromium
// driven by playwright-core, which downloads no browser.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

/** The browser binary; WICKET_CHROMIUM overrides. */
export const CHROMIUM = process.env.WICKET_CHROMIUM || '/usr/bin/chromium';

/** Fails the test with a message if `cond` is false. */
export function check(cond, message) {
  if (!cond) throw new Error(`check failed: ${message}`);
}

/**
 * Serves `dir` on 127.0.0.1 at a port the kernel picks. Resolves to { url, stop } once the
 * server has said where it listens; rejects if it exits or says nothing within 20 s.
 */
export function serveStatic(dir) {
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stop = () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => { stop(); reject(new Error('http.server did not report its port within 20 s')); }, 20_000);
    child.once('exit', (code) => { clearTimeout(deadline); reject(new Error(`http.server exited (${code}) before listening`)); });
    child.stderr.resume();
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = /port (\d+)/.exec(line);
      if (m) {
        clearTimeout(deadline);
        child.removeAllListeners('exit');
        resolve({ url: `http://127.0.0.1:${m[1]}`, stop });
      }
    });
  });
}

/**
 * Launches headless chromium with no network beyond what the page asks for; `extraArgs`
 * are added (e.g. `--host-resolver-rules=MAP *.example.org 127.0.0.1`).
 */
export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/**
 * Fills the portal's sign-in form on `page` and submits it. Resolves, once the browser has
 * loaded where the form led, to the response of that last page (after any redirect): the
 * page signed in to, or the portal's answer (401 wrong password, 429 throttled, ...).
 */
export async function signIn(page, user, password, remember = false) {
  await page.fill('#username', user);
  await page.fill('#password', password);
  if (remember) await page.check('#remember_me');
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return response;
}

/** Opens the portal's sign-out confirmation and confirms; resolves once the answer loaded. */
export async function signOut(page, portal) {
  await page.goto(`${portal}/logout`);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

/**
 * The user an upstream says it got in Remote-User: the nginx stand-ins answer
 * `user=NAME ...`, the echo server `remote-user: NAME`. Empty when none; null when the page
 * is neither.
 */
export function upstreamUser(text) {
  const m = /(?:^|[\s-])user(?:=|: )(\S*)/m.exec(text || '');
  return m ? m[1] : null;
}

/** True when `url` is the portal's sign-in page with `rd` = `target`. */
export function atPortalFor(url, portal, target) {
  return url.startsWith(`${portal}/login?`) && new URL(url).searchParams.get('rd') === target;
}

/** Counts the passed steps of a script and prints them TAP-style. */
export function steps(name) {
  let n = 0;
  return {
    ok(what) { n += 1; console.log(`ok ${n} - ${what}`); },
    done() { console.log(`${name}: ${n} passed, 0 failed`); },
  };
}
