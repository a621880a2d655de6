//! rpm's version order and capability matching (`rpmdsCompare`): whether a
//! `Provides` entry satisfies a `Requires` entry. The segment order of
//! epoch, version and release is the `rpm-version` crate's (rpm's
//! `rpmvercmp`).

use std::cmp::Ordering;

use super::deps::{Dep, SENSE_EQUAL, SENSE_GREATER, SENSE_LESS, SENSE_MASK};

/// `[epoch:]version[-release]` split as rpm's `parseEVR` does: the epoch
/// only when digits come before a `:`, the release after the last `-`.
pub fn split_evr(evr: &str) -> (&str, &str, &str) {
    let (epoch, rest) = match evr.split_once(':') {
        Some((e, rest)) if e.bytes().all(|b| b.is_ascii_digit()) => (e, rest),
        _ => ("", evr),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => (epoch, v, r),
        None => (epoch, rest, ""),
    }
}

/// rpm's `rpmvercmp` of one segment (epoch, version or release).
pub fn vercmp(a: &str, b: &str) -> Ordering {
    rpm_version::Evr::new("", a, "").cmp(&rpm_version::Evr::new("", b, ""))
}

/// Whether two entries of the same name overlap, as `rpmdsCompare` says:
/// an unversioned side matches anything; otherwise the epochs (missing =
/// 0), versions and, when both have one, releases are compared (a side
/// without release that allows equality matches any release), and the two
/// ranges must intersect.
pub fn overlaps(a: &Dep, b: &Dep) -> bool {
    if a.name != b.name {
        return false;
    }
    let (fa, fb) = (a.flags & SENSE_MASK, b.flags & SENSE_MASK);
    if fa == 0 || fb == 0 || a.evr.is_empty() || b.evr.is_empty() {
        return true;
    }
    let (ea, va, ra) = split_evr(&a.evr);
    let (eb, vb, rb) = split_evr(&b.evr);
    let epoch = |e: &str| if e.is_empty() { "0" } else { e }.to_owned();
    let mut sense = vercmp(&epoch(ea), &epoch(eb));
    if sense == Ordering::Equal {
        sense = vercmp(va, vb);
        if sense == Ordering::Equal {
            if !ra.is_empty() && !rb.is_empty() {
                sense = vercmp(ra, rb);
            } else if (!ra.is_empty() && fb & SENSE_EQUAL != 0)
                || (!rb.is_empty() && fa & SENSE_EQUAL != 0)
            {
                return true;
            }
        }
    }
    match sense {
        Ordering::Less => fa & SENSE_GREATER != 0 || fb & SENSE_LESS != 0,
        Ordering::Greater => fa & SENSE_LESS != 0 || fb & SENSE_GREATER != 0,
        Ordering::Equal => {
            (fa & SENSE_EQUAL != 0 && fb & SENSE_EQUAL != 0)
                || (fa & SENSE_LESS != 0 && fb & SENSE_LESS != 0)
                || (fa & SENSE_GREATER != 0 && fb & SENSE_GREATER != 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpm::deps::flags_of;

    fn dep(s: &str) -> Dep {
        let mut it = s.split(' ');
        let name = it.next().unwrap_or_default();
        match (it.next(), it.next()) {
            (Some(op), Some(evr)) => Dep::new(name, flags_of(op).unwrap(), evr),
            _ => Dep::new(name, 0, ""),
        }
    }

    /// Each case checked with python3-rpm:
    /// `rpm.ds(req, RPMTAG_REQUIRENAME).Compare(rpm.ds(prov, RPMTAG_PROVIDENAME))`.
    #[test]
    fn overlap_as_librpm_says() {
        for (req, prov, want) in [
            ("foo = 1.0", "foo = 1.0-2", true),
            ("foo > 1.0", "foo = 1.0-2", false),
            ("foo >= 1.0", "foo = 1.0-2", true),
            ("foo = 1.0-2", "foo = 1.0", true),
            ("foo < 1.0-2", "foo = 1.0", true),
            ("foo > 1.0-2", "foo = 1.0", true),
            ("foo = 0:1.0", "foo = 1.0", true),
            ("foo = 1:1.0", "foo = 1.0", false),
            ("foo = 1.0", "foo", true),
            ("foo", "foo = 1.0", true),
            ("foo < 1.0", "foo >= 2.0", false),
            ("foo >= 5.1", "foo = 6.0.1-150400.3.1", true),
            ("foo >= 99", "foo = 6.0.1-150400.3.1", false),
            ("foo = 3006.0-1.1", "foo = 3006.0-1.2", false),
            ("foo", "bar", false),
        ] {
            assert_eq!(overlaps(&dep(req), &dep(prov)), want, "{req} / {prov}");
        }
    }

    #[test]
    fn evr_split_as_rpm() {
        assert_eq!(split_evr("1:2.0-3.1"), ("1", "2.0", "3.1"));
        assert_eq!(split_evr("2.0"), ("", "2.0", ""));
        assert_eq!(split_evr("a:b-c-d"), ("", "a:b-c", "d"));
    }
}
