//! Classification of one logical line, as rpm classifies a line after
//! reading it: conditional directives and macro definitions anywhere,
//! section headers at column 0, tags at column 0 inside a preamble.

use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::deplist::dep_list;
use super::logical::LogicalLine;
use super::macro_ref::{is_name_byte, macro_ref_len};
use super::syntax::{
    CondKeyword, Directive, LineKind, MacroDef, MacroDefKind, PackageRef, SectionHeader,
    SectionKind, Span, Tag, TagLine, Token, TokenKind, WrappedTag,
};

/// Where a line stands, which decides whether a tag is a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// The main preamble or a `%package` preamble.
    Preamble,
    /// Any other section.
    Body,
}

/// The conditional directives, with openSUSE's conditional macros
/// (python-rpm-macros defines each to expand to an `%if` line).
///
/// This table is the one place that lists them.
pub const CONDITIONALS: &[(&str, CondKeyword)] = &[
    ("if", CondKeyword::If),
    ("ifarch", CondKeyword::IfArch),
    ("ifnarch", CondKeyword::IfNArch),
    ("ifos", CondKeyword::IfOs),
    ("ifnos", CondKeyword::IfNOs),
    ("elif", CondKeyword::Elif),
    ("elifarch", CondKeyword::ElifArch),
    ("elifos", CondKeyword::ElifOs),
    ("else", CondKeyword::Else),
    ("endif", CondKeyword::Endif),
    ("ifpython2", CondKeyword::IfMacro),
    ("ifpython3", CondKeyword::IfMacro),
    ("ifpycache", CondKeyword::IfMacro),
];

/// The section keywords rpm 4.18–4.20 recognise (the one table of them).
pub const SECTIONS: &[(&str, SectionKind)] = &[
    ("package", SectionKind::Package),
    ("description", SectionKind::Description),
    ("files", SectionKind::Files),
    ("changelog", SectionKind::Changelog),
    ("prep", SectionKind::BuildStep),
    ("generate_buildrequires", SectionKind::BuildStep),
    ("conf", SectionKind::BuildStep),
    ("build", SectionKind::BuildStep),
    ("install", SectionKind::BuildStep),
    ("check", SectionKind::BuildStep),
    ("clean", SectionKind::BuildStep),
    ("pre", SectionKind::Scriptlet),
    ("post", SectionKind::Scriptlet),
    ("preun", SectionKind::Scriptlet),
    ("postun", SectionKind::Scriptlet),
    ("pretrans", SectionKind::Scriptlet),
    ("posttrans", SectionKind::Scriptlet),
    ("preuntrans", SectionKind::Scriptlet),
    ("postuntrans", SectionKind::Scriptlet),
    ("verifyscript", SectionKind::Scriptlet),
    ("triggerprein", SectionKind::Scriptlet),
    ("triggerin", SectionKind::Scriptlet),
    ("trigger", SectionKind::Scriptlet),
    ("triggerun", SectionKind::Scriptlet),
    ("triggerpostun", SectionKind::Scriptlet),
    ("filetriggerin", SectionKind::Scriptlet),
    ("filetrigger", SectionKind::Scriptlet),
    ("filetriggerun", SectionKind::Scriptlet),
    ("filetriggerpostun", SectionKind::Scriptlet),
    ("transfiletriggerin", SectionKind::Scriptlet),
    ("transfiletrigger", SectionKind::Scriptlet),
    ("transfiletriggerun", SectionKind::Scriptlet),
    ("transfiletriggerpostun", SectionKind::Scriptlet),
    ("sepolicy", SectionKind::List),
    ("sourcelist", SectionKind::List),
    ("patchlist", SectionKind::List),
    ("end", SectionKind::End),
];

