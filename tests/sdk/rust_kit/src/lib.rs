//! rust-kit: what the SDK tests need beyond the calc-pow sample.

#[path = "../../../../native/rust/plugboard.rs"]
mod plugboard;

use std::io::Write;
use std::sync::atomic::{AtomicI32, Ordering};

static STARTED: AtomicI32 = AtomicI32::new(0);

plugboard::plugin!(
    "rust-kit",
    "1.2.3-rc.1",
    author = "Rust Kit <kit@example.org>",
    init = start,
    shutdown = stop
);

/// Refuses to start when RUST_KIT_REFUSE is set.
fn start() -> Result<(), plugboard::Failed> {
    if std::env::var_os("RUST_KIT_REFUSE").is_some() {
        return Err(plugboard::fail!(7, "refused: RUST_KIT_REFUSE is set"));
    }
    STARTED.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// Appends "shutdown" to the file named by RUST_KIT_LOG.
fn stop() {
    if let Some(path) = std::env::var_os("RUST_KIT_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
        {
            let _ = f.write_all(b"shutdown\n");
        }
    }
}

plugboard::interface!(kit, "rust.kit", 2, 3);

thread_local! {
    static ECHO: plugboard::CStrBuf<64> = const { plugboard::CStrBuf::new() };
}

plugboard::function!(
    kit,
    fn started() -> i32 {
        STARTED.load(Ordering::SeqCst)
    }
);

plugboard::function!(kit, fn nothing() {});

plugboard::function!(
    kit,
    fn sum(
        a: pb_i8,
        b: u8,
        c: i16,
        d: u16,
        e: i32,
        f: u32,
        g: i64,
        h: u64,
        i: isize,
        j: usize,
        k: f32,
        l: bool,
        m: pointer,
        n: buffer,
    ) -> u64 {
        let first = if n.is_null() { 0 } else { unsafe { *n as i64 } };
        (a as i64
            + b as i64
            + c as i64
            + d as i64
            + e as i64
            + f as i64
            + g
            + h as i64
            + i as i64
            + j as i64
            + k as i64
            + l as i64
            + m.is_null() as i64
            + first) as u64
    }
);

plugboard::function!(
    kit,
    fn echo(text: cstring) -> cstring {
        let text = unsafe { plugboard::arg_str(text) }.unwrap_or("(null)");
        ECHO.with(|out| out.set(&format!("<{text}>")))
    }
);

plugboard::fallible!(
    kit,
    fn boom(x: i32) -> i32 {
        if x > 0 {
            panic!("boom {x}");
        }
        Ok(x)
    }
);

plugboard::fallible!(
    kit,
    fn long_error() {
        Err(plugboard::fail!(0, "{}", "é".repeat(600)))
    }
);

// A struct whose layout the note records, read behind a pointer.
plugboard::structure!(kit_pair { flag: bool, a: i32, b: f64, p: pointer, c: pb_u16 });

plugboard::function!(
    kit,
    fn pair_sum(p: pointer) -> f64 {
        let q = unsafe { &*(p as *const kit_pair) };
        q.a as f64 + q.b + q.c as f64 + q.flag as i32 as f64
    }
);

