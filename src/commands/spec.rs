//! `spec deps` and `spec reprint`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{read_file, Error};
use crate::in_order;
use crate::output::Reporter;
use crate::rpmspec::{self, Dependency, MacroTable, Op};

/// Output format of `spec deps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DepsFormat {
    /// `FILE:LINE: [PACKAGE] TAG[(QUALS)]: NAME [OP EVR]` lines.
    Text,
    /// One JSON object per file (an array for several files).
    Json,
}

/// What `spec deps` was asked to do.
#[derive(Debug, Clone)]
pub struct DepsOptions {
    /// The spec files.
    pub files: Vec<PathBuf>,
    /// Output format.
    pub format: DepsFormat,
    /// `--define 'NAME VALUE'` arguments, in order.
    pub defines: Vec<String>,
    /// `--load FILE` macro files, in order.
    pub loads: Vec<PathBuf>,
    /// `--arch ARCH`.
    pub arch: Option<String>,
    /// `--buildconfig FILE`: read the spec as OBS's scheduler does.
    pub buildconfig: Option<PathBuf>,
}

/// The JSON shape of one file's dependencies (DESIGN §4.2).
#[derive(Debug, Serialize)]
pub struct FileDeps<'a> {
    /// The file as given.
    pub file: String,
    /// Its dependencies in file order.
    pub deps: Vec<Dependency<'a>>,
}

/// Builds the initial macro table from `--load` files then `--define`s
/// (rpm applies command-line defines after loaded files).
pub fn macro_table(defines: &[String], loads: &[PathBuf]) -> Result<MacroTable, Error> {
    spec_macros(defines, loads, None, None)
}

/// The macros a spec is read with. Without a build configuration: rpm's
/// core macros, the `--load` files, what rpm on `--arch` defines, then the
/// `--define`s (so they win). With `--buildconfig FILE`: what OBS's
/// scheduler sees ([`rpmspec::buildconfig`], `_target_cpu` from `--arch`,
/// default `x86_64`), then the `--load` files and `--define`s.
pub fn spec_macros(
    defines: &[String],
    loads: &[PathBuf],
    arch: Option<&str>,
    buildconfig: Option<&Path>,
) -> Result<MacroTable, Error> {
    let mut table = match buildconfig {
        Some(path) => {
            let text = read_file(path)?;
            rpmspec::buildconfig::read(&text, arch.unwrap_or("x86_64")).macros
        }
        None => MacroTable::with_rpm_core(),
    };
    for path in loads {
        let text = read_file(path)?;
        table.load_file_text(&text);
    }
    if let (Some(arch), None) = (arch, buildconfig) {
        table.define_arch(arch);
    }
    for d in defines {
        table
            .define_arg(d)
            .map_err(|e| Error::Invalid(format!("--define: {e}")))?;
    }
    Ok(table)
}

/// Runs `spec deps`: every input is read before anything is printed (a
/// missing file among good ones prints nothing), then the files are parsed,
/// analysed and rendered on every core ([`crate::in_order`]) and written
/// straight to `out` in the order given, each with its warnings, so the
/// output is the same as one file after the other and neither the analyses
/// nor the output are held whole.
pub fn deps(opts: &DepsOptions, out: &mut dyn Write, report: &Reporter) -> Result<(), Error> {
    let table = spec_macros(
        &opts.defines,
        &opts.loads,
        opts.arch.as_deref(),
        opts.buildconfig.as_deref(),
    )?;
    let workers = in_order::workers_for(opts.files.len());
    let mut sources = Vec::with_capacity(opts.files.len());
    in_order::map_in_order(
        &opts.files,
        workers,
        |p| read_file(p),
        |_, bytes| {
            sources.push(bytes?);
            Ok::<_, Error>(())
        },
    )?;
    let jobs: Vec<_> = opts.files.iter().zip(sources).collect();
    let several = jobs.len() != 1;
    let mut written = 0usize;
    in_order::map_in_order(
        &jobs,
        workers,
        |(path, bytes)| {
            let file = rpmspec::parse(bytes);
            let analysis = rpmspec::dependencies(&file, table.clone());
            drop(file);
            let result = FileDeps {
                file: path.display().to_string(),
                deps: analysis.deps,
            };
            (render(opts.format, several, &result), analysis.warnings)
        },
        |(path, _), (rendered, warnings)| {
            for w in &warnings {
                report.warning(Some(&format!("{}:{}", path.display(), w.line)), &w.message);
            }
            if opts.format == DepsFormat::Json && several {
                out.write_all(if written == 0 { b"[\n" } else { b",\n" })
                    .map_err(Error::stdout)?;
            }
            written += 1;
            rendered
                .and_then(|bytes| out.write_all(&bytes))
                .map_err(Error::stdout)
        },
    )?;
    if opts.format == DepsFormat::Json && several {
        out.write_all(if written == 0 { b"[]\n" } else { b"\n]\n" })
            .map_err(Error::stdout)?;
    }
    Ok(())
}

