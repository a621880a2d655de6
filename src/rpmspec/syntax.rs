//! The lossless syntax tree of a spec file.
//!
//! Three layers, as rpm reads a spec: tokens (the leaves, which tile the
//! input byte for byte), classified logical lines, and the conditional tree
//! that is the file's backbone. Sections are a derived view over the tree
//! (see [`crate::rpmspec::sections`]).

use std::ops::Range;

/// A byte range into the source.
pub type Span = Range<usize>;

/// The kind of a leaf token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// Leading blanks before a directive.
    Indent,
    /// A directive keyword: `%if`, `%define`, `%package`…
    Keyword,
    /// Blanks between parts of a line.
    Whitespace,
    /// The rest of a directive line (an `%if` expression, section arguments).
    Rest,
    /// A tag name as spelled in the file.
    TagName,
    /// `(` or `)` around tag qualifiers.
    Paren,
    /// One qualifier token (`post`, `pre`…).
    Qualifier,
    /// `,` between qualifiers.
    Comma,
    /// The `:` ending a tag name.
    Colon,
    /// Blanks between the colon and the value.
    Gap,
    /// A tag value that is not a dependency list.
    Value,
    /// Whitespace and commas between dependencies.
    Separator,
    /// The name of a dependency.
    DepName,
    /// A comparison operator in a dependency.
    Operator,
    /// The version of a dependency.
    Evr,
    /// A rich (boolean) dependency, kept whole.
    RichDep,
    /// Trailing blanks before the line ending.
    TrailingWhitespace,
    /// `\n`, `\r\n`, or a backslash continuation inside a joined line.
    LineEnd,
    /// The name of a macro being defined.
    MacroName,
    /// The `(opts)` of a parametric macro definition.
    MacroParams,
    /// The body of a macro definition (may span physical lines).
    MacroBody,
    /// A comment line's text.
    Comment,
    /// `%{?name:` or `}` around a tag wrapped in a conditional macro.
    Wrapper,
    /// Section body text, whole-line macros and anything else kept verbatim.
    Text,
    /// Bytes that could not be classified; the line carries the reason.
    Error,
}

/// A leaf: a kind and the bytes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What the bytes are.
    pub kind: TokenKind,
    /// Where they are.
    pub span: Span,
}

/// Index of a line in [`SpecFile::lines`].
pub type LineId = usize;

/// A classified logical line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The bytes of the line, line ending included.
    pub span: Span,
    /// 1-based number of the first physical line.
    pub number: u32,
    /// The header line of the section the line is in (the latest possible
    /// one in file order); `None` is the main preamble.
    pub section: Option<LineId>,
    /// What the line is.
    pub kind: LineKind,
    /// Range of its tokens in [`SpecFile::tokens`].
    pub tokens: Range<usize>,
}

/// What a logical line is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineKind {
    /// Only whitespace.
    Blank,
    /// A `#` comment (rpm still joins and expands it).
    Comment,
    /// A conditional directive.
    Conditional(Directive),
    /// `%define`, `%global` or `%undefine`.
    MacroDef(MacroDef),
    /// A section header such as `%package -n foo` or `%files`.
    Section(SectionHeader),
    /// A preamble tag.
    Tag(TagLine),
    /// A preamble tag inside `%{?name:…}` or `%{!?name:…}`.
    WrappedTag(WrappedTag),
    /// A line that starts with a macro (expanded by rpm, opaque here).
    Macro,
    /// Anything else: section bodies, descriptions, scripts.
    Text,
    /// A line rpm would reject or that cannot be understood statically.
    Error(String),
}

/// The conditional directives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CondKeyword {
    /// `%if EXPR`
    If,
    /// `%ifarch ARCHS`
    IfArch,
    /// `%ifnarch ARCHS`
    IfNArch,
    /// `%ifos OSES`
    IfOs,
    /// `%ifnos OSES`
    IfNOs,
    /// A distribution macro that expands to an `%if` line (`%ifpython3`).
    IfMacro,
    /// `%elif EXPR`
    Elif,
    /// `%elifarch ARCHS`
    ElifArch,
    /// `%elifos OSES`
    ElifOs,
    /// `%else`
    Else,
    /// `%endif`
    Endif,
}

impl CondKeyword {
    /// True for the directives that open a conditional.
    pub fn opens(self) -> bool {
        matches!(
            self,
            Self::If | Self::IfArch | Self::IfNArch | Self::IfOs | Self::IfNOs | Self::IfMacro
        )
    }

    /// True for `%elif`, `%elifarch` and `%elifos`.
    pub fn is_elif(self) -> bool {
        matches!(self, Self::Elif | Self::ElifArch | Self::ElifOs)
    }
}

/// A conditional directive line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Which directive.
    pub keyword: CondKeyword,
    /// The keyword's bytes without `%` (`ifarch`, `ifpython3`).
    pub name: Span,
    /// The expression or argument list after the keyword (may span lines).
    pub argument: Span,
}

