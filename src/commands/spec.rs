//! `spec deps` and `spec reprint`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{read_file, Error};
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
pub struct FileDeps {
    /// The file as given.
    pub file: String,
    /// Its dependencies in file order.
    pub deps: Vec<Dependency>,
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

/// Runs `spec deps`: every input is read before anything is printed.
pub fn deps(opts: &DepsOptions, out: &mut dyn Write, report: &Reporter) -> Result<(), Error> {
    let table = spec_macros(
        &opts.defines,
        &opts.loads,
        opts.arch.as_deref(),
        opts.buildconfig.as_deref(),
    )?;
    let sources = opts
        .files
        .iter()
        .map(|p| read_file(p).map(|b| (p, b)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut results = Vec::with_capacity(sources.len());
    for (path, bytes) in &sources {
        let file = rpmspec::parse(bytes);
        let analysis = rpmspec::dependencies(&file, table.clone());
        for w in &analysis.warnings {
            report.warning(Some(&format!("{}:{}", path.display(), w.line)), &w.message);
        }
        results.push(FileDeps {
            file: path.display().to_string(),
            deps: analysis.deps,
        });
    }
    write_deps(&results, opts.format, out).map_err(Error::stdout)
}

fn write_deps(
    results: &[FileDeps],
    format: DepsFormat,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    // Rendered into memory and written at once: serde_json's pretty
    // printer and the text lines write many small pieces, and each through
    // `dyn Write` and stdout's buffer cost more than the rendering itself.
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    match format {
        DepsFormat::Json => {
            if let [one] = results {
                serde_json::to_writer_pretty(&mut buf, one)?;
            } else {
                serde_json::to_writer_pretty(&mut buf, results)?;
            }
            buf.push(b'\n');
        }
        DepsFormat::Text => {
            for r in results {
                for d in r.deps.iter().filter(|d| d.active != Some(false)) {
                    for line in text_lines(&r.file, d) {
                        buf.extend_from_slice(line.as_bytes());
                        buf.push(b'\n');
                    }
                }
            }
        }
    }
    out.write_all(&buf)
}

/// `FILE:LINE: [PACKAGE] TAG[(QUALS)]: NAME [OP EVR]`, one line per
/// expanded dependency; the text as written when a macro is unknown.
pub fn text_lines(file: &str, d: &Dependency) -> Vec<String> {
    let mut head = format!("{file}:{}: [{}] {}", d.line, d.package, d.tag.as_str());
    if !d.qualifiers.is_empty() {
        head.push('(');
        head.push_str(&d.qualifiers.join(","));
        head.push(')');
    }
    let render = |name: &str, op: Option<Op>, evr: Option<&str>| {
        let mut s = format!("{head}: {}", one_line(name));
        if let (Some(op), Some(evr)) = (op, evr) {
            s.push_str(&format!(" {} {}", op.as_str(), one_line(evr)));
        }
        s
    };
    match &d.expanded {
        Some(e) => e
            .as_slice()
            .iter()
            .map(|x| render(&x.name, x.op, x.evr.as_deref()))
            .collect(),
        None => vec![render(&d.name, d.op, d.evr.as_deref())],
    }
}

/// A dependency joined over several physical lines, printed on one.
fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\n') {
        s.split_whitespace().collect::<Vec<_>>().join(" ").into()
    } else {
        s.into()
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
