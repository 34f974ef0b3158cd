//! Gives libotelrs.so its versioned soname: `libotelrs.so.<major>` from 1.0 on, and
//! `libotelrs.so.0.<minor>` before, since every 0.x minor release may break the ABI.
fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let soname = if major == "0" {
        format!("libotelrs.so.0.{minor}")
    } else {
        format!("libotelrs.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    println!("cargo:rerun-if-changed=build.rs");
}
