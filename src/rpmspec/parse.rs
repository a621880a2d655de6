//! Builds a [`SpecFile`]: logical lines, classified in their section
//! context, assembled into the conditional tree.

use super::line::{classify, Context};
use super::logical::logical_lines;
use super::syntax::{
    Branch, CondKeyword, Conditional, Diagnostic, Item, Line, LineId, LineKind, SectionKind,
    SpecFile,
};

/// Parses a spec. Never fails and never panics: what it does not understand
/// becomes an error line that keeps its bytes.
///
/// ```ebnf
/// File := Item* ;
/// Item := Cond | Line ;
/// ```
pub fn parse(src: &[u8]) -> SpecFile<'_> {
    let logical = logical_lines(src);
    let mut builder = Builder {
        file: SpecFile::new(src, logical.len(), logical.len() * 3),
        open: Vec::new(),
        sections: SectionState::main(),
    };
    let mut number = 1u32;
    for ll in &logical {
        let ctx = builder.sections.context();
        let mark = builder.file.tokens.len();
        let kind = classify(src, ll, ctx, &mut builder.file.tokens);
        if ll.unclosed_macro {
            builder.file.diagnostics.push(Diagnostic {
                line: number,
                message: "unclosed macro or bad line continuation".into(),
            });
        }
        let id = builder.file.lines.len();
        builder.file.lines.push(Line {
            span: ll.span.clone(),
            number,
            section: builder.sections.latest().and_then(|(id, _)| id),
            kind,
            tokens: mark..builder.file.tokens.len(),
        });
        builder.add(id);
        number = number.saturating_add(ll.physical_lines);
    }
    builder.finish()
}

/// An `%if` still waiting for its `%endif`.
struct OpenCond {
    cond: Conditional,
    seen_else: bool,
    /// Section state when the `%if` was entered.
    entry: SectionState,
    /// Union of the states at the end of the finished branches.
    exits: SectionState,
}

struct Builder<'a> {
    file: SpecFile<'a>,
    open: Vec<OpenCond>,
    sections: SectionState,
}

impl<'a> Builder<'a> {
    ///
    /// ```ebnf
    /// Cond := IfLine Item* { ElifLine Item* } [ ElseLine Item* ] EndifLine ;
    /// ```
    fn add(&mut self, id: LineId) {
        let line = &self.file.lines[id];
        match &line.kind {
            LineKind::Conditional(d) if d.keyword.opens() => {
                self.open.push(OpenCond {
                    cond: Conditional {
                        branches: vec![Branch {
                            directive: id,
                            items: Vec::new(),
                        }],
                        endif: None,
                    },
                    seen_else: false,
                    entry: self.sections.clone(),
                    exits: SectionState::empty(),
                });
            }
            LineKind::Conditional(d) => {
                let keyword = d.keyword;
                let number = line.number;
                let Some(top) = self.open.last_mut() else {
                    let name = match keyword {
                        CondKeyword::Endif => "%endif",
                        CondKeyword::Else => "%else",
                        _ => "%elif",
                    };
                    let message = format!("{name} without %if");
                    self.file.lines[id].kind = LineKind::Error(message.clone());
                    self.file.diagnostics.push(Diagnostic {
                        line: number,
                        message,
                    });
                    self.push_item(Item::Line(id));
                    return;
                };
                if keyword == CondKeyword::Endif {
                    top.exits.union(&self.sections);
                    if !top.seen_else {
                        top.exits.union(&top.entry);
                    }
                    let mut done = self.open.pop().map(|o| (o.cond, o.exits));
                    if let Some((mut cond, exits)) = done.take() {
                        cond.endif = Some(id);
                        self.sections = exits;
                        self.push_item(Item::Conditional(cond));
                    }
                    return;
                }
                if top.seen_else {
                    self.file.diagnostics.push(Diagnostic {
                        line: number,
                        message: format!(
                            "{} after %else",
                            if keyword == CondKeyword::Else {
                                "%else"
                            } else {
                                "%elif"
                            }
                        ),
                    });
                }
                if keyword == CondKeyword::Else {
                    top.seen_else = true;
                }
                top.exits.union(&self.sections);
                self.sections = top.entry.clone();
                top.cond.branches.push(Branch {
                    directive: id,
                    items: Vec::new(),
                });
            }
            LineKind::Section(header) => {
                self.sections.set_one(Some(id), header.kind);
                self.push_item(Item::Line(id));
            }
            _ => self.push_item(Item::Line(id)),
        }
    }

    fn push_item(&mut self, item: Item) {
        match self.open.last_mut() {
            Some(top) => {
                if let Some(branch) = top.cond.branches.last_mut() {
                    branch.items.push(item);
                }
            }
            None => self.file.items.push(item),
        }
    }

    fn finish(mut self) -> SpecFile<'a> {
        while let Some(open) = self.open.pop() {
            let if_line = open.cond.branches[0].directive;
            self.file.diagnostics.push(Diagnostic {
                line: self.file.lines[if_line].number,
                message: "unclosed %if: no %endif before the end of the file".into(),
            });
            self.push_item(Item::Conditional(open.cond));
        }
        self.file.diagnostics.sort_by_key(|d| d.line);
        self.file
    }
}

/// The possible current sections: `None` is the main preamble, `Some(id)`
/// the section whose header is line `id`.
#[derive(Clone, Debug)]
struct SectionState {
    possible: Vec<(Option<LineId>, SectionKind)>,
}

impl SectionState {
    fn main() -> Self {
        Self::one(None, SectionKind::Package)
    }

    fn empty() -> Self {
        Self {
            possible: Vec::new(),
        }
    }

    fn one(id: Option<LineId>, kind: SectionKind) -> Self {
        Self {
            possible: vec![(id, kind)],
        }
    }

    /// Makes `(id, kind)` the only possible section, keeping the buffer.
    fn set_one(&mut self, id: Option<LineId>, kind: SectionKind) {
        self.possible.clear();
        self.possible.push((id, kind));
    }

    fn union(&mut self, other: &SectionState) {
        for s in &other.possible {
            if !self.possible.contains(s) {
                self.possible.push(*s);
            }
        }
    }

    /// The latest section in file order among the possible ones.
    fn latest(&self) -> Option<(Option<LineId>, SectionKind)> {
        self.possible.iter().copied().max_by_key(|(id, _)| *id)
    }

    fn context(&self) -> Context {
        match self.latest() {
            Some((_, SectionKind::Package)) | None => Context::Preamble,
            Some(_) => Context::Body,
        }
    }
}
