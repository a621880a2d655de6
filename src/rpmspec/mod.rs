//! The spec parser: bytes in, a lossless syntax tree out, never a failure.
//!
//! Layers, each in its own module: [`logical`] joins physical lines as rpm
//! does, [`line`] classifies them (nom), [`parse`] builds the conditional
//! tree, [`deps`] reads dependencies with [`macros`] and [`expr`].
//! `grammar/rpmspec.ebnf` is the grammar; each function implementing a
//! production carries it in its doc comment.
//!
//! This module depends on nothing else in the crate.
//!
//! ```
//! use venvjail::rpmspec::{dependencies, parse, MacroTable};
//!
//! let src = b"Name: demo\n%if 0%{?suse_version}\nBuildRequires: suse-only\n%endif\nRequires: python3-%{name}\n";
//! let file = parse(src);
//! assert_eq!(file.reprint(), src); // lossless
//!
//! let deps = dependencies(&file, MacroTable::new()).deps;
//! assert_eq!(deps[0].name, "suse-only");
//! assert_eq!(deps[0].active, Some(false)); // %{?suse_version} is empty, as in rpm
//! let expanded = deps[1].expanded.as_ref().unwrap().as_slice();
//! assert_eq!(expanded[0].name, "python3-demo");
//! ```

pub mod buildconfig;
pub mod deplist;
pub mod deps;
pub mod edit;
pub mod expr;
pub mod line;
pub mod logical;
pub mod macro_ref;
pub mod macro_table;
pub mod macros;
pub mod parse;
pub mod sections;
pub mod syntax;

pub use deps::{
    dependencies, dependencies_with, Analysis, Condition, Dependency, Expanded, ExpandedDep, Rules,
};
pub use macros::MacroTable;
pub use parse::parse;
pub use syntax::{DepTag, Item, Line, LineKind, Op, SpecFile, Tag, Token, TokenKind};
