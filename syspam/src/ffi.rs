//! The only unsafe code of this crate: Linux-PAM's application API (`pam_start`,
//! `pam_authenticate`, `pam_acct_mgmt`, `pam_end`) and the conversation callback.
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

/// `PAM_SUCCESS`.
pub const PAM_SUCCESS: c_int = 0;
/// `PAM_BUF_ERR`.
pub const PAM_BUF_ERR: c_int = 5;
/// `PAM_PERM_DENIED`.
pub const PAM_PERM_DENIED: c_int = 6;
/// `PAM_AUTH_ERR`.
pub const PAM_AUTH_ERR: c_int = 7;
/// `PAM_CRED_INSUFFICIENT`.
pub const PAM_CRED_INSUFFICIENT: c_int = 8;
/// `PAM_AUTHINFO_UNAVAIL`.
pub const PAM_AUTHINFO_UNAVAIL: c_int = 9;
/// `PAM_USER_UNKNOWN`.
pub const PAM_USER_UNKNOWN: c_int = 10;
/// `PAM_MAXTRIES`.
pub const PAM_MAXTRIES: c_int = 11;
/// `PAM_NEW_AUTHTOK_REQD`.
pub const PAM_NEW_AUTHTOK_REQD: c_int = 12;
/// `PAM_ACCT_EXPIRED`.
pub const PAM_ACCT_EXPIRED: c_int = 13;
/// `PAM_CONV_ERR`.
pub const PAM_CONV_ERR: c_int = 19;

const PAM_DISALLOW_NULL_AUTHTOK: c_int = 0x0001;
const PAM_SILENT: c_int = 0x8000;
const PAM_RHOST: c_int = 4;
const PAM_PROMPT_ECHO_OFF: c_int = 1;
const PAM_PROMPT_ECHO_ON: c_int = 2;
const PAM_ERROR_MSG: c_int = 3;
const PAM_TEXT_INFO: c_int = 4;

#[repr(C)]
struct PamMessage {
    msg_style: c_int,
    msg: *const c_char,
}

#[repr(C)]
struct PamResponse {
    resp: *mut c_char,
    resp_retcode: c_int,
}

#[repr(C)]
struct PamConv {
    conv: Option<unsafe extern "C" fn(c_int, *mut *const PamMessage, *mut *mut PamResponse, *mut c_void) -> c_int>,
    appdata_ptr: *mut c_void,
}

#[repr(C)]
struct PamHandle {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn pam_start(service: *const c_char, user: *const c_char, conv: *const PamConv, pamh: *mut *mut PamHandle)
    -> c_int;
    fn pam_authenticate(pamh: *mut PamHandle, flags: c_int) -> c_int;
    fn pam_acct_mgmt(pamh: *mut PamHandle, flags: c_int) -> c_int;
    fn pam_set_item(pamh: *mut PamHandle, item_type: c_int, item: *const c_void) -> c_int;
    fn pam_end(pamh: *mut PamHandle, status: c_int) -> c_int;
}

/// What the conversation answers with.
struct Answers {
    user: CString,
    password: CString,
}

/// Copies `s` into a malloc'd C string that PAM will free.
fn c_dup(s: &CString) -> *mut c_char {
    // SAFETY: strdup reads a valid NUL-terminated string and returns malloc'd memory (or NULL).
    unsafe { libc::strdup(s.as_ptr()) }
}

