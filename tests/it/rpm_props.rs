//! Property tests of the RPM metadata readers the Requires block rests
//! on: rich dependencies print and parse back to the same tree, arbitrary
//! text never panics the parser; `cpioheaders` streams made of real
//! headers read back whole, and every truncation or byte flip of them is
//! an error or a result, never a panic.

use proptest::prelude::*;
use venvjail::rpm::deps::{op_of, Dep, SENSE_EQUAL, SENSE_GREATER, SENSE_LESS};
use venvjail::rpm::rich::{self, Rich};

use crate::fake_obs::cpio_member;
use crate::fake_repo;

fn print(r: &Rich) -> String {
    let join = |items: &[Rich], op: &str| {
        let parts: Vec<String> = items.iter().map(print).collect();
        format!("({})", parts.join(&format!(" {op} ")))
    };
    match r {
        Rich::Dep(d) if d.op().is_empty() => d.name.clone(),
        Rich::Dep(d) => format!("{} {} {}", d.name, d.op(), d.evr),
        Rich::And(items) => join(items, "and"),
        Rich::Or(items) => join(items, "or"),
        Rich::With(items) => join(items, "with"),
        Rich::If(a, b, c) | Rich::Unless(a, b, c) => {
            let op = if matches!(r, Rich::If(..)) {
                "if"
            } else {
                "unless"
            };
            match c {
                Some(c) => format!("({} {op} {} else {})", print(a), print(b), print(c)),
                None => format!("({} {op} {})", print(a), print(b)),
            }
        }
        Rich::Without(a, b) => format!("({} without {})", print(a), print(b)),
    }
}

fn simple() -> impl Strategy<Value = Rich> {
    (
        "[a-z][a-z0-9_.+-]{0,12}",
        prop_oneof![
            Just(0u32),
            Just(SENSE_LESS),
            Just(SENSE_GREATER),
            Just(SENSE_EQUAL),
            Just(SENSE_LESS | SENSE_EQUAL),
            Just(SENSE_GREATER | SENSE_EQUAL)
        ],
        "([0-9]:)?[0-9]{1,3}(\\.[0-9a-z]{1,3}){0,2}(-[0-9.]{1,5})?",
    )
        .prop_filter("not an operator word", |(n, ..)| {
            !matches!(
                n.as_str(),
                "and" | "or" | "if" | "else" | "unless" | "with" | "without"
            )
        })
        .prop_map(|(name, flags, evr)| {
            Rich::Dep(if flags == 0 {
                Dep::new(name, 0, "")
            } else {
                Dep::new(name, flags, evr)
            })
        })
}

/// A group at the top (rich dependencies are parenthesised).
fn group(inner: BoxedStrategy<Rich>) -> BoxedStrategy<Rich> {
    let items = prop::collection::vec(inner.clone(), 2..4);
    prop_oneof![
        items.clone().prop_map(Rich::And),
        items.clone().prop_map(Rich::Or),
        items.prop_map(Rich::With),
        (
            inner.clone(),
            inner.clone(),
            prop::option::of(inner.clone())
        )
            .prop_map(|(a, b, c)| Rich::If(Box::new(a), Box::new(b), c.map(Box::new))),
        (
            inner.clone(),
            inner.clone(),
            prop::option::of(inner.clone())
        )
            .prop_map(|(a, b, c)| Rich::Unless(Box::new(a), Box::new(b), c.map(Box::new))),
        (inner.clone(), inner).prop_map(|(a, b)| Rich::Without(Box::new(a), Box::new(b))),
    ]
    .boxed()
}

fn rich_tree() -> impl Strategy<Value = Rich> {
    let leaf = simple().boxed();
    let nested = leaf.prop_recursive(3, 24, 3, group).boxed();
    group(nested)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rich_dependencies_print_and_parse_back(tree in rich_tree()) {
        let text = print(&tree);
        prop_assert_eq!(rich::parse(&text), Ok(tree), "{}", text);
    }

    #[test]
    fn rich_parser_never_panics(text in "\\PC{0,60}") {
        let _ = rich::parse(&text);
        let _ = rich::parse(&format!("({text})"));
    }

    #[test]
    fn op_names_are_rpms(flags in 0u32..16) {
        let op = op_of(flags);
        prop_assert!(["", "<", ">", "=", "<=", ">="].contains(&op));
    }
}

/// A cpioheaders stream of the first `n` binaries of the example stack.
fn stream(n: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let stack = fake_repo::stack();
    for b in stack.iter().take(n) {
        cpio_member(
            &mut out,
            &format!("{}-{}", b.name, "0".repeat(32)),
            &b.header,
        );
    }
    cpio_member(&mut out, "TRAILER!!!", b"");
    (out, n.min(stack.len()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn whole_streams_read_back_and_cut_ones_are_errors(n in 1usize..6, cut in any::<prop::sample::Index>()) {
        let (bytes, count) = stream(n);
        let all = venvjail::obs::headers::read_stream("r", &mut &bytes[..]).unwrap();
        prop_assert_eq!(all.len(), count);
        let stack = fake_repo::stack();
        for ((member, p), b) in all.iter().zip(stack) {
            prop_assert_eq!(member, &b.name);
            prop_assert_eq!(&p.name, &b.name);
        }
        let at = cut.index(bytes.len() - 1);
        let cut_short = venvjail::obs::headers::read_stream("r", &mut &bytes[..at]);
        prop_assert!(cut_short.is_err(), "cut at {} of {}", at, bytes.len());
        let e = cut_short.unwrap_err().to_string();
        prop_assert!(e.starts_with("OBS did not give the RPM headers asked for (GET r): "), "{}", e);
    }

    #[test]
    fn flipped_bytes_never_panic(n in 1usize..4, flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let (mut bytes, _) = stream(n);
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        let _ = venvjail::obs::headers::read_stream("r", &mut &bytes[..]);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let _ = venvjail::obs::headers::read_stream("r", &mut &bytes[..]);
        let mut with_lead = vec![0xed, 0xab, 0xee, 0xdb];
        with_lead.resize(96, 0);
        with_lead.extend_from_slice(&[0x8e, 0xad, 0xe8, 0x01]);
        with_lead.extend_from_slice(&bytes);
        if let Ok(h) = venvjail::rpm::read_lead_and_header("p", &mut &with_lead[..]) {
            let _ = venvjail::rpm::resolve::Package::from_header(&h);
            let _ = h.provides();
            let _ = h.requires();
            let _ = h.file_paths();
        }
    }
}
