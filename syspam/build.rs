// Link the application side of Linux-PAM by its runtime name (libpam.so.0, from libpam0g,
// present on every Debian system), so building needs no libpam0g-dev.
fn main() {
    println!("cargo:rustc-link-lib=dylib:+verbatim=libpam.so.0");
    println!("cargo:rerun-if-changed=build.rs");
}
