//! nss_wicket: the NSS module (built in a later issue).
