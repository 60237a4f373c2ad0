// The sign-in portal end to end, in Chromium, through a proxy (nginx started with wicketd by
// tests/portal.rs, Caddy by tests/portal_caddy.rs, which pass the URLs): a protected page
// sends the browser to the portal; a wrong password shows the error; signing in lands back
// on the page with Remote-User at the upstream; a reload stays signed in; the portal's own
// page says who is signed in; signing out protects the page again; "remember me" makes a
// persistent cookie, no box a browser-session cookie.
// Environment: WICKET_APP_URL (a protected page), WICKET_PORTAL_URL, WICKET_RESOLVE
// (Chromium host-resolver rules mapping the example names to loopback), and optionally
// WICKET_SCREENSHOTS, a directory for screenshots of the portal pages as served.
import { join } from 'node:path';
import { atPortalFor, check, launch, signIn, signOut, steps, upstreamUser } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
const shots = process.env.WICKET_SCREENSHOTS;
check(app && portal && resolve, 'WICKET_APP_URL, WICKET_PORTAL_URL and WICKET_RESOLVE are set');

const browser = await launch([`--host-resolver-rules=${resolve}`]);
const step = steps('portal');

/** Saves a screenshot of `page` as NAME.png in $WICKET_SCREENSHOTS, at `height` px. */
async function shoot(page, name, height = 720) {
  if (!shots) return;
  await page.setViewportSize({ width: 1000, height });
  await page.screenshot({ path: join(shots, `${name}.png`) });
  await page.setViewportSize({ width: 1000, height: 720 });
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  const page = await ctx.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });

  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `sent to the portal with rd = the page, at ${page.url()}`);
  await shoot(page, 'login');
  step.ok('a protected page sends the browser to the portal');

  let res = await signIn(page, 'alice', 'wrong');
  check(res.status() === 401, `a wrong password is answered 401 (${res.status()})`);
  check(page.url().startsWith(`${portal}/login`), `still on the portal after a wrong password: ${page.url()}`);
  const alert = await page.textContent('[role=alert]');
  check(/incorrect/i.test(alert || ''), `the error is shown: ${alert}`);
  await shoot(page, 'login-error');
  step.ok('a wrong password shows the error');

  res = await signIn(page, 'alice', 'pw-alice');
  check(page.url() === app, `back on the page: ${page.url()}`);
  const body = await page.textContent('body');
  check(upstreamUser(body) === 'alice', `Remote-User reached the upstream: ${body}`);
  step.ok('signing in lands back on the page as alice');

  const session = (await ctx.cookies()).find((c) => c.name === 'wicket_session');
  check(session, 'a session cookie is set');
  check(session.expires === -1, `without the box it is a browser-session cookie (expires ${session.expires})`);
  check(session.httpOnly, 'the session cookie is HttpOnly');
  step.ok('no box: a browser-session cookie');

  await page.reload();
  check(upstreamUser(await page.textContent('body')) === 'alice', 'still signed in after a reload');
  step.ok('a reload stays signed in');

  await page.goto(`${portal}/`);
  check(page.url() === `${portal}/`, `the portal's page, not the sign-in form: ${page.url()}`);
  const who = await page.textContent('main, body');
  check(/alice/.test(who) && /admins/.test(who), `the signed-in page names alice and her groups: ${who}`);
  await shoot(page, 'signed-in');
  step.ok("the portal's page shows who is signed in");

  if (shots) {
    await page.goto(`${portal}/logout`);
    await shoot(page, 'logout', 560);
  }
  await signOut(page, portal);
  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `protected again after signing out: ${page.url()}`);
  step.ok('signing out protects the page again');
  check(violations.length === 0, `no CSP violations: ${violations.join('; ')}`);

  const remembered = await browser.newContext();
  const page2 = await remembered.newPage();
  await page2.goto(app);
  await signIn(page2, 'alice', 'pw-alice', true);
  check(upstreamUser(await page2.textContent('body')) === 'alice', 'signed in with remember me');
  const persistent = (await remembered.cookies()).find((c) => c.name === 'wicket_session');
  const days = persistent ? (persistent.expires - Date.now() / 1000) / 86400 : 0;
  check(days > 29 && days <= 30.01, `remember me: a persistent cookie for 30 days (${days.toFixed(2)})`);
  step.ok('remember me sets a persistent cookie');
  step.done();
} finally {
  await browser.close();
}
