//! The sign-in portal (in progress): the pieces that do not depend on the store or the
//! access decision.
pub mod cookie;
pub mod csrf;
pub mod redirect;