/// Renders one file's `spec deps` output, byte for byte what serde_json's
/// pretty printer makes of the file's object (alone, or as an element of
/// the list of several files, without the separator before it) or its text
/// lines. The whole file goes into one buffer, written with one call: the
/// pretty printer and the text lines write many small pieces, and each
/// through `dyn Write` would cost more than the rendering itself.
fn render(format: DepsFormat, several: bool, r: &FileDeps) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(1 << 14);
    match format {
        DepsFormat::Json if several => {
            // serde_json prints an array element as two spaces of indent
            // and the element indented one level: a one-element array is
            // exactly that with `[\n` before and `\n]` after.
            serde_json::to_writer_pretty(&mut buf, std::slice::from_ref(r))?;
            buf.truncate(buf.len().saturating_sub(2));
            buf.drain(..2.min(buf.len()));
        }
        DepsFormat::Json => {
            serde_json::to_writer_pretty(&mut buf, r)?;
            buf.push(b'\n');
        }
        DepsFormat::Text => {
            for d in r.deps.iter().filter(|d| d.active != Some(false)) {
                write_text_lines(&mut buf, &r.file, d);
            }
        }
    }
    Ok(buf)
}

/// Appends `FILE:LINE: [PACKAGE] TAG[(QUALS)]: NAME [OP EVR]` lines to
/// `buf`, one per expanded dependency (the text as written when a macro is
/// unknown), each ended by a newline, without building a string per line.
fn write_text_lines(buf: &mut Vec<u8>, file: &str, d: &Dependency) {
    let head_start = buf.len();
    buf.extend_from_slice(file.as_bytes());
    buf.push(b':');
    push_u32(buf, d.line);
    buf.extend_from_slice(b": [");
    buf.extend_from_slice(d.package.as_bytes());
    buf.extend_from_slice(b"] ");
    buf.extend_from_slice(d.tag.as_str().as_bytes());
    if !d.qualifiers.is_empty() {
        buf.push(b'(');
        for (i, q) in d.qualifiers.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(q.as_bytes());
        }
        buf.push(b')');
    }
    let head_end = buf.len();
    let line = |buf: &mut Vec<u8>, name: &str, op: Option<Op>, evr: Option<&str>, first: bool| {
        if !first {
            buf.extend_from_within(head_start..head_end);
        }
        buf.extend_from_slice(b": ");
        push_one_line(buf, name);
        if let (Some(op), Some(evr)) = (op, evr) {
            buf.push(b' ');
            buf.extend_from_slice(op.as_str().as_bytes());
            buf.push(b' ');
            push_one_line(buf, evr);
        }
        buf.push(b'\n');
    };
    match &d.expanded {
        Some(e) => {
            let all = e.as_slice();
            if all.is_empty() {
                // No line at all: take the head back.
                buf.truncate(head_start);
            }
            for (i, x) in all.iter().enumerate() {
                line(buf, &x.name, x.op, x.evr.as_deref(), i == 0);
            }
        }
        None => line(buf, &d.name, d.op, d.evr.as_deref(), true),
    }
}

/// Appends the decimal digits of `n`.
fn push_u32(buf: &mut Vec<u8>, n: u32) {
    let mut digits = [0u8; 10];
    let mut i = digits.len();
    let mut n = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[i..]);
}