/// Preamble tags other than the dependency tags (rpm 4.18 plus 4.20's
/// `BuildSystem` and `BuildOption`), lowercase.
const OTHER_TAGS: &[&str] = &[
    "summary",
    "license",
    "sourcelicense",
    "distribution",
    "disturl",
    "vendor",
    "group",
    "packager",
    "url",
    "vcs",
    "source",
    "patch",
    "nosource",
    "nopatch",
    "excludearch",
    "exclusivearch",
    "excludeos",
    "exclusiveos",
    "icon",
    "prefixes",
    "prefix",
    "buildroot",
    "autoreqprov",
    "autoreq",
    "autoprov",
    "docdir",
    "disttag",
    "bugurl",
    "translationurl",
    "upstreamreleases",
    "removepathpostfixes",
    "modularitylabel",
    "buildsystem",
    "buildoption",
    "copyright",
    "serial",
];

/// Classifies `line` and pushes its tokens, which tile the line's span.
///
/// ```ebnf
/// Line := Blank | Conditional | MacroDef | SectionHeader | Comment
///       | TagLine | WrappedTag | MacroLine | Text ;
/// LineEnd := [ "\r" ] "\n" | EOF ;
/// ```
pub fn classify(src: &[u8], line: &LogicalLine, ctx: Context, tokens: &mut Vec<Token>) -> LineKind {
    let content = line.content();
    let text = &src[content.clone()];
    let start = content.start;
    let kind = classify_content(text, start, ctx, tokens);
    if line.eol_len > 0 {
        tokens.push(Token {
            kind: TokenKind::LineEnd,
            span: content.end..line.span.end,
        });
    }
    kind
}

///
/// ```ebnf
/// Indent := WS+ ;
/// Blank := TrailWS LineEnd ;
/// Comment := Indent? "#" { byte } LineEnd ;
/// MacroLine := "%" { byte } LineEnd ;
/// Text := { byte } LineEnd ;
/// ```
fn classify_content(text: &[u8], start: usize, ctx: Context, tokens: &mut Vec<Token>) -> LineKind {
    let indent = text.iter().take_while(|&&b| is_blank(b)).count();
    let body = &text[indent..];
    if body.iter().all(|&b| is_trailing_ws(b)) {
        push(tokens, TokenKind::Whitespace, start, text.len());
        return LineKind::Blank;
    }
    let mark = tokens.len();
    push(tokens, TokenKind::Indent, start, indent);
    let body_start = start + indent;
    if body[0] == b'%' {
        if let Some(kind) = conditional(body, body_start, tokens) {
            return kind;
        }
        if let Some(kind) = macro_def(body, body_start, tokens) {
            return kind;
        }
        if indent == 0 {
            if let Some(kind) = section_header(body, body_start, tokens) {
                return kind;
            }
        }
    }
    if body[0] == b'#' {
        push(tokens, TokenKind::Comment, body_start, body.len());
        return LineKind::Comment;
    }
    tokens.truncate(mark);
    if ctx == Context::Preamble && indent == 0 {
        if text[0] == b'%' {
            if let Some(kind) = wrapped_tag(text, start, tokens) {
                return kind;
            }
        } else {
            return tag_line(text, start, tokens);
        }
    }
    push(tokens, TokenKind::Text, start, text.len());
    if text[0] == b'%' {
        LineKind::Macro
    } else if ctx == Context::Preamble {
        LineKind::Error("tag not at column 0".into())
    } else {
        LineKind::Text
    }
}

/// A conditional directive, which may be indented.
///
/// ```ebnf
/// Conditional := Indent? "%" CondKeyword [ WS Rest ] LineEnd ;
/// CondKeyword := "if" | "ifarch" | "ifnarch" | "ifos" | "ifnos"
///              | "elif" | "elifarch" | "elifos" | "else" | "endif"
///              | "ifpython2" | "ifpython3" | "ifpycache" ;
/// ```
fn conditional(body: &[u8], start: usize, tokens: &mut Vec<Token>) -> Option<LineKind> {
    let name_len = body[1..].iter().take_while(|&&b| is_name_byte(b)).count();
    let name = &body[1..1 + name_len];
    let keyword = CONDITIONALS
        .iter()
        .find(|(k, _)| k.as_bytes() == name)
        .map(|&(_, kw)| kw)?;
    let after = &body[1 + name_len..];
    // `%if` and friends need a blank or the end after the keyword; rpm
    // accepts anything but a letter after `%else` and `%endif`.
    if !after.is_empty() && !is_blank(after[0]) && after[0] != b'\r' {
        return None;
    }
    let kw_end = start + 1 + name_len;
    push(tokens, TokenKind::Keyword, start, 1 + name_len);
    let ws = after.iter().take_while(|&&b| is_blank(b)).count();
    push(tokens, TokenKind::Whitespace, kw_end, ws);
    push(tokens, TokenKind::Rest, kw_end + ws, after.len() - ws);
    Some(LineKind::Conditional(Directive {
        keyword,
        name: start + 1..kw_end,
        argument: kw_end + ws..start + body.len(),
    }))
}

