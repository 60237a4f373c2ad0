// An invitation in Chromium through nginx (tests/portal.rs): the link `wicket user invite`
// printed opens the portal's "choose your password" page (the token leaves the address bar
// at once), a weak password is refused with the rule that failed, a good one lands signed
// in on the account page, the protected site gets the new user in Remote-User, and the link
// is dead afterwards.
// Environment: WICKET_INVITE_URL (the printed link), WICKET_USER (the invited name),
// WICKET_APP_URL, WICKET_PORTAL_URL, WICKET_RESOLVE.
import { check, launch, steps, upstreamUser } from './lib.mjs';

const link = process.env.WICKET_INVITE_URL;
const user = process.env.WICKET_USER;
const app = process.env.WICKET_APP_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
check(link && user && app && portal && resolve, 'WICKET_INVITE_URL, WICKET_USER, WICKET_APP_URL, WICKET_PORTAL_URL and WICKET_RESOLVE are set');

/** Fills both password fields and submits; resolves to the response of the page it led to. */
async function choose(page, password) {
  await page.fill('#new_password', password);
  await page.fill('#new_password_again', password);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return response;
}

const browser = await launch([`--host-resolver-rules=${resolve}`]);
const step = steps('invite');
try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();

  const opened = await page.goto(link);
  check(opened.status() === 200 && page.url() === `${portal}/invite`, `the link opens the form and leaves the address bar: ${opened.status()} ${page.url()}`);
  const heading = await page.textContent('h1');
  check(/Choose your password/.test(heading), `the heading: ${heading}`);
  check((await page.textContent('body')).includes(`Welcome, ${user}.`), 'the page greets the invited user');
  step.ok('the link opens the portal form without the token in the address bar');

  const weak = await choose(page, 'short1');
  const alert = (await page.textContent('[role=alert]')) || '';
  check(weak.status() === 400 && page.url() === `${portal}/invite`, `a weak password stays on the form: ${weak.status()} ${page.url()}`);
  check(alert.includes('Password refused: shorter than 8 characters'), `the rule is shown: ${alert}`);
  step.ok('a weak password is refused with the rule that failed');

  const password = 'correct horse battery staple';
  const done = await choose(page, password);
  check(done.status() === 200 && page.url() === `${portal}/`, `signed in on the account page: ${done.status()} ${page.url()}`);
  check((await page.textContent('body')).includes(user), 'the account page names the user');
  step.ok('a good password lands signed in on the account page');

  await page.goto(app);
  const body = await page.textContent('body');
  check(page.url() === app && upstreamUser(body) === user, `the protected site gets Remote-User: ${page.url()} ${body}`);
  check(/groups=\S*developers/.test(body), `and the invited groups: ${body}`);
  step.ok('the protected site through nginx gets the new user');

  const again = await ctx.newPage();
  const dead = await again.goto(link);
  const text = await again.textContent('body');
  check(dead.status() === 410 && text.includes('This link is no longer valid.'), `the used link is dead: ${dead.status()} ${text}`);
  // And a fresh browser with the link gets nowhere either.
  const other = await browser.newContext();
  const fresh = await (await other.newPage()).goto(link);
  check(fresh.status() === 410, `a fresh browser with the used link: ${fresh.status()}`);
  await other.close();
  step.ok('the link no longer works');
  step.done();
} finally {
  await browser.close();
}
