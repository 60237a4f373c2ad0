// The throttle seen from the sign-in form, in Chromium through nginx (tests/portal.rs, with
// [throttle] max_failures = WICKET_FAILURES and no delays): that many wrong passwords each
// show the generic error, then even the right password is refused with "too many attempts"
// (429) and no session, and the page stays protected.
// Environment: WICKET_APP_URL, WICKET_PORTAL_URL, WICKET_RESOLVE, WICKET_FAILURES.
import { atPortalFor, check, launch, signIn, steps } from './lib.mjs';

const app = process.env.WICKET_APP_URL;
const portal = process.env.WICKET_PORTAL_URL;
const resolve = process.env.WICKET_RESOLVE;
const failures = Number(process.env.WICKET_FAILURES);
check(app && portal && resolve && failures > 0, 'WICKET_APP_URL, WICKET_PORTAL_URL, WICKET_RESOLVE and WICKET_FAILURES are set');

const browser = await launch([`--host-resolver-rules=${resolve}`]);
const step = steps('throttled');
try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `on the portal: ${page.url()}`);

  for (let i = 1; i <= failures; i += 1) {
    const res = await signIn(page, 'alice', `wrong-${i}`);
    const alert = await page.textContent('[role=alert]');
    check(res.status() === 401 && /incorrect/i.test(alert || ''), `wrong password ${i}: ${res.status()} "${alert}"`);
  }
  step.ok(`${failures} wrong passwords each show the generic error`);

  const res = await signIn(page, 'alice', 'pw-alice');
  const alert = await page.textContent('[role=alert]');
  check(res.status() === 429, `the right password is answered 429 while throttled (${res.status()})`);
  check(/too many attempts/i.test(alert || ''), `the page says so: "${alert}"`);
  check(page.url().startsWith(`${portal}/login`), `still on the portal: ${page.url()}`);
  check(!(await ctx.cookies()).some((c) => c.name === 'wicket_session'), 'no session cookie');
  step.ok('the right password is then refused: too many attempts');

  await page.goto(app);
  check(atPortalFor(page.url(), portal, app), `the page stays protected: ${page.url()}`);
  step.ok('the page stays protected');
  step.done();
} finally {
  await browser.close();
}