/// A macro definition; its body runs to the end of the logical line.
///
/// ```ebnf
/// MacroDef := Indent? ( "%define" | "%global" | "%undefine" ) WS+ Name [ "(" Opts ")" ] WS* Body LineEnd ;
/// ```
fn macro_def(body: &[u8], start: usize, tokens: &mut Vec<Token>) -> Option<LineKind> {
    /// Keyword, blanks, name, parameters, blanks.
    type Parts<'a> = (&'a [u8], &'a [u8], &'a [u8], Option<&'a [u8]>, &'a [u8]);
    fn parse(i: &[u8]) -> IResult<&[u8], Parts<'_>> {
        let (i, kw) = preceded(
            char('%'),
            nom::branch::alt((tag("define"), tag("global"), tag("undefine"))),
        )
        .parse(i)?;
        let (i, ws) = take_while1(is_blank).parse(i)?;
        let (i, name) = take_while1(is_name_byte).parse(i)?;
        let (i, params) = opt(paren_group).parse(i)?;
        let (i, ws2) = take_while(is_blank).parse(i)?;
        Ok((i, (kw, ws, name, params, ws2)))
    }
    let (rest, (kw, ws, name, params, ws2)) = parse(body).ok()?;
    let kind = match kw {
        b"define" => MacroDefKind::Define,
        b"global" => MacroDefKind::Global,
        _ => MacroDefKind::Undefine,
    };
    let mut at = start;
    push_advance(tokens, TokenKind::Keyword, &mut at, 1 + kw.len());
    push_advance(tokens, TokenKind::Whitespace, &mut at, ws.len());
    let name_span = at..at + name.len();
    push_advance(tokens, TokenKind::MacroName, &mut at, name.len());
    let params_span = params.map(|p| {
        let span = at + 1..at + 1 + p.len();
        push_advance(tokens, TokenKind::MacroParams, &mut at, p.len() + 2);
        span
    });
    push_advance(tokens, TokenKind::Whitespace, &mut at, ws2.len());
    let body_span = at..at + rest.len();
    push_advance(tokens, TokenKind::MacroBody, &mut at, rest.len());
    Some(LineKind::MacroDef(MacroDef {
        kind,
        name: name_span,
        params: params_span,
        body: body_span,
    }))
}

/// `(opts)` right after a macro name; returns the bytes between the parentheses.
fn paren_group(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (i, _) = char('(').parse(i)?;
    let (i, inner) = take_while(|b| b != b')' && b != b'\n').parse(i)?;
    let (i, _) = char(')').parse(i)?;
    Ok((i, inner))
}

