//! The build script of plugboard Rust plugins: records the compiler in the
//! plugin note. In the plugin's Cargo.toml: `build = "<path>/native/rust/build.rs"`.
//!
//! It sets `PLUGBOARD_COMPILER` to `rustc X.Y.Z` (from `$RUSTC --version`)
//! unless the environment already sets it, and passes `PLUGBOARD_BUILD_ID`
//! through. Without this script the note says `compiler=rustc`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PLUGBOARD_COMPILER");
    println!("cargo:rerun-if-env-changed=PLUGBOARD_BUILD_ID");
    if std::env::var_os("PLUGBOARD_COMPILER").is_some() {
        return;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(rustc).arg("--version").output();
    // "rustc 1.95.0 (59807616e 2026-04-14)" -> "rustc 1.95.0"
    let version = out
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.split_whitespace().nth(1).map(str::to_owned));
    if let Some(v) = version {
        println!("cargo:rustc-env=PLUGBOARD_COMPILER=rustc {v}");
    }
}
