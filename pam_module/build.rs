//! Links against libpam: the module's PAM calls resolve to the host process's libpam.

fn main() {
    println!("cargo:rustc-link-lib=pam");
}