/// A section header: column 0, keyword case-insensitive, then blanks or the end.
///
/// ```ebnf
/// SectionHeader := "%" SectionKw { WS+ Arg } LineEnd ;
/// SectionKw := "package" | "description" | "files" | "changelog" | "prep"
///            | "generate_buildrequires" | "conf" | "build" | "install" | "check"
///            | "clean" | "pre" | "post" | "preun" | "postun" | "pretrans"
///            | "posttrans" | "preuntrans" | "postuntrans" | "verifyscript"
///            | "triggerprein" | "triggerin" | "trigger" | "triggerun"
///            | "triggerpostun" | "filetriggerin" | "filetrigger" | "filetriggerun"
///            | "filetriggerpostun" | "transfiletriggerin" | "transfiletrigger"
///            | "transfiletriggerun" | "transfiletriggerpostun" | "sepolicy"
///            | "sourcelist" | "patchlist" | "end" ;
/// ```
fn section_header(body: &[u8], start: usize, tokens: &mut Vec<Token>) -> Option<LineKind> {
    let name_len = body[1..].iter().take_while(|&&b| is_name_byte(b)).count();
    let name = &body[1..1 + name_len];
    let after = &body[1 + name_len..];
    if !after.is_empty() && !is_blank(after[0]) && after[0] != b'\r' {
        return None;
    }
    let kind = SECTIONS
        .iter()
        .find(|(k, _)| k.as_bytes().eq_ignore_ascii_case(name))
        .map(|&(_, kind)| kind)?;
    push(tokens, TokenKind::Keyword, start, 1 + name_len);
    let rest_start = start + 1 + name_len;
    push(tokens, TokenKind::Rest, rest_start, after.len());
    let package = section_package(after, rest_start, kind);
    Some(LineKind::Section(SectionHeader {
        kind,
        keyword: start + 1..rest_start,
        package,
    }))
}

/// The package a section header names: `-n FULL` or the first plain word.
///
/// ```ebnf
/// Arg := "-n" WS+ Word | "-f" WS+ Word | "-l" WS+ Word | "-p" WS+ Word | "-P" WS+ Word
///      | "-e" | "-q" | "-a" | Word | "--" TriggerDeps ;
/// ```
fn section_package(args: &[u8], base: usize, kind: SectionKind) -> Option<PackageRef> {
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() {
        while i < args.len() && is_blank_or_cr(args[i]) {
            i += 1;
        }
        let s = i;
        while i < args.len() && !is_blank_or_cr(args[i]) {
            if args[i] == b'%' {
                i += macro_ref_len(&args[i..]).0;
            } else {
                i += 1;
            }
        }
        if i > s {
            words.push(base + s..base + i.min(args.len()));
        }
    }
    let word = |span: &Span| &args[span.start - base..span.end - base];
    let mut iter = words.iter();
    let mut suffix = None;
    while let Some(w) = iter.next() {
        match word(w) {
            b"-n" => return iter.next().map(|w| PackageRef::Full(w.clone())),
            b"--" => break,
            b"-f" | b"-p" | b"-l" | b"-P" => {
                iter.next();
            }
            w if w.starts_with(b"-") => {}
            _ if suffix.is_none() && kind != SectionKind::Changelog => suffix = Some(w.clone()),
            _ => {}
        }
    }
    suffix.map(PackageRef::Suffix)
}

/// A preamble tag.
///
/// ```ebnf
/// TagLine := TagName WS* [ "(" WS* Qual WS* ")" ] WS* ":" Gap Value TrailWS LineEnd ;
/// ```
fn tag_line(text: &[u8], start: usize, tokens: &mut Vec<Token>) -> LineKind {
    let mark = tokens.len();
    match tag_line_inner(text, start, tokens) {
        Ok(tag) => LineKind::Tag(tag),
        Err(reason) => {
            tokens.truncate(mark);
            push(tokens, TokenKind::Error, start, text.len());
            LineKind::Error(reason)
        }
    }
}

