//! The grammar file and the parser must not drift: every production of
//! `grammar/rpmspec.ebnf` is carried verbatim by exactly one function's doc
//! comment in `src/rpmspec`, every ```ebnf block there is a grammar
//! production, and the keyword tables equal the grammar's alternatives.

use std::collections::BTreeMap;

use crate::util::repo_root;
use venvjail::rpmspec::line::{CONDITIONALS, SECTIONS};

/// Collapses whitespace so layout differences do not count as drift.
fn normalise(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `(* … *)` comments removed.
fn strip_comments(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(start) = rest.find("(*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*)").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// `Name := … ;` productions of a text, keyed by name.
fn productions(text: &str) -> Vec<(String, String)> {
    // Split at `;` outside quoted literals.
    let mut parts = Vec::new();
    let (mut quote, mut start) = (None, 0);
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ';') => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, _) = p
                .split_once(":=")
                .unwrap_or_else(|| panic!("not a production: {p}"));
            (name.trim().to_owned(), normalise(&format!("{p} ;")))
        })
        .collect()
}

fn grammar() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_root().join("grammar/rpmspec.ebnf")).unwrap();
    let mut map = BTreeMap::new();
    for (name, prod) in productions(&strip_comments(&text)) {
        assert!(
            map.insert(name.clone(), prod).is_none(),
            "{name} defined twice in the grammar"
        );
    }
    map
}

/// Every production in an ```ebnf doc block, with the file it is in.
fn implemented() -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    // Every `.rs` file under src/rpmspec, its submodule directories too.
    let mut files = Vec::new();
    let mut dirs = vec![repo_root().join("src/rpmspec")];
    while let Some(dir) = dirs.pop() {
        for path in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut block: Option<String> = None;
        for line in text.lines() {
            let Some(doc) = line.trim_start().strip_prefix("///") else {
                continue;
            };
            let doc = doc.strip_prefix(' ').unwrap_or(doc);
            match (&mut block, doc.trim()) {
                (None, "```ebnf") => block = Some(String::new()),
                (Some(b), "```") => {
                    for (name, prod) in productions(b) {
                        out.push((name, prod, path.display().to_string()));
                    }
                    block = None;
                }
                (Some(b), _) => {
                    b.push_str(doc);
                    b.push('\n');
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn grammar_and_parser_agree() {
    let grammar = grammar();
    let code = implemented();
    let mut problems = Vec::new();
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, prod, file) in &code {
        match grammar.get(name) {
            None => problems.push(format!("{file}: {name} is not in grammar/rpmspec.ebnf")),
            Some(g) if g != prod => problems.push(format!(
                "{file}: {name} differs from the grammar\n  code:    {prod}\n  grammar: {g}"
            )),
            Some(_) => {}
        }
        if let Some(other) = seen.insert(name, file) {
            problems.push(format!("{name} is implemented twice ({other} and {file})"));
        }
    }
    for name in grammar.keys() {
        if !seen.contains_key(name.as_str()) {
            problems.push(format!(
                "grammar production {name} has no implementing function"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "grammar drift:\n{}",
        problems.join("\n")
    );
    println!("grammar: {} productions, all implemented", grammar.len());
}

/// The quoted alternatives of a production, in order.
fn alternatives(prod: &str) -> Vec<String> {
    let body = prod.split_once(":=").unwrap().1;
    body.split('"')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

#[test]
fn keyword_tables_match_the_grammar() {
    let grammar = grammar();
    let conds: Vec<String> = CONDITIONALS.iter().map(|(k, _)| (*k).to_owned()).collect();
    assert_eq!(alternatives(&grammar["CondKeyword"]), conds);
    let sections: Vec<String> = SECTIONS.iter().map(|(k, _)| (*k).to_owned()).collect();
    assert_eq!(alternatives(&grammar["SectionKw"]), sections);
}