/// Appends `s` on one line: a dependency joined over several physical
/// lines has its runs of whitespace printed as one space.
fn push_one_line(buf: &mut Vec<u8>, s: &str) {
    if s.contains('\n') {
        for (i, w) in s.split_whitespace().enumerate() {
            if i > 0 {
                buf.push(b' ');
            }
            buf.extend_from_slice(w.as_bytes());
        }
    } else {
        buf.extend_from_slice(s.as_bytes());
    }
}

/// Runs `spec reprint`.
pub fn reprint(path: &Path, out: &mut dyn Write) -> Result<(), Error> {
    let bytes = read_file(path)?;
    let file = rpmspec::parse(&bytes);
    out.write_all(&file.reprint())
        .and_then(|_| out.flush())
        .map_err(Error::stdout)
}

/// What `spec edit` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct EditOptions {
    /// The spec file.
    pub file: PathBuf,
    /// New content of the BuildRequires block.
    pub buildrequires: Option<String>,
    /// New content of the Requires block.
    pub requires: Option<String>,
    /// New content of the Provides block.
    pub provides: Option<String>,
    /// The package whose Requires block is edited (default: the main one).
    pub package: Option<String>,
    /// Write nothing; exit 1 when the file would change.
    pub check: bool,
    /// Print a unified diff of the change.
    pub diff: bool,
    /// `--define` arguments (for package names).
    pub defines: Vec<String>,
    /// `--load` macro files.
    pub loads: Vec<PathBuf>,
    /// `--arch ARCH`.
    pub arch: Option<String>,
}

/// Runs `spec edit`; returns the exit code (0, or 1 for `--check` with changes).
pub fn edit(opts: &EditOptions, out: &mut dyn Write, report: &Reporter) -> Result<u8, Error> {
    use crate::rpmspec::edit::{self as block, BlockKind, Placement};
    let name = opts.file.display().to_string();
    let invalid = |e: block::EditError| Error::Invalid(format!("{name}:{e}"));
    let arg = |flag: &str, v: &Option<String>| -> Result<Option<Vec<String>>, Error> {
        v.as_deref()
            .map(block::parse_dependency_arg)
            .transpose()
            .map_err(|e| Error::Invalid(format!("{flag}: {e}")))
    };
    // Every input is read and checked before anything is computed.
    let build = arg("--buildrequires", &opts.buildrequires)?;
    let run = arg("--requires", &opts.requires)?;
    let provides = arg("--provides", &opts.provides)?;
    let table = spec_macros(&opts.defines, &opts.loads, opts.arch.as_deref(), None)?;
    let original = read_file(&opts.file)?;
    let file = rpmspec::parse(&original);
    block::managed_blocks(&file).map_err(invalid)?;
    let names = rpmspec::dependencies(&file, table.clone()).packages;
    let section = match &opts.package {
        Some(p) => block::find_package(&file, p, &names)
            .map_err(|e| Error::Invalid(format!("{name}: {e}")))?,
        None => None,
    };

    let mut text = original.clone();
    let mut notes = Vec::new();
    for (kind, deps) in [
        (BlockKind::BuildRequires, &build),
        (BlockKind::Requires, &run),
        (BlockKind::Provides, &provides),
    ] {
        let Some(deps) = deps else {
            continue;
        };
        let file = rpmspec::parse(&text);
        // Line ids shift with each edit; find the package again by name.
        let section = match (&opts.package, section) {
            (Some(p), Some(_)) => {
                let names = rpmspec::dependencies(&file, table.clone()).packages;
                block::find_package(&file, p, &names)
                    .map_err(|e| Error::Invalid(format!("{name}: {e}")))?
            }
            _ => None,
        };
        let (new, placement) = block::set_block(&file, kind, section, deps).map_err(invalid)?;
        if let Placement::Inserted { after, reason } = placement {
            notes.push(format!(
                "{name}: inserted '{}' after line {after} ({reason})",
                kind.opener()
            ));
        }
        text = new;
    }
    let changed = text != original;
    if opts.diff && changed {
        out.write_all(crate::diff::unified(&name, &original, &text).as_bytes())
            .map_err(Error::stdout)?;
    }
    if opts.check {
        return Ok(u8::from(changed));
    }
    if changed {
        crate::atomic_write::replace_file(&opts.file, &text)?;
        for n in notes {
            report.note(&n);
        }
    }
    Ok(0)
}
