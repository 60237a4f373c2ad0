//! Links against libpam by its runtime name (libpam.so.0, always present on Debian): the
//! module's PAM calls resolve to the host process's libpam, and building needs no -dev package.

fn main() {
    println!("cargo:rustc-link-lib=dylib:+verbatim=libpam.so.0");
    println!("cargo:rerun-if-changed=build.rs");
}
