//! The only unsafe code: the six `pam_sm_*` entry points libpam calls, and [`Handle`], the
//! real [`Pam`] over Linux-PAM's C API. Every entry runs the safe logic inside
//! `catch_unwind`; a panic becomes `PAM_SYSTEM_ERR`. Strings from libpam are copied at once
//! (passwords into a zeroizing [`Secret`]); no pointer outlives the call.

#![allow(unsafe_code)]

use crate::daemon::SocketDaemon;
use crate::logic::{Module, Pam};
use crate::options;
use crate::pam::{Code, Flags, Level, Token};
use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::marker::{PhantomData, PhantomPinned};
use std::panic::{AssertUnwindSafe, catch_unwind};
use wicket_proto::secret::Secret;

/// Linux-PAM's opaque `pam_handle_t`.
#[repr(C)]
pub struct PamHandle {
    _opaque: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

const PAM_SERVICE: c_int = 1;
const PAM_RHOST: c_int = 4;

// Linux-PAM (libpam.so.0); declared here rather than through a bindings crate. In the host
// process these resolve to the libpam that loaded the module.
unsafe extern "C" {
    fn pam_get_user(pamh: *mut PamHandle, user: *mut *const c_char, prompt: *const c_char) -> c_int;
    fn pam_get_item(pamh: *const PamHandle, item_type: c_int, item: *mut *const c_void) -> c_int;
    fn pam_set_item(pamh: *mut PamHandle, item_type: c_int, item: *const c_void) -> c_int;
    fn pam_get_authtok(pamh: *mut PamHandle, item: c_int, authtok: *mut *const c_char, prompt: *const c_char) -> c_int;
    fn pam_syslog(pamh: *const PamHandle, priority: c_int, fmt: *const c_char, ...);
    fn pam_fail_delay(pamh: *mut PamHandle, usec: c_uint) -> c_int;
    fn pam_prompt(pamh: *mut PamHandle, style: c_int, response: *mut *mut c_char, fmt: *const c_char, ...) -> c_int;
}

const PAM_PROMPT_ECHO_ON: c_int = 2;
const PAM_ERROR_MSG: c_int = 3;

/// The handle libpam passed to the current `pam_sm_*` call. Only built by [`entry`] from a
/// non-null `pamh`, and dropped before that call returns.
#[derive(Debug)]
struct Handle {
    pamh: *mut PamHandle,
}

impl Handle {
    /// A string item (`PAM_SERVICE`, `PAM_RHOST`), copied.
    fn string_item(&self, item: c_int) -> Option<String> {
        let mut ptr: *const c_void = std::ptr::null();
        // SAFETY: `self.pamh` is the live handle of the current call; `ptr` is a valid out
        // pointer. String items are NUL-terminated strings owned by libpam, valid until the
        // item is changed — we copy before returning, and nothing changes it meanwhile.
        let rc = unsafe { pam_get_item(self.pamh, item, &mut ptr) };
        if rc != Code::SUCCESS.raw() || ptr.is_null() {
            return None;
        }
        // SAFETY: non-null string item, see above.
        let text = unsafe { CStr::from_ptr(ptr.cast::<c_char>()) };
        Some(text.to_string_lossy().into_owned())
    }
}

impl Pam for Handle {
    fn user(&mut self) -> Result<Vec<u8>, Code> {
        let mut ptr: *const c_char = std::ptr::null();
        // SAFETY: live handle; `ptr` is a valid out pointer; a null prompt means libpam's.
        let rc = unsafe { pam_get_user(self.pamh, &mut ptr, std::ptr::null()) };
        if rc != Code::SUCCESS.raw() {
            return Err(Code::from_raw(rc));
        }
        if ptr.is_null() {
            return Err(Code::SYSTEM_ERR);
        }
        // SAFETY: on success `ptr` is the NUL-terminated PAM_USER item owned by libpam; copied now.
        Ok(unsafe { CStr::from_ptr(ptr) }.to_bytes().to_vec())
    }

    fn service(&self) -> Option<String> {
        self.string_item(PAM_SERVICE)
    }

    fn rhost(&self) -> Option<String> {
        self.string_item(PAM_RHOST)
    }

    fn authtok(&mut self, which: Token, prompt: Option<&str>) -> Result<Secret, Code> {
        let prompt = match prompt.map(CString::new) {
            Some(Ok(p)) => Some(p),
            Some(Err(_)) => return Err(Code::SYSTEM_ERR),
            None => None,
        };
        let prompt_ptr = prompt.as_ref().map_or(std::ptr::null(), |p| p.as_ptr());
        let mut ptr: *const c_char = std::ptr::null();
        // SAFETY: live handle; `ptr` is a valid out pointer; `prompt_ptr` is null or points
        // into `prompt`, which outlives the call. pam_get_authtok reads the module's argv
        // (use_first_pass, use_authtok) from the handle itself.
        let rc = unsafe { pam_get_authtok(self.pamh, which.item(), &mut ptr, prompt_ptr) };
        if rc != Code::SUCCESS.raw() {
            return Err(Code::from_raw(rc));
        }
        if ptr.is_null() {
            return Err(Code::AUTH_ERR);
        }
        // SAFETY: on success `ptr` is the NUL-terminated item owned by libpam; copied at once
        // into a Secret (zeroized on drop). libpam keeps and later wipes its own copy.
        let bytes = unsafe { CStr::from_ptr(ptr) }.to_bytes().to_vec();
        Ok(Secret::new(bytes))
    }