///
/// ```ebnf
/// Gap := TrailWS ;
/// Value := DepList | { byte } ;
/// ```
fn tag_line_inner(text: &[u8], start: usize, tokens: &mut Vec<Token>) -> Result<TagLine, String> {
    let head = tag_head(text).map_err(|_| "not a tag line".to_string())?;
    let (rest, (name, ws1, quals, ws2)) = head;
    let tag =
        lookup_tag(name).ok_or_else(|| format!("unknown tag {}", String::from_utf8_lossy(name)))?;
    let mut at = start;
    let name_span = at..at + name.len();
    push_advance(tokens, TokenKind::TagName, &mut at, name.len());
    push_advance(tokens, TokenKind::Whitespace, &mut at, ws1.len());
    let mut qualifiers = Vec::new();
    if let Some((open_ws, qual, close_ws)) = quals {
        push_advance(tokens, TokenKind::Paren, &mut at, 1);
        push_advance(tokens, TokenKind::Whitespace, &mut at, open_ws.len());
        for (n, part) in qual.split(|&b| b == b',').enumerate() {
            if n > 0 {
                push_advance(tokens, TokenKind::Comma, &mut at, 1);
            }
            if !part.is_empty() {
                qualifiers.push(at..at + part.len());
            }
            push_advance(tokens, TokenKind::Qualifier, &mut at, part.len());
        }
        push_advance(tokens, TokenKind::Whitespace, &mut at, close_ws.len());
        push_advance(tokens, TokenKind::Paren, &mut at, 1);
        push_advance(tokens, TokenKind::Whitespace, &mut at, ws2.len());
    }
    push_advance(tokens, TokenKind::Colon, &mut at, 1);
    let rest = &rest[1..];
    let gap_len = rest.iter().take_while(|&&b| is_trailing_ws(b)).count();
    let gap = at..at + gap_len;
    push_advance(tokens, TokenKind::Gap, &mut at, gap_len);
    let value = &rest[gap_len..];
    let trail = value
        .iter()
        .rev()
        .take_while(|&&b| is_trailing_ws(b))
        .count();
    let value = &value[..value.len() - trail];
    let value_span = at..at + value.len();
    let deps = if let Tag::Dependency(_) = tag {
        dep_list(value, at, tokens)
    } else {
        push(tokens, TokenKind::Value, at, value.len());
        Vec::new()
    };
    at += value.len();
    push(tokens, TokenKind::TrailingWhitespace, at, trail);
    Ok(TagLine {
        tag,
        name: name_span,
        qualifiers,
        gap,
        value: value_span,
        deps,
    })
}

type Qualifiers<'a> = Option<(&'a [u8], &'a [u8], &'a [u8])>;
/// Name, blanks, qualifiers, blanks.
type TagHead<'a> = (&'a [u8], &'a [u8], Qualifiers<'a>, &'a [u8]);

/// The tag name, optional qualifier list and the colon (left in the rest).
///
/// ```ebnf
/// Qual := QualTok { "," QualTok } ;
/// ```
fn tag_head(i: &[u8]) -> IResult<&[u8], TagHead<'_>> {
    let (i, name) = tag_name(i)?;
    let (i, ws1) = take_while(is_blank).parse(i)?;
    let (i, quals) = opt((
        preceded(char('('), take_while(is_blank)),
        take_while1(|b: u8| !is_blank(b) && b != b')' && b != b'\n' && b != b'\r'),
        nom::sequence::terminated(take_while(is_blank), char(')')),
    ))
    .parse(i)?;
    let (i, ws2) = if quals.is_some() {
        take_while(is_blank).parse(i)?
    } else {
        (i, &i[..0])
    };
    let (_, _) = char(':').parse(i)?;
    Ok((i, (name, ws1, quals, ws2)))
}

/// A tag name: letters and digits, `Source`/`Patch` with their number.
///
/// ```ebnf
/// TagName := Letter { Letter | Digit } ;
/// ```
fn tag_name(i: &[u8]) -> IResult<&[u8], &[u8]> {
    let (rest, name) = take_while1(|b: u8| b.is_ascii_alphanumeric()).parse(i)?;
    if !name[0].is_ascii_alphabetic() {
        return Err(nom::Err::Error(nom::error::Error::new(
            i,
            nom::error::ErrorKind::Alpha,
        )));
    }
    Ok((rest, name))
}

