//! `view=cpioheaders` answers (DESIGN §5, step 1): a cpio newc stream with
//! one member per binary, `NAME-<hdrmd5>` on the `_repository` route and
//! `FILE.rpm-<hdrmd5>` per package, each holding the binary's lead,
//! signature and main header. Read as the bytes arrive; a `.errors`
//! member, a truncated stream or a member that is not an RPM header is an
//! error naming the request.

use std::io::Read;

use super::error::ObsError;
use crate::rpm::cpio::{self, EntryKind};
use crate::rpm::resolve::Package;

/// Longest `.errors` text quoted.
const MAX_ERRORS: u64 = 4096;

/// A fault of one answer, before it is tied to its request.
enum Fault {
    Rpm(crate::rpm::Error),
    Other(String),
}

impl From<crate::rpm::Error> for Fault {
    fn from(e: crate::rpm::Error) -> Self {
        Fault::Rpm(e)
    }
}

/// The member name without its `-<hdrmd5>` suffix; `None` when it has none.
pub fn member_binary(member: &str) -> Option<&str> {
    let (name, md5) = member.rsplit_once('-')?;
    (md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit()) && !name.is_empty())
        .then_some(name)
}

/// Reads a `cpioheaders` stream; `request` names it in errors
/// (`GET /build/…?view=cpioheaders …`). Returns each member's binary (as
/// the member names it) with what its header says.
pub fn read_stream(request: &str, r: &mut dyn Read) -> Result<Vec<(String, Package)>, ObsError> {
    let mut out = Vec::new();
    let result = cpio::for_each_entry::<Fault>("the cpio stream", r, &[], &mut |e| {
        let member = e.path.trim_start_matches("./").to_owned();
        if member == ".errors" {
            let mut text = String::new();
            let _ = e.data.take(MAX_ERRORS).read_to_string(&mut text);
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            return Err(Fault::Other(format!("OBS reports: {}", lines.join("; "))));
        }
        if !matches!(e.kind, EntryKind::File { .. }) {
            return Err(Fault::Other(format!("member {member} is not a file")));
        }
        let Some(binary) = member_binary(&member) else {
            return Err(Fault::Other(format!(
                "member {member} is not named NAME-<hdrmd5>"
            )));
        };
        let h = crate::rpm::read_lead_and_header(&member, e.data)?;
        let package = Package::from_header(&h)
            .map_err(|reason| Fault::Other(format!("member {member}: {reason}")))?;
        out.push((binary.to_owned(), package));
        Ok(())
    });
    match result {
        Ok(()) => Ok(out),
        Err(f) => Err(ObsError::Headers {
            request: request.to_owned(),
            reason: match f {
                Fault::Rpm(e) => e.to_string(),
                Fault::Other(s) => s,
            },
        }),
    }
}