    fn has_authtok(&self, which: Token) -> bool {
        let mut ptr: *const c_void = std::ptr::null();
        // SAFETY: live handle; `ptr` is a valid out pointer; only its nullness is used.
        let rc = unsafe { pam_get_item(self.pamh, which.item(), &mut ptr) };
        rc == Code::SUCCESS.raw() && !ptr.is_null()
    }

    fn forget_authtok(&mut self, which: Token) -> Result<(), Code> {
        // SAFETY: live handle; a null item clears it (libpam wipes and frees the old value).
        let rc = unsafe { pam_set_item(self.pamh, which.item(), std::ptr::null()) };
        if rc == Code::SUCCESS.raw() { Ok(()) } else { Err(Code::from_raw(rc)) }
    }

    fn log(&mut self, level: Level, message: &str) {
        let priority = match level {
            Level::Err => libc::LOG_ERR,
            Level::Warning => libc::LOG_WARNING,
            Level::Notice => libc::LOG_NOTICE,
            Level::Info => libc::LOG_INFO,
            Level::Debug => libc::LOG_DEBUG,
        };
        let Ok(line) = CString::new(message.replace('\0', "\\0")) else { return };
        // SAFETY: live handle; a constant "%s" format with exactly one NUL-terminated string
        // argument that outlives the call, so the message is never interpreted as a format.
        unsafe { pam_syslog(self.pamh, priority, c"%s".as_ptr(), line.as_ptr()) };
    }

    fn fail_delay(&mut self, usec: u32) {
        // SAFETY: live handle; plain integer argument.
        unsafe { pam_fail_delay(self.pamh, usec) };
    }

    fn caller_uid(&self) -> u32 {
        // SAFETY: getuid has no preconditions and cannot fail.
        unsafe { libc::getuid() }
    }

    fn prompt_echo_on(&mut self, prompt: &str) -> Result<Secret, Code> {
        let Ok(text) = CString::new(prompt) else { return Err(Code::SYSTEM_ERR) };
        let mut answer: *mut c_char = std::ptr::null_mut();
        // SAFETY: live handle; `answer` is a valid out pointer; a constant "%s" format with
        // one NUL-terminated argument that outlives the call.
        let rc = unsafe { pam_prompt(self.pamh, PAM_PROMPT_ECHO_ON, &mut answer, c"%s".as_ptr(), text.as_ptr()) };
        if rc != Code::SUCCESS.raw() {
            return Err(Code::from_raw(rc));
        }
        if answer.is_null() {
            return Err(Code::CONV_ERR);
        }
        // SAFETY: on success `answer` is a NUL-terminated string malloc'd by the
        // application's conversation function and now ours: copied into a Secret, then
        // wiped over its whole length and freed, never used again.
        unsafe {
            let len = CStr::from_ptr(answer).to_bytes().len();
            let copy = Secret::new(std::slice::from_raw_parts(answer.cast::<u8>(), len).to_vec());
            std::ptr::write_bytes(answer, 0, len);
            libc::free(answer.cast::<c_void>());
            Ok(copy)
        }
    }

