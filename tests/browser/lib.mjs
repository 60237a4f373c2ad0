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
