// A session ended on the server is sent back to the portal on the next request, in Chromium
// through nginx (tests/portal.rs): sign in, `wicket user lock alice` (which ends alice's
// sessions at once), and the next page load lands on the portal; the right password is
// refused while locked; `wicket user unlock` does not bring the old session back, and a
// new sign-in works.
// Environment: WICKET_APP_URL, WICKET_PORTAL_URL, WICKET_RESOLVE, WICKET_CLI (the `wicket`
// binary) and WICKET_DB (the store wicketd uses).
import { execFileSync } from 'node:child_process';
import { atPortalFor, check, launch, signIn, steps, upstreamUser } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
const cli = process.env.WICKET_CLI;
const db = process.env.WICKET_DB;
check(app && portal && resolve && cli && db, 'WICKET_APP_URL, WICKET_PORTAL_URL, WICKET_RESOLVE, WICKET_CLI and WICKET_DB are set');

/** Runs `wicket --db DB ARGS`; throws with its stderr when it fails. */
const wicket = (...args) => execFileSync(cli, ['--db', db, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

const browser = await launch([`--host-resolver-rules=${resolve}`]);
const step = steps('revoked');
try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();

  await page.goto(app);
  await signIn(page, 'alice', 'pw-alice');
  check(page.url() === app && upstreamUser(await page.textContent('body')) === 'alice', `signed in: ${page.url()}`);
  await page.reload();
  check(upstreamUser(await page.textContent('body')) === 'alice', 'the session holds across requests');
  step.ok('signed in as alice');

  wicket('user', 'lock', 'alice');
  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `after the lock, the next request lands on the portal: ${page.url()}`);
  const res = await signIn(page, 'alice', 'pw-alice');
  check(res.status() === 401 && page.url().startsWith(`${portal}/login`), `locked: the right password is refused (${res.status()} ${page.url()})`);
  step.ok('a locked account is sent back to the portal and cannot sign in');

  wicket('user', 'unlock', 'alice');
  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `the old session stays ended after unlock: ${page.url()}`);
  step.ok('unlocking does not bring the old session back');

  await signIn(page, 'alice', 'pw-alice');
  check(page.url() === app && upstreamUser(await page.textContent('body')) === 'alice', `signed in again: ${page.url()}`);
  step.ok('after unlock, alice signs in again');
  step.done();
} finally {
  await browser.close();
}
