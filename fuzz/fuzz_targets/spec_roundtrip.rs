//! Fuzz target: the rpm spec parser is lossless and panic-free on any bytes.
//!
//! Checks, for every input:
//! * `parse` does not panic;
//! * the tokens tile the input exactly, in order;
//! * `reprint()` is byte-identical to the input;
//! * `dependencies()` (the macro expander and analysis) does not panic, both
//!   with an empty macro table and with a small one that defines a few
//!   common and parametric macros.
//!
//! Any panic (including a failed assertion) is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use venvjail::rpmspec::{self, MacroTable};

fn small_table() -> MacroTable {
    let mut t = MacroTable::new();
    for d in [
        "fedora 42",
        "suse_version 1600",
        "python_module() python3-%{**}",
        "pythons python3",
        "_arch x86_64",
        "rec() %{?1:%{rec %1}}",
    ] {
        let _ = t.define_arg(d);
    }
    t
}

fuzz_target!(|data: &[u8]| {
    let file = rpmspec::parse(data);

    let mut at = 0usize;
    for (i, t) in file.tokens.iter().enumerate() {
        assert_eq!(
            t.span.start, at,
            "token {i} ({:?}) does not start where the previous ended",
            t.kind
        );
        assert!(
            t.span.end >= t.span.start,
            "token {i} has a reversed span {:?}",
            t.span
        );
        at = t.span.end;
    }
    assert_eq!(
        at,
        data.len(),
        "tokens end at {at}, input has {} bytes",
        data.len()
    );

    let out = file.reprint();
    assert!(
        out == data,
        "reprint differs from input ({} vs {} bytes)",
        out.len(),
        data.len()
    );

    let _ = rpmspec::dependencies(&file, MacroTable::new());
    let _ = rpmspec::dependencies(&file, small_table());
});
