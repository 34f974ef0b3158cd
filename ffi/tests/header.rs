//! Guards of the C boundary: the committed header is what cbindgen generates from the
//! sources, and its version defines match Cargo.toml (cbindgen.toml has placeholders that the
//! generation fills from the crate's version: the version is written in Cargo.toml only).

// A test may stop at the first thing that is not as expected.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

fn header_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/otelrs.h")
}

fn generate() -> Vec<u8> {
    let crate_dir = env!("CARGO_MANIFEST_DIR");
    let mut config = cbindgen::Config::from_file(format!("{crate_dir}/cbindgen.toml"))
        .expect("ffi/cbindgen.toml parses");
    let after = config.after_includes.take().unwrap_or_default();
    config.after_includes = Some(
        after
            .replace("@VERSION_MAJOR@", env!("CARGO_PKG_VERSION_MAJOR"))
            .replace("@VERSION_MINOR@", env!("CARGO_PKG_VERSION_MINOR"))
            .replace("@VERSION_PATCH@", env!("CARGO_PKG_VERSION_PATCH"))
            .replace("@VERSION@", env!("CARGO_PKG_VERSION")),
    );
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    out
}

#[test]
fn committed_header_is_current() {
    let generated = generate();
    if std::env::var_os("OTELRS_BLESS").is_some() {
        std::fs::write(header_path(), &generated).expect("write include/otelrs.h");
        return;
    }
    let committed = std::fs::read(header_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "include/otelrs.h differs from what cbindgen generates from ffi/src; \
         regenerate it with: OTELRS_BLESS=1 cargo test -p otelrs-ffi --test header"
    );
}

#[test]
fn version_defines_match_cargo() {
    let header = std::fs::read_to_string(header_path()).expect("include/otelrs.h");
    let version = env!("CARGO_PKG_VERSION");
    assert!(header.contains(&format!("#define OTELRS_VERSION \"{version}\"")));
    for (name, part) in [
        ("MAJOR", env!("CARGO_PKG_VERSION_MAJOR")),
        ("MINOR", env!("CARGO_PKG_VERSION_MINOR")),
        ("PATCH", env!("CARGO_PKG_VERSION_PATCH")),
    ] {
        assert!(
            header.contains(&format!("#define OTELRS_VERSION_{name} {part}\n")),
            "OTELRS_VERSION_{name} is not {part}"
        );
    }
}
