//! wicketd: the HTTP front of Wicket.
#![forbid(unsafe_code)]

pub mod digest;
