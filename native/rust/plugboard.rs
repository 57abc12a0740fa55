//! plugboard.rs - the Rust SDK for plugboard plugins (ABI 1.0).
//!
//! The Rust twin of `native/plugboard.h`: it writes the same ELF notes and
//! exports the same `plugboard_entry` / `plugboard_take_error`, so the host
//! cannot tell a Rust plugin from a C one. The binary contract is specified
//! in `docs/abi.md`.
//!
//! Use it as a module named `plugboard` at the root of a `cdylib` crate (the
//! macros refer to `crate::plugboard::...`), with no dependencies:
//!
//! ```ignore
//! #[path = "../../../../native/rust/plugboard.rs"]
//! mod plugboard;
//!
//! plugboard::plugin!("greeter", "0.1.0");
//! plugboard::interface!(greeter, "greeter", 1, 0);
//!
//! plugboard::function!(greeter, fn greet(name: cstring) -> cstring {
//!     c"Hello".as_ptr()
//! });
//!
//! plugboard::fallible!(greeter, fn check(n: i32) -> i32 {
//!     if n < 0 {
//!         return Err(plugboard::fail!(1, "negative: {}", n));
//!     }
//!     Ok(n)
//! });
//! ```
//!
//! Each exported function is declared once. Its parameter and result types
//! are signature type names (`i32`, `f64`, `cstring`, ... or `pb_i32`, ...):
//! the macro maps each name to its Rust type AND writes the same tokens into
//! the function's metadata note, so the declaration and the metadata cannot
//! drift; a type outside the signature language does not compile.
//!
//! Hooks are arguments of `plugin!`, so the hook notes and the descriptor's
//! function pointers come from one expansion and always agree:
//!
//! ```ignore
//! plugboard::plugin!("counter", "0.1.0", init = start, shutdown = stop);
//! fn start() -> Result<(), plugboard::Failed> { Ok(()) }
//! fn stop() {}
//! ```
//!
//! Thread-local storage: the error slot is a `thread_local!` of a `Cell` and
//! an `UnsafeCell` holding plain arrays, initialised with `const { }`; such
//! types need no destructor, so no TLS destructor is registered (none
//! references `__cxa_thread_atexit_impl`). A `thread_local!` holding a type
//! with `Drop` (String, Vec, Box, ...) registers one with glibc the first time
//! a thread touches it, and glibc then keeps the library mapped after
//! `dlclose` until that thread exits. Plugin code must not do that either:
//! keep thread-local results in fixed arrays (see `CStrBuf`).
//!
//! Panics: a panic in a `fallible!` function is caught and reported as a
//! failure with code -1 ("panicked: ..."); a panic in a `function!` or in a
//! hook aborts the process (unwinding out of `extern "C"` is not allowed).
//! std's default panic hook looks up the thread's handle, which registers a
//! TLS destructor (measured: the library then stayed mapped after close), so
//! `plugboard_entry()` replaces it once by a hook that only prints
//! `plugin panicked at FILE:LINE: MESSAGE` to stderr.

#![allow(dead_code, non_camel_case_types, unused_macros, unused_imports)]

use core::cell::{Cell, UnsafeCell};
use core::ffi::{c_char, c_void};

/// ABI major version: a plugin loads only into a host with the same major.
pub const ABI_MAJOR: u16 = 1;
/// ABI minor version: a plugin loads into hosts whose minor is >= this.
pub const ABI_MINOR: u16 = 0;
/// Maximum bytes of an error message, NUL included (longer ones are cut).
pub const ERROR_MESSAGE_MAX: usize = 512;

/// Note types in the "plugboard" owner namespace.
pub const NOTE_PLUGIN: u32 = 1;
/// An interface: symbol, id, version.
pub const NOTE_INTERFACE: u32 = 2;
/// A function: interface, signature, fallible.
pub const NOTE_FUNCTION: u32 = 3;
/// A lifecycle hook: hook (init|shutdown), function.
pub const NOTE_HOOK: u32 = 4;
/// A struct's layout: struct, size, align, field (repeated, in order).
pub const NOTE_STRUCT: u32 = 5;

// ---------------------------------------------------------------------------
// Types of the signature language (the pb_ names of plugboard.h).
// ---------------------------------------------------------------------------

