//! Sections as a view derived from the line classification: each line
//! knows the header of the section it is in (see [`super::syntax::Line::section`]).

use super::syntax::{LineId, LineKind, SectionKind, SpecFile};

/// A section: its header (or none for the main preamble) and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The header line; `None` for the main preamble.
    pub header: Option<LineId>,
    /// The kind of section (`Package` for the main preamble).
    pub kind: SectionKind,
    /// The lines after the header that belong to it, in file order
    /// (conditional directives included).
    pub lines: Vec<LineId>,
}

impl SpecFile<'_> {
    /// The sections in file order, the main preamble first.
    pub fn sections(&self) -> Vec<Section> {
        let mut out = vec![Section {
            header: None,
            kind: SectionKind::Package,
            lines: Vec::new(),
        }];
        for (id, line) in self.lines.iter().enumerate() {
            if let LineKind::Section(h) = &line.kind {
                out.push(Section {
                    header: Some(id),
                    kind: h.kind,
                    lines: Vec::new(),
                });
                continue;
            }
            let owner = out.iter_mut().rev().find(|s| s.header == line.section);
            if let Some(section) = owner {
                section.lines.push(id);
            }
        }
        out
    }
}
