// Two-factor sign-in in Chromium through nginx (tests/portal.rs, with a `two_factor` rule on
// /admin/ and a TOTP key file): alice, signed in with her password only, meets /admin/ and is
// led through enrolment (QR page, the key read from the page, a first code computed here
// with HMAC-SHA-1, the recovery codes shown once) and lands on /admin/; a second browser
// signs in with password + code after a wrong code is refused; a third sees the same code
// refused as already used and signs in with a recovery code, which a fourth cannot use
// again; a one-factor session opened before the enrolment steps up on /admin/ and keeps
// its sign-in. Codes of the current and the next time step are used (the window is ±1),
// so no step of the test waits for the clock.
// Environment: WICKET_APP_URL (a page on the protected site), WICKET_ADMIN_URL (a page
// under the two-factor rule), WICKET_PORTAL_URL, WICKET_RESOLVE.
import { createHmac } from 'node:crypto';
import { atPortalFor, check, launch, signIn, steps, upstreamUser } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const admin = process.env.WICKET_ADMIN_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
check(app && admin && portal && resolve, 'WICKET_APP_URL, WICKET_ADMIN_URL, WICKET_PORTAL_URL and WICKET_RESOLVE are set');

/** RFC 4648 base32 (spaces ignored) to bytes. */
function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let acc = 0;
  const out = [];
  for (const c of text.replace(/\s+/g, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    check(v >= 0, `base32 key: ${text}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 6 digits, 30 s) of `key` at time step `step`. */
function totp(key, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const n = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 1000 / 30);

/** A code wrong for steps s-1..s+2 (never flaky). */
function wrongCode(key, s) {
  for (let c = 0; ; c += 1) {
    const code = String(c).padStart(6, '0');
    if (![s - 1, s, s + 1, s + 2].some((x) => totp(key, x) === code)) return code;
  }
}

/** Types `code` in the code page and submits; resolves to the response of where it led. */
async function submitCode(page, code) {
  await page.fill('input[name=code]', code);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return response;
}

/** A new browser context signed in to `target` with the password; the page. */
async function passwordOnly(browser, target) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(target);
  check(atPortalFor(page.url(), portal, target), `on the portal: ${page.url()}`);
  await signIn(page, 'alice', 'pw-alice');
  return { ctx, page };
}

const shots = process.env.WICKET_SCREENSHOTS;
async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png` });
}

const browser = await launch([`--host-resolver-rules=${resolve}`]);
const step = steps('totp');
try {
  // B: a one-factor session, opened before alice enrols.
  const b = await passwordOnly(browser, app);
  check(upstreamUser(await b.page.textContent('body')) === 'alice', `B signed in: ${b.page.url()}`);

  // A: password only, then /admin/ → the step-up page offers the enrolment.
  const a = await passwordOnly(browser, app);
  await a.page.goto(admin);
  check(a.page.url().startsWith(`${portal}/login/step-up?`), `A sent to the step-up: ${a.page.url()}`);
  check(/set it up now/i.test(await a.page.textContent('body')), 'the step-up page offers the enrolment');
  await Promise.all([a.page.waitForNavigation(), a.page.click('button[type=submit]')]);
  check(await a.page.$('.qr svg') !== null, 'the enrolment page shows a QR code');
  await shot(a.page, 'totp-enrol');
  await a.page.click('details.secret summary');
  const key = base32(await a.page.textContent('code.key'));
  check(key.length === 20, `a 160-bit key (${key.length} bytes)`);
  const s = stepNow();
  let res = await submitCode(a.page, totp(key, s));
  check(res.status() === 200, `confirmed: ${res.status()}`);
  const recovery = await a.page.$$eval('ol.codes code', (els) => els.map((e) => e.textContent));
  check(recovery.length === 10, `ten recovery codes shown (${recovery.length})`);
  check(/only this once/i.test(await a.page.textContent('[role=alert]')), 'with a warning to store them');
  await shot(a.page, 'totp-recovery-codes');
  await Promise.all([a.page.waitForNavigation(), a.page.click('a.button')]);
  check(a.page.url() === admin, `A continues to /admin/: ${a.page.url()}`);
  check(upstreamUser(await a.page.textContent('body')) === 'alice', 'A sees /admin/ as alice');
  step.ok('a one-factor session meeting a two-factor rule is led through enrolment and on to the page');

  // C: password, a wrong code (refused), the right code (signed in, back to the app).
  const c = await passwordOnly(browser, app);
  check(await c.page.$('input[name=code][autocomplete=one-time-code][inputmode=numeric]') !== null,
    `the code page after the password: ${c.page.url()}`);
  check(!(await c.ctx.cookies()).some((k) => k.name === 'wicket_session'), 'no session before the code');
  await shot(c.page, 'totp-code');
  res = await submitCode(c.page, wrongCode(key, s));
  check(res.status() === 401 && /not right/i.test(await c.page.textContent('[role=alert]')), `wrong code refused: ${res.status()}`);
  check(!(await c.ctx.cookies()).some((k) => k.name === 'wicket_session'), 'no session after a wrong code');
  step.ok('a wrong code is refused');
  res = await submitCode(c.page, totp(key, s + 1));
  check(c.page.url() === app, `C signed in with password + code, back at the app: ${c.page.url()}`);
  check(upstreamUser(await c.page.textContent('body')) === 'alice', 'C sees the app as alice');
  await c.page.goto(admin);
  check(c.page.url() === admin, `C passes the two-factor rule: ${c.page.url()}`);
  step.ok('password + TOTP code signs in, and the session passes the two-factor rule');

  // D: the same code again is refused as used; a recovery code signs in.
  const d = await passwordOnly(browser, app);
  res = await submitCode(d.page, totp(key, s + 1));
  check(res.status() === 401 && /already used/i.test(await d.page.textContent('[role=alert]')), `reused code refused: ${res.status()}`);
  await shot(d.page, 'totp-code-reused');
  step.ok('a reused code is refused');
  await submitCode(d.page, recovery[0]);
  check(d.page.url() === app, `D signed in with a recovery code: ${d.page.url()}`);

  // E: that recovery code a second time is refused.
  const e = await passwordOnly(browser, app);
  res = await submitCode(e.page, recovery[0]);
  check(res.status() === 401, `a used recovery code is refused: ${res.status()}`);
  check(!(await e.ctx.cookies()).some((k) => k.name === 'wicket_session'), 'no session');
  step.ok('a recovery code works once');

  // B again: its one-factor session meets /admin/, steps up with a code, keeps its sign-in.
  const before = (await b.ctx.cookies()).find((k) => k.name === 'wicket_session');
  await b.page.goto(admin);
  check(b.page.url().startsWith(`${portal}/login/step-up?`), `B sent to the step-up: ${b.page.url()}`);
  check(await b.page.$('input[name=username]') === null, 'no password asked');
  await submitCode(b.page, recovery[1]);
  check(b.page.url() === admin, `B on /admin/ after the step-up: ${b.page.url()}`);
  const after = (await b.ctx.cookies()).find((k) => k.name === 'wicket_session');
  check(after && before && after.value !== before.value, 'a fresh session id after the step-up');
  await b.page.goto(app);
  check(b.page.url() === app, `B still signed in: ${b.page.url()}`);
  step.ok('a one-factor session steps up on the two-factor rule and keeps its sign-in');
  step.done();
} finally {
  await browser.close();
}
