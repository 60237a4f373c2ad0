// Sign in with an OpenID Connect provider, in Chromium through nginx (tests/oidc.rs starts
// wicketd, nginx and tests/browser/oidc-provider.mjs): a protected page sends the browser to
// the portal; "Sign in with Example ID" goes to the provider; signing in there as carol lands
// back on the page with Remote-User carol and her groups (the provider's and Wicket's) at
// the upstream; the callback URL replayed is refused; dave (outside allowed_groups) gets a
// clear refusal page; a provider that is down gets a clear page.
// Environment: WICKET_APP_URL, WICKET_PORTAL_URL, WICKET_RESOLVE, optionally WICKET_SCREENSHOTS.
import { join } from 'node:path';
import { atPortalFor, check, launch, steps, upstreamUser } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
const shots = process.env.WICKET_SCREENSHOTS;
check(app && portal && resolve, 'WICKET_APP_URL, WICKET_PORTAL_URL and WICKET_RESOLVE are set');

const browser = await launch([`--host-resolver-rules=${resolve}`]);
const step = steps('oidc');

/** Signs in at the provider's development login and consent pages as `user`. */
async function atProvider(page, user) {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', user);
  await page.fill('input[name=password]', 'any');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  // The consent page, unless the provider went straight back.
  if (!page.url().startsWith(portal) && !page.url().startsWith(app)) {
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  }
}

try {
  const ctx = await browser.newContext({ viewport: { width: 1000, height: 720 } });
  const page = await ctx.newPage();
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  let callback = null;
  let authorize = null;
  page.on('request', (r) => {
    if (r.url().startsWith(`${portal}/oidc/callback`)) callback = r.url();
    if (/^http:\/\/127\.0\.0\.1:\d+\/auth\?/.test(r.url())) authorize = r.url();
  });

  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `sent to the portal with rd = the page, at ${page.url()}`);
  const button = page.getByRole('link', { name: 'Sign in with Example ID' });
  check(await button.count() === 1, 'the login page offers "Sign in with Example ID"');
  if (shots) await page.screenshot({ path: join(shots, 'login-oidc.png') });
  step.ok('the login page shows the provider button');

  await Promise.all([page.waitForNavigation(), button.click()]);
  check(page.url().startsWith('http://127.0.0.1:'), `at the provider: ${page.url()}`);
  check(authorize && !/code_verifier|client_secret/.test(authorize), `no verifier or secret in the URL: ${authorize}`);
  check(/code_challenge_method=S256/.test(authorize) && /[?&]nonce=/.test(authorize), 'PKCE S256 and a nonce are sent');
  await atProvider(page, 'carol');
  check(page.url() === app, `back on the page: ${page.url()}`);
  const body = await page.textContent('body');
  check(upstreamUser(body) === 'carol', `Remote-User carol reached the upstream: ${body}`);
  const groups = (/groups=(\S*)/.exec(body) || [])[1] || '';
  for (const g of ['staff', 'developers', 'admins']) {
    check(groups.split(',').includes(g), `group ${g} reached the upstream: ${body}`);
  }
  step.ok('signing in at the provider lands back on the page as carol with her groups');

  check(callback && !/[?&](code|state)=[^&]*&?.*client_secret/.test(callback), 'the callback was seen');
  const replay = await page.goto(callback);
  check(replay.status() === 400, `a replayed callback is refused (${replay.status()})`);
  check(/expired or was already used/i.test(await page.textContent('body')), 'the replay page says why');
  await page.goto(app);
  check(upstreamUser(await page.textContent('body')) === 'carol', 'the session survives the refused replay');
  step.ok('a replayed callback is refused');

  const other = await browser.newContext();
  const p2 = await other.newPage();
  await p2.goto(app);
  await Promise.all([p2.waitForNavigation(), p2.getByRole('link', { name: 'Sign in with Example ID' }).click()]);
  await atProvider(p2, 'dave');
  check(p2.url().startsWith(`${portal}/oidc/callback`), `dave stays on the portal: ${p2.url()}`);
  const refusal = await p2.textContent('body');
  check(/not allowed to sign in here/i.test(refusal), `a clear refusal: ${refusal}`);
  check(!/Traceback|panicked|code=|id_token/i.test(refusal), 'no internals on the page');
  await p2.goto(app);
  check(atPortalFor(p2.url(), portal, app), 'dave is not signed in');
  step.ok('a user outside allowed_groups gets a clear refusal page');

  const down = await p2.goto(`${portal}/oidc/start?provider=Down%20ID`);
  check(down.status() === 503, `a provider that is down: 503 (${down.status()})`);
  check(/unavailable right now/i.test(await p2.textContent('body')), 'and a clear page');
  step.ok('a provider that is down gets a clear page');
  check(violations.length === 0, `no CSP violations: ${violations.join('; ')}`);
} finally {
  await browser.close();
}
step.done();