    fn error_message(&mut self, text: &str) {
        let Ok(text) = CString::new(text.replace('\0', "")) else { return };
        let mut answer: *mut c_char = std::ptr::null_mut();
        // SAFETY: live handle; valid out pointer; constant "%s" format with one
        // NUL-terminated argument that outlives the call.
        unsafe { pam_prompt(self.pamh, PAM_ERROR_MSG, &mut answer, c"%s".as_ptr(), text.as_ptr()) };
        if !answer.is_null() {
            // SAFETY: an answer to a message is malloc'd by the conversation; ours to free.
            unsafe { libc::free(answer.cast::<c_void>()) };
        }
    }
}

/// The module arguments as byte strings.
///
/// # Safety
/// `argv` must be null or point to `argc` valid NUL-terminated strings that outlive `'a`
/// (libpam's contract for `pam_sm_*`).
unsafe fn arguments<'a>(argc: c_int, argv: *const *const c_char) -> Vec<&'a [u8]> {
    let n = usize::try_from(argc).unwrap_or(0);
    if argv.is_null() {
        return Vec::new();
    }
    (0..n)
        .filter_map(|i| {
            // SAFETY: `i < argc`, and argv has `argc` entries (caller's contract).
            let arg = unsafe { *argv.add(i) };
            // SAFETY: a non-null entry is a NUL-terminated string outliving 'a (caller's contract).
            (!arg.is_null()).then(|| unsafe { CStr::from_ptr(arg) }.to_bytes())
        })
        .collect()
}

type Operation = fn(&mut Module<Handle, SocketDaemon>, Flags) -> Code;

/// Runs one operation for libpam: arguments → options → module → code, all inside
/// `catch_unwind`.
///
/// # Safety
/// The arguments must be those libpam passed to a `pam_sm_*` function, used only during it.
unsafe fn entry(pamh: *mut PamHandle, flags: c_int, argc: c_int, argv: *const *const c_char, op: Operation) -> c_int {
    if pamh.is_null() {
        return Code::SYSTEM_ERR.raw();
    }
    let outcome = guarded(|| {
        // SAFETY: forwarded from libpam (this function's contract).
        let args = unsafe { arguments(argc, argv) };
        let (options, warnings) = options::parse(&args);
        let daemon = SocketDaemon::from_config(&options.config);
        let mut module = Module::new(Handle { pamh }, daemon, options);
        module.report_option_warnings(&warnings);
        op(&mut module, Flags::from_raw(flags as u32))
    });
    match outcome {
        Some(code) => code.raw(),
        None => {
            let _ = guarded(|| {
                Handle { pamh }.log(Level::Err, "internal error (panic); returning PAM_SYSTEM_ERR");
                Code::SYSTEM_ERR
            });
            Code::SYSTEM_ERR.raw()
        }
    }
}

/// Runs `f`, turning a panic into `None` so that it never unwinds into C.
fn guarded(f: impl FnOnce() -> Code) -> Option<Code> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

/// `auth`: checks the password with wicketd.
///
/// # Safety
/// Called by libpam only, with its handle and the module's arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_authenticate(
    pamh: *mut PamHandle,
    flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    // SAFETY: libpam's own arguments, used only during this call.
    unsafe { entry(pamh, flags, argc, argv, Module::authenticate) }
}

/// `auth` (credentials): nothing to establish.
///
/// # Safety
/// Called by libpam only, with its handle and the module's arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_setcred(
    pamh: *mut PamHandle,
    flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    // SAFETY: libpam's own arguments, used only during this call.
    unsafe { entry(pamh, flags, argc, argv, Module::setcred) }
}

/// `account`: locked, disabled, expired?
///
/// # Safety
/// Called by libpam only, with its handle and the module's arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_acct_mgmt(
    pamh: *mut PamHandle,
    flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    // SAFETY: libpam's own arguments, used only during this call.
    unsafe { entry(pamh, flags, argc, argv, Module::account) }
}

/// `session` (open): a log line.
///
/// # Safety
/// Called by libpam only, with its handle and the module's arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_open_session(
    pamh: *mut PamHandle,
    flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    // SAFETY: libpam's own arguments, used only during this call.
    unsafe { entry(pamh, flags, argc, argv, Module::open_session) }
}

/// `session` (close): a log line.
///
/// # Safety
/// Called by libpam only, with its handle and the module's arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_close_session(
    pamh: *mut PamHandle,
    flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    // SAFETY: libpam's own arguments, used only during this call.
    unsafe { entry(pamh, flags, argc, argv, Module::close_session) }
}

/// `password`: the two-pass password change.
///
/// # Safety
/// Called by libpam only, with its handle and the module's arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn pam_sm_chauthtok(
    pamh: *mut PamHandle,
    flags: c_int,
    argc: c_int,
    argv: *const *const c_char,
) -> c_int {
    // SAFETY: libpam's own arguments, used only during this call.
    unsafe { entry(pamh, flags, argc, argv, Module::chauthtok) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_tolerate_null_and_negative_counts() {
        // SAFETY: a null argv is allowed by `arguments`' contract.
        assert!(unsafe { arguments(3, std::ptr::null()) }.is_empty());
        let a = c"debug";
        let b = c"config=/x";
        let argv = [a.as_ptr(), std::ptr::null(), b.as_ptr()];
        // SAFETY: argv holds 3 entries, each null or a static C string.
        let args = unsafe { arguments(3, argv.as_ptr()) };
        assert_eq!(args, [&b"debug"[..], &b"config=/x"[..]]);
        // SAFETY: as above; a negative count reads nothing.
        assert!(unsafe { arguments(-1, argv.as_ptr()) }.is_empty());
    }

    #[test]
    fn a_panic_becomes_none_instead_of_unwinding() {
        let empty: Vec<i32> = Vec::new();
        let n = empty.len() + 1;
        assert_eq!(guarded(|| Code::from_raw(empty[n])), None);
        assert_eq!(guarded(|| Code::IGNORE), Some(Code::IGNORE));
    }

    #[test]
    fn a_null_handle_is_a_system_error() {
        // SAFETY: `entry` checks for a null handle before touching anything.
        let rc = unsafe { pam_sm_authenticate(std::ptr::null_mut(), 0, 0, std::ptr::null()) };
        assert_eq!(rc, Code::SYSTEM_ERR.raw());
    }
}
