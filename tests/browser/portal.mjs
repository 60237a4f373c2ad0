// The sign-in portal end to end, in Chromium, through nginx (started with wicketd by
// tests/portal.rs, which passes the URLs): a protected page sends the browser to the
// portal; a wrong password shows the error; signing in lands back on the page with
// Remote-User at the upstream; a reload stays signed in; signing out protects the page
// again; "remember me" makes a persistent cookie, no box a browser-session cookie.
// Environment: WICKET_APP_URL (a protected page), WICKET_PORTAL_URL, WICKET_RESOLVE
// (Chromium host-resolver rules mapping the example names to loopback).
import { check, launch } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
check(app && portal && resolve, 'WICKET_APP_URL, WICKET_PORTAL_URL and WICKET_RESOLVE are set');

const browser = await launch([`--host-resolver-rules=${resolve}`]);
let steps = 0;
const step = (name) => { steps += 1; console.log(`ok ${steps} - ${name}`); };

async function signIn(page, password, remember) {
  await page.fill('#username', 'alice');
  await page.fill('#password', password);
  if (remember) await page.check('#remember_me');
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
}

try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });

  await page.goto(app);
  check(page.url().startsWith(`${portal}/login?rd=`), `sent to the portal, at ${page.url()}`);
  check(new URL(page.url()).searchParams.get('rd') === app, `rd is the page asked for: ${page.url()}`);
  step('a protected page sends the browser to the portal');

  await signIn(page, 'wrong', false);
  check(page.url().startsWith(`${portal}/login`), `still on the portal after a wrong password: ${page.url()}`);
  const alert = await page.textContent('[role=alert]');
  check(/incorrect/i.test(alert || ''), `the error is shown: ${alert}`);
  step('a wrong password shows the error');

  await signIn(page, 'pw-alice', false);
  check(page.url() === app, `back on the page: ${page.url()}`);
  const body = await page.textContent('body');
  check(/user=alice\b/.test(body || ''), `Remote-User reached the upstream: ${body}`);
  step('signing in lands back on the page as alice');

  const session = (await ctx.cookies()).find((c) => c.name === 'wicket_session');
  check(session, 'a session cookie is set');
  check(session.expires === -1, `without the box it is a browser-session cookie (expires ${session.expires})`);
  check(session.httpOnly, 'the session cookie is HttpOnly');
  step('no box: a browser-session cookie');

  await page.reload();
  check(/user=alice\b/.test((await page.textContent('body')) || ''), 'still signed in after a reload');
  step('a reload stays signed in');

  await page.goto(`${portal}/logout`);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  await page.goto(app);
  check(page.url().startsWith(`${portal}/login?rd=`), `protected again after signing out: ${page.url()}`);
  step('signing out protects the page again');
  check(violations.length === 0, `no CSP violations: ${violations.join('; ')}`);

  const remembered = await browser.newContext();
  const page2 = await remembered.newPage();
  await page2.goto(app);
  await signIn(page2, 'pw-alice', true);
  check(/user=alice\b/.test((await page2.textContent('body')) || ''), 'signed in with remember me');
  const persistent = (await remembered.cookies()).find((c) => c.name === 'wicket_session');
  const days = persistent ? (persistent.expires - Date.now() / 1000) / 86400 : 0;
  check(days > 29 && days <= 30.01, `remember me: a persistent cookie for 30 days (${days.toFixed(2)})`);
  step('remember me sets a persistent cookie');
  console.log(`portal: ${steps} passed, 0 failed`);
} finally {
  await browser.close();
}
