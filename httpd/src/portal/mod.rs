//! The sign-in portal: the browser front of Wicket (issue 11).
//!
//! A browser without a session is sent here with `rd` = where it was going. `GET /login`
//! shows the form ([`pages::login`]) and sets a pre-login cookie; `POST /login` checks the
//! CSRF token ([`csrf`], double-submit against that cookie), hands the name and password to
//! the same `verify` as Basic, and on success sets the session cookie ([`cookie`]) and
//! redirects to `rd` if [`redirect::checked_redirect`] allows it, else to the portal's own
//! page. Signed in, `/` shows who you are, `/logout` (a POST; a GET asks first) and
//! `/account/password` work the same way, their tokens bound to the session.
//!
//! [`routes`] serves the pages and talks to the core (`open_session`, `verify`,
//! `close_session`). The other modules depend on neither the store nor the access
//! decision, each a pure function of its inputs (time is passed in):
//!
//! - [`redirect`]: which `rd` may be followed;
//! - [`csrf`]: tokens bound to a session or to the pre-login cookie;
//! - [`cookie`]: reading `Cookie`, writing `Set-Cookie`;
//! - [`pages`]: the HTML, the stylesheet and the security headers;
//! - [`form`]: form bodies and query values, decoded once.
//!
//! Configuration is `[session]` (`wicket_core::config::SessionConfig`); without it none of
//! this is reachable.

pub mod cookie;
pub mod csrf;
pub mod form;
pub mod pages;
pub mod redirect;
pub mod routes;
