// Passkeys in Chromium through nginx (tests/portal.rs, with a `two_factor` rule on /admin/),
// with a virtual authenticator (DevTools WebAuthn domain: CTAP2, internal, resident keys,
// user verification): alice, signed in with her password only, adds a passkey on the
// account page; her one-factor session meets /admin/ and steps up with the passkey under a
// fresh session id; signed out, she signs in with password + passkey (no session before the
// passkey) and passes the two-factor rule; with the passkey alone from the sign-in page
// (passwordless); the same authenticator is not registered twice;
// she removes the passkey, and the next password sign-in needs no second step again.
// The portal is http://auth.example.org:PORT, made a secure context for WebAuthn with
// --unsafely-treat-insecure-origin-as-secure.
// Environment: WICKET_APP_URL, WICKET_ADMIN_URL, WICKET_PORTAL_URL, WICKET_RESOLVE.
import { atPortalFor, check, launch, signIn, steps, upstreamUser } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const admin = process.env.WICKET_ADMIN_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
check(app && admin && portal && resolve, 'WICKET_APP_URL, WICKET_ADMIN_URL, WICKET_PORTAL_URL and WICKET_RESOLVE are set');

const shots = process.env.WICKET_SCREENSHOTS;
async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

/** Clicks `selector` and resolves once the navigation it starts has loaded. */
async function clickAndWait(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
  return response;
}

const session = async (ctx) => (await ctx.cookies()).find((k) => k.name === 'wicket_session');

const browser = await launch([`--host-resolver-rules=${resolve}`, `--unsafely-treat-insecure-origin-as-secure=${portal}`]);
const step = steps('passkey');
try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });

  // Password only (no second factor yet), then the account page.
  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `on the portal: ${page.url()}`);
  await signIn(page, 'alice', 'pw-alice');
  check(page.url() === app, `signed in with the password alone: ${page.url()}`);
  const oneFactor = await session(ctx);
  await page.goto(`${portal}/account/passkeys`);
  check(await page.isVisible('#passkey-button'), 'the Add a passkey button shows (with script)');
  await shot(page, 'passkey-account-empty');
  await page.fill('#passkey-name', 'laptop');
  let res = await clickAndWait(page, '#passkey-button');
  check(res.status() === 200, `registered: ${res.status()} ${await page.textContent('body')}`);
  check(/laptop/.test(await page.textContent('ul.passkeys')), 'the passkey is listed by name');
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  check(credentials.length === 1 && credentials[0].rpId === 'auth.example.org', `one credential for the portal: ${JSON.stringify(credentials.map((c) => c.rpId))}`);
  await shot(page, 'passkey-account');
  step.ok('a passkey is added from the account page and listed');

  // The same authenticator again: the page excludes the registered credential, so the
  // authenticator declines and the page says so (no navigation).
  await page.fill('#passkey-name', 'laptop again');
  await page.click('#passkey-button');
  await page.waitForFunction(() => document.getElementById('passkey-error').textContent !== '');
  check(/InvalidStateError/.test(await page.textContent('#passkey-error')), `declined: ${await page.textContent('#passkey-error')}`);
  check((await page.$$('ul.passkeys li')).length === 1, 'still one passkey');
  step.ok('the same authenticator is not registered twice');

  // The one-factor session meets /admin/ and steps up with the passkey.
  await page.goto(admin);
  check(page.url().startsWith(`${portal}/login/step-up?`), `sent to the step-up: ${page.url()}`);
  check(await page.isVisible('#passkey-button'), 'the step-up page offers the passkey');
  await shot(page, 'passkey-step-up');
  await clickAndWait(page, '#passkey-button');
  check(page.url() === admin, `on /admin/ after the passkey step-up: ${page.url()}`);
  check(upstreamUser(await page.textContent('body')) === 'alice', 'sees /admin/ as alice');
  const stepped = await session(ctx);
  check(stepped && oneFactor && stepped.value !== oneFactor.value, 'a fresh session id after the step-up');
  step.ok('a one-factor session steps up with the passkey on the two-factor rule');

  // Signed out: password, then the passkey page (no session yet), then the passkey.
  await ctx.clearCookies();
  await page.goto(app);
  await signIn(page, 'alice', 'pw-alice');
  check(await page.isVisible('#passkey-button'), `the passkey page after the password: ${page.url()}`);
  check(await page.$('input[name=code]') === null, 'no code form without TOTP');
  check(!(await session(ctx)), 'no session before the passkey');
  await shot(page, 'passkey-sign-in');
  await clickAndWait(page, '#passkey-button');
  check(page.url() === app, `signed in with password + passkey, back at the app: ${page.url()}`);
  await page.goto(admin);
  check(page.url() === admin, `the session passes the two-factor rule: ${page.url()}`);
  const { credentials: after } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  check(after[0].signCount >= 2, `the authenticator counted its uses: ${after[0].signCount}`);
  step.ok('password + passkey signs in, and the session passes the two-factor rule');

  // Passwordless ([webauthn] passwordless = true): the passkey alone, from the sign-in page.
  await ctx.clearCookies();
  await page.goto(app);
  check(await page.isVisible('#passkey-button'), 'the sign-in page offers Sign in with a passkey');
  await shot(page, 'passkey-passwordless');
  await clickAndWait(page, '#passkey-button');
  check(page.url() === app, `signed in with the passkey alone: ${page.url()}`);
  await page.goto(admin);
  check(page.url() === admin, `a passwordless session passes the two-factor rule: ${page.url()}`);
  step.ok('a passkey alone signs in (passwordless) with two factors');

  // Removal (the session is two-factor), then the password alone signs in again.
  await page.goto(`${portal}/account/passkeys`);
  res = await clickAndWait(page, 'ul.passkeys button[type=submit]');
  check(res.status() === 200 && /removed/.test(await page.textContent('[role=status]')), `removed: ${res.status()}`);
  check(await page.$('ul.passkeys') === null, 'no passkey listed');
  await ctx.clearCookies();
  await page.goto(app);
  await signIn(page, 'alice', 'pw-alice');
  check(page.url() === app, `the password alone signs in again: ${page.url()}`);
  step.ok('a removed passkey is no longer asked for');
  step.done();
} finally {
  await browser.close();
}
