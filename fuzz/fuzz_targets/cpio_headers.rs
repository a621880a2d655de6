//! Arbitrary bytes as an OBS `view=cpioheaders` answer, as one RPM
//! header, and as a rich dependency: no panic. Errors are expected;
//! panics are findings.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = venvjail::obs::headers::read_stream("fuzz", &mut &data[..]);
    if let Ok(h) = venvjail::rpm::read_lead_and_header("fuzz", &mut &data[..]) {
        let _ = venvjail::rpm::resolve::Package::from_header(&h);
        let _ = h.long_files();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(r) = venvjail::rpm::rich::parse(text) {
            let _ = r.holds(&|d| if d.name.len() % 2 == 0 { vec![0] } else { Vec::new() });
        }
    }
});
