//! glibc loads NSS modules by their versioned name, `libnss_<service>.so.2`: give the cdylib
//! that SONAME (cargo names the file `libnss_wicket.so`; packaging installs it as `.so.2`).

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnss_wicket.so.2");
    println!("cargo:rerun-if-changed=build.rs");
}