/// The conversation callback: answers echo-off prompts with the password, echo-on prompts
/// with the user name, and ignores informational messages.
unsafe extern "C" fn converse(
    num_msg: c_int,
    msg: *mut *const PamMessage,
    resp: *mut *mut PamResponse,
    appdata: *mut c_void,
) -> c_int {
    let run = AssertUnwindSafe(|| -> c_int {
        let Ok(n) = usize::try_from(num_msg) else { return PAM_CONV_ERR };
        if n == 0 || n > 32 || msg.is_null() || resp.is_null() || appdata.is_null() {
            return PAM_CONV_ERR;
        }
        // SAFETY: appdata is the &Answers we passed to pam_start, alive for the whole transaction.
        let answers = unsafe { &*(appdata as *const Answers) };
        // SAFETY: calloc returns zeroed memory for n responses, or NULL; PAM frees it.
        let out = unsafe { libc::calloc(n, std::mem::size_of::<PamResponse>()) } as *mut PamResponse;
        if out.is_null() {
            return PAM_BUF_ERR;
        }
        for i in 0..n {
            // SAFETY: Linux-PAM passes `msg` as an array of n pointers to messages.
            let m = unsafe { *msg.add(i) };
            if m.is_null() {
                free_responses(out, n);
                return PAM_CONV_ERR;
            }
            // SAFETY: m points to a valid pam_message for the duration of the call.
            let style = unsafe { (*m).msg_style };
            let answer = match style {
                PAM_PROMPT_ECHO_OFF => c_dup(&answers.password),
                PAM_PROMPT_ECHO_ON => c_dup(&answers.user),
                PAM_ERROR_MSG | PAM_TEXT_INFO => ptr::null_mut(),
                _ => {
                    free_responses(out, n);
                    return PAM_CONV_ERR;
                }
            };
            if matches!(style, PAM_PROMPT_ECHO_OFF | PAM_PROMPT_ECHO_ON) && answer.is_null() {
                free_responses(out, n);
                return PAM_BUF_ERR;
            }
            // SAFETY: i < n, and out has room for n responses.
            unsafe { (*out.add(i)).resp = answer };
        }
        // SAFETY: resp is a valid out-pointer supplied by PAM.
        unsafe { *resp = out };
        PAM_SUCCESS
    });
    catch_unwind(run).unwrap_or(PAM_CONV_ERR)
}

/// Frees responses built so far (zeroing passwords) after a failed conversation.
fn free_responses(out: *mut PamResponse, n: usize) {
    for i in 0..n {
        // SAFETY: out has n zero-initialised responses; non-null resp values came from strdup.
        unsafe {
            let r = (*out.add(i)).resp;
            if !r.is_null() {
                libc::explicit_bzero(r.cast(), libc::strlen(r));
                libc::free(r.cast());
            }
        }
    }
    // SAFETY: out came from calloc.
    unsafe { libc::free(out.cast()) };
}

/// Result of one PAM transaction: `pam_authenticate`'s code and, if that succeeded,
/// `pam_acct_mgmt`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// `pam_authenticate`.
    pub auth: c_int,
    /// `pam_acct_mgmt`, when authentication succeeded.
    pub account: Option<c_int>,
}

/// Runs authenticate (+ account) for `user` with `password` in `service`.
/// Returns `None` when the strings contain NUL bytes.
pub fn authenticate(service: &str, user: &str, password: &[u8], rhost: Option<&str>) -> Option<Outcome> {
    let service = CString::new(service).ok()?;
    let user_c = CString::new(user).ok()?;
    let rhost = rhost.map(CString::new).transpose().ok()?;
    let answers = Answers { user: user_c.clone(), password: CString::new(password).ok()? };
    let conv = PamConv { conv: Some(converse), appdata_ptr: &answers as *const Answers as *mut c_void };
    let mut handle: *mut PamHandle = ptr::null_mut();
    // SAFETY: all pointers are valid NUL-terminated strings / structs that outlive the
    // transaction (they live until the end of this function, after pam_end).
    let started = unsafe { pam_start(service.as_ptr(), user_c.as_ptr(), &conv, &mut handle) };
    if started != PAM_SUCCESS || handle.is_null() {
        return Some(Outcome {
            auth: if started == PAM_SUCCESS { PAM_AUTHINFO_UNAVAIL } else { started },
            account: None,
        });
    }
    if let Some(h) = &rhost {
        // SAFETY: handle is live; PAM copies the string.
        unsafe { pam_set_item(handle, PAM_RHOST, h.as_ptr().cast()) };
    }
    // SAFETY: handle is live until pam_end below.
    let auth = unsafe { pam_authenticate(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK) };
    let account = if auth == PAM_SUCCESS {
        // SAFETY: as above.
        Some(unsafe { pam_acct_mgmt(handle, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK) })
    } else {
        None
    };
    // SAFETY: ends the transaction started above; the handle is not used afterwards.
    unsafe { pam_end(handle, account.unwrap_or(auth)) };
    drop(answers);
    Some(Outcome { auth, account })
}
