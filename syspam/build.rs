// Link the application side of Linux-PAM (libpam.so.0; the -dev symlink comes from libpam0g-dev).
fn main() {
    println!("cargo:rustc-link-lib=pam");
}