pub type pb_bool = bool;
pub type pb_i8 = i8;
pub type pb_u8 = u8;
pub type pb_i16 = i16;
pub type pb_u16 = u16;
pub type pb_i32 = i32;
pub type pb_u32 = u32;
pub type pb_i64 = i64;
pub type pb_u64 = u64;
pub type pb_isize = isize;
pub type pb_usize = usize;
pub type pb_f32 = f32;
pub type pb_f64 = f64;
/// An opaque address.
pub type pb_pointer = *mut c_void;
/// A byte buffer the host lends for the duration of the call (argument only).
pub type pb_buffer = *mut u8;
/// UTF-8, NUL-terminated. As a result: owned by the plugin and valid until
/// the next call of the same function on the same thread.
pub type pb_cstring = *const c_char;

/// The Rust type of a signature type name; any other name is a compile error.
#[doc(hidden)]
macro_rules! __pb_ty {
    (void) => { () }; (pb_void) => { () };
    (bool) => { bool }; (pb_bool) => { bool };
    (i8) => { i8 }; (pb_i8) => { i8 };
    (u8) => { u8 }; (pb_u8) => { u8 };
    (i16) => { i16 }; (pb_i16) => { i16 };
    (u16) => { u16 }; (pb_u16) => { u16 };
    (i32) => { i32 }; (pb_i32) => { i32 };
    (u32) => { u32 }; (pb_u32) => { u32 };
    (i64) => { i64 }; (pb_i64) => { i64 };
    (u64) => { u64 }; (pb_u64) => { u64 };
    (isize) => { isize }; (pb_isize) => { isize };
    (usize) => { usize }; (pb_usize) => { usize };
    (f32) => { f32 }; (pb_f32) => { f32 };
    (f64) => { f64 }; (pb_f64) => { f64 };
    (pointer) => { *mut ::core::ffi::c_void }; (pb_pointer) => { *mut ::core::ffi::c_void };
    (buffer) => { *mut u8 }; (pb_buffer) => { *mut u8 };
    (cstring) => { *const ::core::ffi::c_char }; (pb_cstring) => { *const ::core::ffi::c_char };
    ($other:tt) => {
        compile_error!(concat!("unknown type `", stringify!($other), "`: use one of void, bool, ",
            "i8, u8, i16, u16, i32, u32, i64, u64, isize, usize, f32, f64, pointer, buffer, cstring ",
            "(or the same with pb_)"))
    };
}
pub(crate) use __pb_ty;

/// The parameter list text of a signature: `f64 a, f64 b`.
#[doc(hidden)]
macro_rules! __pb_params {
    () => { "void" };
    ($p:ident : $t:ident) => { concat!(stringify!($t), " ", stringify!($p)) };
    ($p:ident : $t:ident, $($rest:tt)+) => {
        concat!(stringify!($t), " ", stringify!($p), ", ", $crate::plugboard::__pb_params!($($rest)+))
    };
}
pub(crate) use __pb_params;

// ---------------------------------------------------------------------------
// Notes
// ---------------------------------------------------------------------------

/// One ELF note record: namesz = 10 ("plugboard" and its NUL), descsz = text
/// bytes + NUL, owner padded to 12 bytes, desc padded to a multiple of 4.
#[repr(C, align(4))]
pub struct Note<const N: usize> {
    namesz: u32,
    descsz: u32,
    kind: u32,
    name: [u8; 12],
    desc: [u8; N],
}

/// The padded desc size of a note whose text is the concatenation of `parts`.
pub const fn desc_size(parts: &[&str]) -> usize {
    (text_len(parts) + 1 + 3) & !3
}

const fn text_len(parts: &[&str]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < parts.len() {
        n += parts[i].len();
        i += 1;
    }
    n
}

impl<const N: usize> Note<N> {
    /// A note of type `kind` whose desc is the concatenation of `parts`, NUL,
    /// zero padding. Fails to compile when N is not `desc_size(parts)` or a
    /// part contains a NUL.
    pub const fn new(kind: u32, parts: &[&str]) -> Self {
        assert!(N == desc_size(parts), "note size");
        let mut desc = [0u8; N];
        let mut at = 0;
        let mut i = 0;
        while i < parts.len() {
            let bytes = parts[i].as_bytes();
            let mut j = 0;
            while j < bytes.len() {
                assert!(bytes[j] != 0, "a note text cannot contain NUL");
                desc[at] = bytes[j];
                at += 1;
                j += 1;
            }
            i += 1;
        }
        Note {
            namesz: 10,
            descsz: (text_len(parts) + 1) as u32,
            kind,
            name: *b"plugboard\0\0\0",
            desc,
        }
    }
}