/// A macro definition line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroDef {
    /// `define`, `global` or `undefine`.
    pub kind: MacroDefKind,
    /// The macro's name.
    pub name: Span,
    /// The option string of a parametric macro, without parentheses.
    pub params: Option<Span>,
    /// The body, with continuation backslashes still in place.
    pub body: Span,
}

/// How a macro definition line binds its body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroDefKind {
    /// `%define`: the body is expanded on use.
    Define,
    /// `%global`: the body is expanded at definition.
    Global,
    /// `%undefine`: removes the innermost definition.
    Undefine,
}

/// The sections rpm knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SectionKind {
    /// `%package`: a sub-package preamble.
    Package,
    /// `%description`
    Description,
    /// `%files`
    Files,
    /// `%changelog`
    Changelog,
    /// A build step: `%prep %build %install %check %clean %conf %generate_buildrequires`.
    BuildStep,
    /// A scriptlet or trigger: `%pre %post %triggerin`…
    Scriptlet,
    /// `%sourcelist`, `%patchlist`, `%sepolicy`
    List,
    /// `%end`
    End,
}

/// A section header line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    /// Which section.
    pub kind: SectionKind,
    /// The keyword without `%`, as spelled.
    pub keyword: Span,
    /// The package this section belongs to, when it names one.
    pub package: Option<PackageRef>,
}

/// How a section header names its package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackageRef {
    /// `%package foo`: `%{name}-foo`.
    Suffix(Span),
    /// `%package -n foo`: `foo`.
    Full(Span),
}

/// The preamble tags venvjail distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tag {
    /// `Name`
    Name,
    /// `Version`
    Version,
    /// `Release`
    Release,
    /// `Epoch`
    Epoch,
    /// `BuildArch` / `BuildArchitectures`
    BuildArch,
    /// A dependency tag.
    Dependency(DepTag),
    /// Any other tag rpm knows.
    Other,
}

/// The dependency tags, in the spelling `spec deps` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DepTag {
    /// `BuildRequires` (always the source package's).
    BuildRequires,
    /// `BuildConflicts` (always the source package's).
    BuildConflicts,
    /// `BuildPreReq` (deprecated, the source package's).
    BuildPreReq,
    /// `Requires`
    Requires,
    /// `PreReq` (deprecated)
    PreReq,
    /// `Provides`
    Provides,
    /// `Conflicts`
    Conflicts,
    /// `Obsoletes`
    Obsoletes,
    /// `Recommends`
    Recommends,
    /// `Suggests`
    Suggests,
    /// `Supplements`
    Supplements,
    /// `Enhances`
    Enhances,
    /// `OrderWithRequires`
    OrderWithRequires,
}

impl DepTag {
    /// Every dependency tag.
    pub const ALL: [DepTag; 13] = [
        DepTag::BuildRequires,
        DepTag::BuildConflicts,
        DepTag::BuildPreReq,
        DepTag::Requires,
        DepTag::PreReq,
        DepTag::Provides,
        DepTag::Conflicts,
        DepTag::Obsoletes,
        DepTag::Recommends,
        DepTag::Suggests,
        DepTag::Supplements,
        DepTag::Enhances,
        DepTag::OrderWithRequires,
    ];

    /// The canonical spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DepTag::BuildRequires => "BuildRequires",
            DepTag::BuildConflicts => "BuildConflicts",
            DepTag::BuildPreReq => "BuildPreReq",
            DepTag::Requires => "Requires",
            DepTag::PreReq => "PreReq",
            DepTag::Provides => "Provides",
            DepTag::Conflicts => "Conflicts",
            DepTag::Obsoletes => "Obsoletes",
            DepTag::Recommends => "Recommends",
            DepTag::Suggests => "Suggests",
            DepTag::Supplements => "Supplements",
            DepTag::Enhances => "Enhances",
            DepTag::OrderWithRequires => "OrderWithRequires",
        }
    }

    /// True for the tags rpm always files under the source package.
    pub fn belongs_to_source(self) -> bool {
        matches!(
            self,
            DepTag::BuildRequires | DepTag::BuildConflicts | DepTag::BuildPreReq
        )
    }
}

/// A preamble tag line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagLine {
    /// Which tag.
    pub tag: Tag,
    /// The tag name as spelled.
    pub name: Span,
    /// Qualifiers such as `post` in `Requires(post)`.
    pub qualifiers: Vec<Span>,
    /// The whitespace between the colon and the value.
    pub gap: Span,
    /// The value, trailing whitespace excluded.
    pub value: Span,
    /// The dependencies of a dependency tag, in order.
    pub deps: Vec<DepItem>,
}

/// A tag line wrapped in a conditional macro: `%{?fedora:BuildRequires: x}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedTag {
    /// The macro tested by the wrapper.
    pub macro_name: Span,
    /// True for `%{!?name:…}`.
    pub negated: bool,
    /// The tag inside.
    pub inner: TagLine,
}