/// Looks a tag name up case-insensitively.
pub fn lookup_tag(name: &[u8]) -> Option<Tag> {
    // Lowercased on the stack: this runs for every tag line.
    let mut buf = [0u8; 64];
    let long;
    let lower: &[u8] = match buf.get_mut(..name.len()) {
        Some(b) => {
            b.copy_from_slice(name);
            b.make_ascii_lowercase();
            b
        }
        None => {
            long = name.to_ascii_lowercase();
            &long
        }
    };
    Some(match lower {
        b"name" => Tag::Name,
        b"version" => Tag::Version,
        b"release" => Tag::Release,
        b"epoch" => Tag::Epoch,
        b"buildarch" | b"buildarchitectures" => Tag::BuildArch,
        _ => {
            if let Some(dep) = super::syntax::DepTag::ALL
                .iter()
                .find(|t| t.as_str().as_bytes().eq_ignore_ascii_case(lower))
            {
                return Some(Tag::Dependency(*dep));
            }
            let stem = lower.trim_ascii_end();
            let stem = stem
                .iter()
                .rposition(|b| !b.is_ascii_digit())
                .map_or(stem, |p| &stem[..=p]);
            let numbered = stem.len() != lower.len();
            if OTHER_TAGS.iter().any(|t| t.as_bytes() == lower)
                || (numbered && (stem == b"source" || stem == b"patch"))
            {
                Tag::Other
            } else {
                return None;
            }
        }
    })
}

/// A tag wrapped in a conditional macro.
///
/// ```ebnf
/// WrappedTag := "%{" ( "?" | "!?" | "?!" ) Name ":" InnerTag "}" TrailWS LineEnd ;
/// ```
fn wrapped_tag(text: &[u8], start: usize, tokens: &mut Vec<Token>) -> Option<LineKind> {
    let (len, closed) = macro_ref_len(text);
    if !closed || !text.starts_with(b"%{") {
        return None;
    }
    if !text[len..].iter().all(|&b| is_trailing_ws(b)) {
        return None;
    }
    let inner = &text[2..len - 1];
    let flags = inner
        .iter()
        .take_while(|&&b| b == b'?' || b == b'!')
        .count();
    if !inner[..flags].contains(&b'?') {
        return None;
    }
    let negated = inner[..flags].contains(&b'!');
    let name_len = inner[flags..]
        .iter()
        .take_while(|&&b| is_name_byte(b))
        .count();
    if name_len == 0 || inner.get(flags + name_len) != Some(&b':') {
        return None;
    }
    let tag_off = 2 + flags + name_len + 1;
    let tag_text = &text[tag_off..len - 1];
    if tag_text.first().is_none_or(|b| !b.is_ascii_alphabetic()) {
        return None;
    }
    let mark = tokens.len();
    push(tokens, TokenKind::Wrapper, start, tag_off);
    match tag_line_inner(tag_text, start + tag_off, tokens) {
        Ok(inner_tag) => {
            push(tokens, TokenKind::Wrapper, start + len - 1, 1);
            push(
                tokens,
                TokenKind::TrailingWhitespace,
                start + len,
                text.len() - len,
            );
            Some(LineKind::WrappedTag(WrappedTag {
                macro_name: start + 2 + flags..start + 2 + flags + name_len,
                negated,
                inner: inner_tag,
            }))
        }
        Err(_) => {
            tokens.truncate(mark);
            None
        }
    }
}

fn push(tokens: &mut Vec<Token>, kind: TokenKind, start: usize, len: usize) {
    if len > 0 {
        tokens.push(Token {
            kind,
            span: start..start + len,
        });
    }
}

fn push_advance(tokens: &mut Vec<Token>, kind: TokenKind, at: &mut usize, len: usize) {
    push(tokens, kind, *at, len);
    *at += len;
}

/// Space or tab.
///
/// ```ebnf
/// WS := " " | "\t" ;
/// ```
pub fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_blank_or_cr(b: u8) -> bool {
    is_blank(b) || b == b'\r' || b == b'\n'
}

/// rpm's `risspace` minus the newline: what it trims from tag values.
///
/// ```ebnf
/// TrailWS := { WS | "\r" | "\v" | "\f" | "\n" } ;
/// ```
pub fn is_trailing_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c | b'\n')
}