/// A piece of a note's text: a string, or a number written in decimal (the
/// layout notes take their numbers from `size_of`, `align_of`, `offset_of!`).
#[doc(hidden)]
pub enum Piece {
    S(&'static str),
    N(usize),
}

const fn decimal_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

const fn pieces_len(pieces: &[Piece]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < pieces.len() {
        n += match pieces[i] {
            Piece::S(s) => s.len(),
            Piece::N(v) => decimal_len(v),
        };
        i += 1;
    }
    n
}

/// The padded desc size of a note whose text is the concatenation of `pieces`.
#[doc(hidden)]
pub const fn pieces_desc_size(pieces: &[Piece]) -> usize {
    (pieces_len(pieces) + 1 + 3) & !3
}

impl<const N: usize> Note<N> {
    /// A note of type `kind` whose desc is the text of `pieces`, NUL, zero
    /// padding (numbers in decimal).
    #[doc(hidden)]
    pub const fn from_pieces(kind: u32, pieces: &[Piece]) -> Self {
        assert!(N == pieces_desc_size(pieces), "note size");
        let mut desc = [0u8; N];
        let mut at = 0;
        let mut i = 0;
        while i < pieces.len() {
            match pieces[i] {
                Piece::S(s) => {
                    let bytes = s.as_bytes();
                    let mut j = 0;
                    while j < bytes.len() {
                        assert!(bytes[j] != 0, "a note text cannot contain NUL");
                        desc[at] = bytes[j];
                        at += 1;
                        j += 1;
                    }
                }
                Piece::N(v) => {
                    let len = decimal_len(v);
                    let mut rest = v;
                    let mut k = len;
                    while k > 0 {
                        k -= 1;
                        desc[at + k] = b'0' + (rest % 10) as u8;
                        rest /= 10;
                    }
                    at += len;
                }
            }
            i += 1;
        }
        Note {
            namesz: 10,
            descsz: (pieces_len(pieces) + 1) as u32,
            kind,
            name: *b"plugboard\0\0\0",
            desc,
        }
    }
}

/// Emit one note into `.note.plugboard`, kept by `#[used]`.
#[doc(hidden)]
macro_rules! __pb_note {
    ($kind:expr, [$($part:expr),* $(,)?]) => {
        const _: () = {
            const PARTS: &[&str] = &[$($part),*];
            #[used]
            #[unsafe(link_section = ".note.plugboard")]
            static NOTE: $crate::plugboard::Note<{ $crate::plugboard::desc_size(PARTS) }> =
                $crate::plugboard::Note::new($kind, PARTS);
        };
    };
}
pub(crate) use __pb_note;

/// `PLUGBOARD_BUILD_ID` from the build's environment, else "".
pub const BUILD_ID: &str = match option_env!("PLUGBOARD_BUILD_ID") {
    Some(s) => s,
    None => "",
};

/// `PLUGBOARD_COMPILER` from the build's environment (native/rust/build.rs
/// sets it to `rustc X.Y.Z`), else "rustc".
pub const COMPILER: &str = match option_env!("PLUGBOARD_COMPILER") {
    Some(s) => s,
    None => "rustc",
};

/// Whether a plugin name is `[a-z0-9._-]+`.
pub const fn valid_name(s: &str) -> bool {
    let b = s.as_bytes();
    if b.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'_' || c == b'-') {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether an author is at most 256 bytes without control characters or
/// spaces around it (the host's rule).
pub const fn valid_author(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() > 256 || (!b.is_empty() && (b[0] == b' ' || b[b.len() - 1] == b' ')) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        // C0 and DEL; C1 controls are U+0080..U+009F, encoded C2 80..C2 9F.
        if c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < b.len() && b[i + 1] < 0xa0) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether a version is semver `MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
pub const fn valid_semver(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut part = 0;
    while part < 3 {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || (i - start > 1 && b[start] == b'0') {
            return false;
        }
        part += 1;
        if part < 3 {
            if i >= b.len() || b[i] != b'.' {
                return false;
            }
            i += 1;
        }
    }
    if i == b.len() {
        return true;
    }
    if b[i] != b'-' && b[i] != b'+' {
        return false;
    }
    i += 1;
    if i == b.len() {
        return false;
    }
    while i < b.len() {
        let c = b[i];
        if !(c.is_ascii_alphanumeric() || c == b'.' || c == b'-' || c == b'+') {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether an interface id is `[a-z0-9._-]+` (as `calc.op`).
pub const fn valid_id(s: &str) -> bool {
    valid_name(s)
}

// ---------------------------------------------------------------------------
// The descriptor and the error slot
// ---------------------------------------------------------------------------

/// The pending error of a thread: 520 bytes, as `plugboard_error`.
#[repr(C)]
pub struct ErrorSlot {
    /// Non-zero: the plugin's own error code.
    pub code: i32,
    /// Bytes in `message`, NUL excluded.
    pub length: u32,
    /// UTF-8, NUL-terminated.
    pub message: [u8; ERROR_MESSAGE_MAX],
}

/// What `plugboard_entry()` returns: 32 bytes, as `plugboard_descriptor`.
#[repr(C)]
pub struct Descriptor {
    /// `size_of::<Descriptor>()` as the plugin was built.
    pub size: u32,
    /// ABI_MAJOR.
    pub abi_major: u16,
    /// ABI_MINOR.
    pub abi_minor: u16,
    /// The init hook, or None.
    pub init: Option<unsafe extern "C" fn() -> i32>,
    /// The shutdown hook, or None.
    pub shutdown: Option<unsafe extern "C" fn()>,
    /// Returns and clears the calling thread's pending error; NULL if none.
    pub take_error: unsafe extern "C" fn() -> *const ErrorSlot,
}

const _: () = {
    assert!(core::mem::size_of::<ErrorSlot>() == 520);
    assert!(core::mem::offset_of!(ErrorSlot, length) == 4);
    assert!(core::mem::offset_of!(ErrorSlot, message) == 8);
    assert!(core::mem::size_of::<Descriptor>() == 32);
    assert!(core::mem::offset_of!(Descriptor, abi_major) == 4);
    assert!(core::mem::offset_of!(Descriptor, abi_minor) == 6);
    assert!(core::mem::offset_of!(Descriptor, init) == 8);
    assert!(core::mem::offset_of!(Descriptor, shutdown) == 16);
    assert!(core::mem::offset_of!(Descriptor, take_error) == 24);
};

// Const-initialised and Drop-free: no TLS destructor is registered.
thread_local! {
    static SLOT: UnsafeCell<ErrorSlot> = const {
        UnsafeCell::new(ErrorSlot { code: 0, length: 0, message: [0; ERROR_MESSAGE_MAX] })
    };
    static PENDING: Cell<bool> = const { Cell::new(false) };
}

/// Proof that an error was recorded with `fail!` or [`fail_message`]: the `Err` of a
/// `fallible!` function's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed {
    /// The code recorded.
    pub code: i32,
}

/// A `core::fmt::Write` into the calling thread's error slot; cuts at
/// `ERROR_MESSAGE_MAX - 1` bytes on a UTF-8 character boundary.
#[doc(hidden)]
pub struct SlotWriter {
    slot: *mut ErrorSlot,
    len: usize,
}

impl core::fmt::Write for SlotWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let room = ERROR_MESSAGE_MAX - 1 - self.len;
        let mut n = s.len().min(room);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: the slot is this thread's; nothing else holds a reference.
        unsafe {
            let msg = &mut (*self.slot).message;
            msg[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        }
        self.len += n;
        Ok(())
    }
}

/// Record an error for the current call, formatted: the Rust `pb_fail`.
/// Code 0 is recorded as -1. The host throws a CallError `CALL_FAILED`
/// carrying `code` and the message.
#[doc(hidden)]
pub fn fail_args(code: i32, args: core::fmt::Arguments<'_>) -> Failed {
    SLOT.with(|slot| {
        let mut w = SlotWriter {
            slot: slot.get(),
            len: 0,
        };
        let _ = core::fmt::write(&mut w, args);
        let code = if code == 0 { -1 } else { code };
        // SAFETY: as above.
        unsafe {
            (*w.slot).message[w.len] = 0;
            (*w.slot).code = code;
            (*w.slot).length = w.len as u32;
        }
        PENDING.with(|p| p.set(true));
        Failed { code }
    })
}

/// Record an error for the current call: the Rust `pb_fail` with a plain
/// message. Returns the [`Failed`] to return as `Err`.
pub fn fail_message(code: i32, message: &str) -> Failed {
    fail_args(code, format_args!("{}", message))
}

/// `fail!(code, "format {}", args...)`: record a formatted error (no
/// allocation) and return the [`Failed`] to return as `Err`.
macro_rules! fail {
    ($code:expr, $($fmt:tt)+) => {
        $crate::plugboard::fail_args($code, format_args!($($fmt)+))
    };
}
pub(crate) use fail;

/// The calling thread's pending error, cleared; NULL when none. The pointer
/// is valid until the next call into the plugin on this thread.
#[doc(hidden)]
pub extern "C" fn take_error() -> *const ErrorSlot {
    if !PENDING.with(|p| p.replace(false)) {
        return core::ptr::null();
    }
    SLOT.with(|slot| slot.get() as *const ErrorSlot)
}

/// Report a caught panic as a failure with code -1.
#[doc(hidden)]
pub fn fail_panic(payload: &(dyn core::any::Any + Send)) -> Failed {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.as_str()
    } else {
        "a non-string payload"
    };
    fail_args(-1, format_args!("panicked: {}", text))
}

/// Replace std's default panic hook, once, by one that prints
/// `plugin panicked at FILE:LINE: MESSAGE` to stderr. The default hook looks
/// up the current thread's name and handle, which registers a TLS destructor
/// and keeps the library mapped after dlclose; this one touches no
/// thread-local state. Called by `plugboard_entry()`, so before init: a
/// plugin that wants its own hook sets it in init (and keeps it Drop-free).
#[doc(hidden)]
pub fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("plugin {}", info);
        }));
    });
}

/// A NUL-terminated result buffer for `cstring` results, meant to live in a
/// `thread_local!` (`const`-initialised, Drop-free), so a result stays valid
/// until the next call on the same thread, as the ABI requires.
pub struct CStrBuf<const N: usize> {
    bytes: UnsafeCell<[u8; N]>,
}

impl<const N: usize> CStrBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        CStrBuf {
            bytes: UnsafeCell::new([0; N]),
        }
    }

    /// Copy `s` (cut to N - 1 bytes on a character boundary) and return it
    /// as a C string. Interior NULs end the string early.
    pub fn set(&self, s: &str) -> *const c_char {
        let mut n = s.len().min(N - 1);
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        // SAFETY: the buffer is thread-local; earlier results of the same
        // function on this thread are invalidated by this call, as specified.
        unsafe {
            let b = &mut *self.bytes.get();
            b[..n].copy_from_slice(&s.as_bytes()[..n]);
            b[n] = 0;
            b.as_ptr() as *const c_char
        }
    }
}

/// Borrow a `cstring` argument as `&str` (None for NULL or invalid UTF-8).
///
/// # Safety
/// `p` must be NULL or a NUL-terminated string valid for the call.
pub unsafe fn arg_str<'a>(p: *const c_char) -> Option<&'a str> {
    if p.is_null() {
        return None;
    }
    // SAFETY: by the caller's contract.
    unsafe { core::ffi::CStr::from_ptr(p) }.to_str().ok()
}

// ---------------------------------------------------------------------------
// The plugin's identity, interfaces, functions
// ---------------------------------------------------------------------------

/// `plugin!("name", "0.1.0" [, author = "..."] [, init = f] [, shutdown = g])`:
/// the plugin's identity note, optional hook notes, and the runtime: the
/// exported `plugboard_entry()` (descriptor) and `plugboard_take_error()`.
/// Exactly once per plugin. `author` is at most 256 bytes of UTF-8 without
/// control characters; `init` is `fn() -> Result<(), Failed>`, `shutdown`
/// is `fn()`.
macro_rules! plugin {
    ($name:literal, $version:literal $(, author = $author:literal)? $(, init = $init:path)? $(, shutdown = $shutdown:path)? $(,)?) => {
        const _: () = assert!($crate::plugboard::valid_name($name), "plugin name: use [a-z0-9._-]");
        const _: () = assert!($crate::plugboard::valid_semver($version), "plugin version: use semver");
        $( const _: () = assert!(
            $crate::plugboard::valid_author($author),
            "plugin author: at most 256 bytes, no control characters"
        ); )?
        $crate::plugboard::__pb_note!($crate::plugboard::NOTE_PLUGIN, [
            "abi=1.0\nname=", $name, "\nversion=", $version,
            "\nbuild_id=", $crate::plugboard::BUILD_ID,
            "\ncompiler=", $crate::plugboard::COMPILER,
            $( "\nauthor=", $author, )? "\n",
        ]);
        $( $crate::plugboard::__pb_note!($crate::plugboard::NOTE_HOOK,
            ["hook=init\nfunction=", stringify!($init), "\n"]); )?
        $( $crate::plugboard::__pb_note!($crate::plugboard::NOTE_HOOK,
            ["hook=shutdown\nfunction=", stringify!($shutdown), "\n"]); )?

        #[unsafe(no_mangle)]
        pub extern "C" fn plugboard_take_error() -> *const $crate::plugboard::ErrorSlot {
            $crate::plugboard::take_error()
        }

        #[unsafe(no_mangle)]
        pub extern "C" fn plugboard_entry() -> *const $crate::plugboard::Descriptor {
            $crate::plugboard::install_panic_hook();
            static DESCRIPTOR: $crate::plugboard::Descriptor = $crate::plugboard::Descriptor {
                size: ::core::mem::size_of::<$crate::plugboard::Descriptor>() as u32,
                abi_major: $crate::plugboard::ABI_MAJOR,
                abi_minor: $crate::plugboard::ABI_MINOR,
                init: $crate::plugboard::__pb_init!($($init)?),
                shutdown: $crate::plugboard::__pb_shutdown!($($shutdown)?),
                take_error: $crate::plugboard::take_error,
            };
            &DESCRIPTOR
        }
    };
}
pub(crate) use plugin;

#[doc(hidden)]
macro_rules! __pb_init {
    () => {
        None
    };
    ($f:path) => {{
        unsafe extern "C" fn init() -> i32 {
            let f: fn() -> ::core::result::Result<(), $crate::plugboard::Failed> = $f;
            match f() {
                Ok(()) => 0,
                Err(e) => e.code,
            }
        }
        Some(init)
    }};
}
pub(crate) use __pb_init;

#[doc(hidden)]
macro_rules! __pb_shutdown {
    () => {
        None
    };
    ($f:path) => {{
        unsafe extern "C" fn shutdown() {
            let f: fn() = $f;
            f()
        }
        Some(shutdown)
    }};
}
pub(crate) use __pb_shutdown;

/// `interface!(cname, "id", major, minor)`: a named, versioned interface.
/// `cname` is the identifier functions use to join it (it also names a
/// marker type, so a function of an undeclared interface does not compile).
macro_rules! interface {
    ($cname:ident, $id:literal, $major:literal, $minor:literal) => {
        #[allow(non_camel_case_types, dead_code)]
        pub struct $cname;
        const _: () = assert!(
            $crate::plugboard::valid_id($id),
            "interface id: use [a-z0-9._-]"
        );
        $crate::plugboard::__pb_note!(
            $crate::plugboard::NOTE_INTERFACE,
            [
                "symbol=",
                stringify!($cname),
                "\nid=",
                $id,
                "\nversion=",
                stringify!($major),
                ".",
                stringify!($minor),
                "\n",
            ]
        );
    };
}
pub(crate) use interface;

/// `structure!(point { x: i32, y: i32 })`: a `#[repr(C)]` struct and the note
/// recording its layout (the twin of C's `PLUGBOARD_STRUCT`). The size, the
/// alignment and each field's offset come from `size_of`, `align_of` and
/// `offset_of!` of the struct this defines, so the note cannot drift from it.
/// Field types are the signature language's scalars (`bool`, `i8`..`u64`,
/// `isize`, `usize`, `f32`, `f64`, `pointer`, or the same with `pb_`); nested
/// structs and arrays are not supported here, nor structs by value in
/// `function!`: pass a `pointer` to the struct.
macro_rules! structure {
    ($name:ident { $($f:ident : $t:ident),+ $(,)? }) => {
        #[repr(C)]
        #[derive(Clone, Copy, Debug)]
        #[allow(non_camel_case_types, dead_code)]
        pub struct $name {
            $(pub $f: $crate::plugboard::__pb_field_ty!($t)),+
        }
        const _: () = {
            use $crate::plugboard::Piece;
            const PIECES: &[Piece] = &[
                Piece::S("struct="), Piece::S(stringify!($name)),
                Piece::S("\nsize="), Piece::N(::core::mem::size_of::<$name>()),
                Piece::S("\nalign="), Piece::N(::core::mem::align_of::<$name>()),
                Piece::S("\n"),
                $(
                    Piece::S("field="), Piece::S(stringify!($f)), Piece::S(" "),
                    Piece::N(::core::mem::offset_of!($name, $f)), Piece::S(" "),
                    Piece::N(::core::mem::size_of::<$crate::plugboard::__pb_field_ty!($t)>()),
                    Piece::S(" "), Piece::S($crate::plugboard::__pb_field_name!($t)), Piece::S("\n"),
                )+
            ];
            #[used]
            #[unsafe(link_section = ".note.plugboard")]
            static NOTE: $crate::plugboard::Note<{ $crate::plugboard::pieces_desc_size(PIECES) }> =
                $crate::plugboard::Note::from_pieces($crate::plugboard::NOTE_STRUCT, PIECES);
        };
    };
}
pub(crate) use structure;

/// The Rust type of a struct field's type name; any other name is a compile error.
#[doc(hidden)]
macro_rules! __pb_field_ty {
    (pointer) => { *mut ::core::ffi::c_void }; (pb_pointer) => { *mut ::core::ffi::c_void };
    (bool) => { bool }; (pb_bool) => { bool };
    (i8) => { i8 }; (pb_i8) => { i8 };
    (u8) => { u8 }; (pb_u8) => { u8 };
    (i16) => { i16 }; (pb_i16) => { i16 };
    (u16) => { u16 }; (pb_u16) => { u16 };
    (i32) => { i32 }; (pb_i32) => { i32 };
    (u32) => { u32 }; (pb_u32) => { u32 };
    (i64) => { i64 }; (pb_i64) => { i64 };
    (u64) => { u64 }; (pb_u64) => { u64 };
    (isize) => { isize }; (pb_isize) => { isize };
    (usize) => { usize }; (pb_usize) => { usize };
    (f32) => { f32 }; (pb_f32) => { f32 };
    (f64) => { f64 }; (pb_f64) => { f64 };
    ($other:ident) => {
        compile_error!(concat!("unknown struct field type `", stringify!($other), "`; use one of ",
            "bool, i8, u8, i16, u16, i32, u32, i64, u64, isize, usize, f32, f64, pointer ",
            "(or the same with pb_)"))
    };
}
pub(crate) use __pb_field_ty;

/// The note's name of a struct field's type name (`pb_` dropped).
#[doc(hidden)]
macro_rules! __pb_field_name {
    (pointer) => { "pointer" }; (pb_pointer) => { "pointer" };
    (bool) => { "bool" }; (pb_bool) => { "bool" };
    (i8) => { "i8" }; (pb_i8) => { "i8" };
    (u8) => { "u8" }; (pb_u8) => { "u8" };
    (i16) => { "i16" }; (pb_i16) => { "i16" };
    (u16) => { "u16" }; (pb_u16) => { "u16" };
    (i32) => { "i32" }; (pb_i32) => { "i32" };
    (u32) => { "u32" }; (pb_u32) => { "u32" };
    (i64) => { "i64" }; (pb_i64) => { "i64" };
    (u64) => { "u64" }; (pb_u64) => { "u64" };
    (isize) => { "isize" }; (pb_isize) => { "isize" };
    (usize) => { "usize" }; (pb_usize) => { "usize" };
    (f32) => { "f32" }; (pb_f32) => { "f32" };
    (f64) => { "f64" }; (pb_f64) => { "f64" };
}
pub(crate) use __pb_field_name;

/// `function!(iface, fn name(a: T, ...) [-> R] { body })`: an exported
/// function of interface `iface`. Types are signature type names.
macro_rules! function {
    ($iface:ident, fn $name:ident($($p:ident : $t:ident),* $(,)?) $(-> $ret:ident)? $body:block) => {
        $crate::plugboard::__pb_fn_note!($iface, "0", $name, ($($p : $t),*) $(-> $ret)?);
        #[unsafe(no_mangle)]
        pub extern "C" fn $name($($p: $crate::plugboard::__pb_ty!($t)),*)
            -> $crate::plugboard::__pb_ret!($($ret)?) $body
    };
}
pub(crate) use function;

/// `fallible!(iface, fn name(a: T, ...) [-> R] { body })`: as `function!`,
/// for a function that may fail. The body returns `Result<R, Failed>`:
/// `Err(fail!(code, "..."))` makes the host throw CALL_FAILED with that code
/// and message. A panic is caught and reported with code -1. Fallible
/// functions must be called synchronously (the error slot is thread-local).
macro_rules! fallible {
    ($iface:ident, fn $name:ident($($p:ident : $t:ident),* $(,)?) $(-> $ret:ident)? $body:block) => {
        $crate::plugboard::__pb_fn_note!($iface, "1", $name, ($($p : $t),*) $(-> $ret)?);
        #[unsafe(no_mangle)]
        pub extern "C" fn $name($($p: $crate::plugboard::__pb_ty!($t)),*)
            -> $crate::plugboard::__pb_ret!($($ret)?) {
            #[allow(unused_mut)]
            fn body($($p: $crate::plugboard::__pb_ty!($t)),*)
                -> ::core::result::Result<$crate::plugboard::__pb_ret!($($ret)?), $crate::plugboard::Failed>
                $body
            match ::std::panic::catch_unwind(::core::panic::AssertUnwindSafe(move || body($($p),*))) {
                Ok(Ok(value)) => value,
                Ok(Err(_)) => $crate::plugboard::failed_value(),
                Err(panic) => {
                    $crate::plugboard::fail_panic(&*panic);
                    $crate::plugboard::failed_value()
                }
            }
        }
    };
}
pub(crate) use fallible;

/// The value a failed call returns (the host ignores it): zero, false, NULL.
#[doc(hidden)]
pub fn failed_value<T: Returnable>() -> T {
    T::ZERO
}

/// The result types of the signature language.
#[doc(hidden)]
pub trait Returnable {
    /// Zero, false or NULL.
    const ZERO: Self;
}
macro_rules! __pb_returnable {
    ($($t:ty = $z:expr),*) => { $(impl Returnable for $t { const ZERO: Self = $z; })* };
}
__pb_returnable!(
    () = (), bool = false, i8 = 0, u8 = 0, i16 = 0, u16 = 0, i32 = 0, u32 = 0, i64 = 0, u64 = 0,
    isize = 0, usize = 0, f32 = 0.0, f64 = 0.0, *mut c_void = core::ptr::null_mut(),
    *const c_char = core::ptr::null()
);

#[doc(hidden)]
macro_rules! __pb_ret {
    () => {
        ()
    };
    (buffer) => {
        compile_error!("buffer is an argument type only; return a pointer instead")
    };
    (pb_buffer) => {
        compile_error!("buffer is an argument type only; return a pointer instead")
    };
    ($t:ident) => {
        $crate::plugboard::__pb_ty!($t)
    };
}
pub(crate) use __pb_ret;

#[doc(hidden)]
macro_rules! __pb_fn_note {
    ($iface:ident, $fallible:literal, $name:ident, ($($p:ident : $t:ident),*) $(-> $ret:ident)?) => {
        // A function of an undeclared interface does not compile.
        const _: ::core::option::Option<$iface> = None;
        $crate::plugboard::__pb_note!($crate::plugboard::NOTE_FUNCTION, [
            "interface=", stringify!($iface), "\nsignature=",
            $crate::plugboard::__pb_ret_name!($($ret)?), " ", stringify!($name),
            "(", $crate::plugboard::__pb_params!($($p : $t),*), ")\nfallible=", $fallible, "\n",
        ]);
    };
}
pub(crate) use __pb_fn_note;

#[doc(hidden)]
macro_rules! __pb_ret_name {
    () => {
        "void"
    };
    ($t:ident) => {
        stringify!($t)
    };
}
pub(crate) use __pb_ret_name;
