//! pam_wicket: the PAM module (built in a later issue).
