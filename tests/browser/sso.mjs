// Single sign-on across two server names under one cookie domain, in Chromium through nginx
// (tests/portal.rs): app.example.org and wiki.example.org are both protected, the portal is
// auth.example.org and [session] domain = "example.org". Signing in once on the first site
// signs the browser in on the second without a prompt, Remote-User reaching both upstreams;
// signing out once signs out of both.
// Environment: WICKET_APP_URL and WICKET_APP2_URL (a page on each site), WICKET_PORTAL_URL,
// WICKET_RESOLVE (Chromium host-resolver rules mapping the example names to loopback).
import { atPortalFor, check, launch, signIn, signOut, steps, upstreamUser } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const app2 = process.env.WICKET_APP2_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
check(app && app2 && portal && resolve, 'WICKET_APP_URL, WICKET_APP2_URL, WICKET_PORTAL_URL and WICKET_RESOLVE are set');
check(new URL(app).hostname !== new URL(app2).hostname, 'two server names');

const browser = await launch([`--host-resolver-rules=${resolve}`]);
const step = steps('sso');
try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();

  await page.goto(app2);
  check(atPortalFor(page.url(), portal, app2), `the second site sends a new browser to the portal: ${page.url()}`);
  step.ok('the second site asks a browser without a session to sign in');

  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `the first site too: ${page.url()}`);
  await signIn(page, 'alice', 'pw-alice');
  check(page.url() === app, `back on the first site: ${page.url()}`);
  const body = await page.textContent('body');
  check(upstreamUser(body) === 'alice' && !body.startsWith('wiki:'), `the first upstream got alice: ${body}`);
  step.ok('signing in on the first site lands back on it as alice');

  const session = (await ctx.cookies()).find((c) => c.name === 'wicket_session');
  check(session && session.domain === '.example.org', `the cookie is for the domain: ${JSON.stringify(session)}`);
  step.ok('the session cookie is set for example.org');

  const res = await page.goto(app2);
  check(res.request().redirectedFrom() === null, `no redirect on the way (from ${res.request().redirectedFrom()?.url()})`);
  check(res.status() === 200 && page.url() === app2, `the second site answers directly: ${res.status()} ${page.url()}`);
  const body2 = await page.textContent('body');
  check(body2.startsWith('wiki:') && upstreamUser(body2) === 'alice', `the second upstream got alice: ${body2}`);
  step.ok('the second site is signed in without a prompt');

  await signOut(page, portal);
  await page.goto(app2);
  check(atPortalFor(page.url(), portal, app2), `the second site is protected again: ${page.url()}`);
  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `the first site is protected again: ${page.url()}`);
  step.ok('signing out once signs out of both');
  step.done();
} finally {
  await browser.close();
}