/// A comparison operator of a versioned dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `<`
    Lt,
    /// `<=` or `=<`
    Le,
    /// `=` or `==`
    Eq,
    /// `>=` or `=>`
    Ge,
    /// `>`
    Gt,
}

impl Op {
    /// Parses an exact operator token as rpm's `ReqComparisons` does.
    ///
    /// ```ebnf
    /// CmpOp := "<=" | "=<" | "<" | "==" | "=" | ">=" | "=>" | ">" ;
    /// ```
    pub fn from_token(tok: &[u8]) -> Option<Op> {
        Some(match tok {
            b"<" => Op::Lt,
            b"<=" | b"=<" => Op::Le,
            b"=" | b"==" => Op::Eq,
            b">=" | b"=>" => Op::Ge,
            b">" => Op::Gt,
            _ => return None,
        })
    }

    /// The normalised spelling rpm prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "=",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

/// One dependency in a tag value, as written (macros unexpanded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepItem {
    /// The whole dependency: name, operator and version with what is between.
    pub span: Span,
    /// The name (or the whole rich dependency).
    pub name: Span,
    /// The operator, when versioned.
    pub op: Option<(Op, Span)>,
    /// The version, when versioned.
    pub evr: Option<Span>,
    /// True for a rich (boolean) dependency.
    pub rich: bool,
    /// Why rpm would reject this dependency, if it would.
    pub problem: Option<&'static str>,
}

/// An item of the conditional tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A line outside any nested conditional at this level.
    Line(LineId),
    /// A conditional block.
    Conditional(Conditional),
}

/// `%if … [%elif …]* [%else …] %endif`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conditional {
    /// The branches in order; the first is the `%if`.
    pub branches: Vec<Branch>,
    /// The `%endif` line, or `None` when the file ends first.
    pub endif: Option<LineId>,
}

/// One branch of a conditional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branch {
    /// The `%if`, `%elif` or `%else` line.
    pub directive: LineId,
    /// What the branch holds.
    pub items: Vec<Item>,
}

/// A problem found while parsing, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line number.
    pub line: u32,
    /// What is wrong, lowercase, no trailing period.
    pub message: String,
}

/// A parsed spec file: the source, its leaves, its lines and its tree.
#[derive(Debug, Clone)]
pub struct SpecFile<'a> {
    /// The bytes that were parsed.
    pub src: &'a [u8],
    /// `src` as text when it is valid UTF-8, checked once by
    /// [`SpecFile::new`] so [`SpecFile::str`] borrows without decoding each
    /// span again. Private: it must always agree with `src`.
    text: Option<&'a str>,
    /// The leaves, in source order; their spans tile `src`.
    pub tokens: Vec<Token>,
    /// The classified logical lines, in source order.
    pub lines: Vec<Line>,
    /// The conditional tree over the lines.
    pub items: Vec<Item>,
    /// Unbalanced conditionals, unclosed macros and other problems.
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> SpecFile<'a> {
    /// A file of `src` with room for `lines` lines and `tokens` tokens,
    /// and nothing parsed yet.
    pub fn new(src: &'a [u8], lines: usize, tokens: usize) -> Self {
        SpecFile {
            src,
            text: std::str::from_utf8(src).ok(),
            tokens: Vec::with_capacity(tokens),
            lines: Vec::with_capacity(lines),
            items: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// The bytes of a span.
    pub fn text(&self, span: &Span) -> &'a [u8] {
        &self.src[span.clone()]
    }

    /// The bytes of a span as text (invalid UTF-8 replaced).
    pub fn str(&self, span: &Span) -> std::borrow::Cow<'a, str> {
        match self.text.and_then(|t| t.get(span.clone())) {
            Some(text) => std::borrow::Cow::Borrowed(text),
            None => String::from_utf8_lossy(&self.src[span.clone()]),
        }
    }

    /// The tokens of a line.
    pub fn line_tokens(&self, id: LineId) -> &[Token] {
        &self.tokens[self.lines[id].tokens.clone()]
    }

    /// Rebuilds the file by walking the tree and concatenating its leaves.
    pub fn reprint(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.src.len());
        self.reprint_items(&self.items, &mut out);
        out
    }

    fn reprint_items(&self, items: &[Item], out: &mut Vec<u8>) {
        for item in items {
            match item {
                Item::Line(id) => self.reprint_line(*id, out),
                Item::Conditional(cond) => {
                    for branch in &cond.branches {
                        self.reprint_line(branch.directive, out);
                        self.reprint_items(&branch.items, out);
                    }
                    if let Some(endif) = cond.endif {
                        self.reprint_line(endif, out);
                    }
                }
            }
        }
    }

    fn reprint_line(&self, id: LineId, out: &mut Vec<u8>) {
        for token in self.line_tokens(id) {
            out.extend_from_slice(&self.src[token.span.clone()]);
        }
    }
}
