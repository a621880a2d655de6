//! The command line, as clap derive definitions only.
//!
//! Global flags come before the subcommand and are not propagated, so a
//! subcommand may reuse a short flag with its original meaning (venvjail.py
//! compatibility: `create -v` is `--version`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Build relocatable Python venvs from distribution packages in OBS, and keep
/// the packaging that drives them in sync.
#[derive(Debug, Parser)]
#[command(
    name = "venvjail",
    version,
    propagate_version = false,
    max_term_width = 100
)]
pub struct Cli {
    /// Run as if started in DIR.
    #[arg(short = 'C', value_name = "DIR")]
    pub directory: Option<PathBuf>,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    pub color: Color,

    /// Print only errors.
    #[arg(short, long)]
    pub quiet: bool,

    /// Say more (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Timeout for OBS requests, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub timeout: u64,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Color {
    /// Colour when stderr is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the venv: extract the selected packages of the repository into DEST_DIR.
    ///
    /// Runs `pythonX.Y -m venv --copies --without-pip` with the real interpreter,
    /// then extracts every selected *.rpm and *.deb of --repo (selected by the
    /// package NAME through include-rpm / exclude-rpm), removes what remove-file
    /// lists, relocates the venv to where it will live (RELOCATE/DEST_DIR:
    /// `-l /usr/lib venv-salt-minion` gives /usr/lib/venv-salt-minion; the
    /// default /opt/venv with `venv` gives /opt/venv/venv; an absolute
    /// DEST_DIR is used as is), reports the files that still hold the build
    /// path (--strict: exit 2), and writes DEST_DIR/packages.log and the
    /// track file.
    Create(CreateArgs),
    /// Read, print and edit spec files.
    #[command(subcommand)]
    Spec(SpecCommand),
    /// Print an include-rpm list of a repository's binaries (or update the block of a file).
    Include(IncludeArgs),
    /// List the binary packages built from a source package.
    Binary(BinaryArgs),
    /// List the Requires of a source package that will not be inside the venv.
    Requires(RequiresArgs),
    /// Run as the OBS source service: regenerate include-rpm, exclude-rpm and the spec's blocks.
    ///
    /// Called by osc and OBS as `venvjail service --param value … --outdir DIR`
    /// (the wrapper /usr/lib/obs/service/venvjail). Every parameter takes a
    /// value; an empty value is the same as an absent one; parameters not
    /// given are taken from the venvjail entry of ./_service.
    Service(ServiceArgs),
    /// Print the default exclude-rpm list (or update the block of a file).
    Exclude(ExcludeArgs),
    /// Check a package directory offline, for CI (exit 0 clean, 1 findings, 2 error).
    Lint(LintArgs),
    /// Find the files of a venv that still hold its build-time path (exit 0 clean, 1 leftovers, 2 error).
    ///
    /// Reads every regular file under DEST, text and binary (ELF, .pyc…), and
    /// every symlink's target, without following symlinks. Prints
    /// `PATH: N occurrence(s)` per file (PATH relative to DEST; a symlink adds
    /// ` (symlink target)`), sorted, then the count on the last line. The
    /// build root is also searched for in its canonical form when it is
    /// reached through a symlink.
    Verify(VerifyArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff).
    Man,
}

/// `spec` subcommands.
#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// List the dependencies of spec files, with conditions and expansion.
    ///
    /// Text output lists what rpm would see with the given macros: macros
    /// expanded where known (the text as written otherwise), dependencies in
    /// branches known to be false left out. JSON lists every dependency with
    /// its conditions, expansion and whether it is active.
    Deps(SpecDepsArgs),
    /// Replace or insert the managed BuildRequires/Requires/Provides blocks.
    Edit(SpecEditArgs),
    /// Print a spec rebuilt from its syntax tree (byte-identical).
    Reprint {
        /// The spec file.
        file: PathBuf,
    },
}

/// Arguments of `spec deps`.
#[derive(Debug, Args)]
pub struct SpecDepsArgs {
    /// The spec files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Define a macro: 'NAME VALUE' (repeatable).
    #[arg(long, short = 'D', value_name = "'NAME VALUE'")]
    pub define: Vec<String>,
    /// Load an rpm macro file, as `rpmspec --load` (repeatable).
    #[arg(long, value_name = "FILE")]
    pub load: Vec<PathBuf>,
    /// Read the spec as rpm on ARCH does (defines _target_cpu, _arch, _target_os; --define wins).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Read the spec as OBS's scheduler does with this build configuration (`osc buildconfig P R`).
    #[arg(long, value_name = "FILE")]
    pub buildconfig: Option<PathBuf>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Lines for people.
    Text,
    /// JSON for machines.
    Json,
}

/// Output formats of `lint`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Lines for people.
    Text,
    /// JSON for machines.
    Json,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// SARIF 2.1.0 (code scanning).
    Sarif,
    /// GitLab Code Quality JSON.
    Gitlab,
}

/// Arguments of `spec edit`.
#[derive(Debug, Args)]
pub struct SpecEditArgs {
    /// The spec file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Dependencies of the '# SECTION venvjail BuildRequires' block.
    #[arg(long, value_name = "DEPS")]
    pub buildrequires: Option<String>,
    /// Dependencies of the '# SECTION venvjail Requires' block.
    #[arg(long, value_name = "DEPS")]
    pub requires: Option<String>,
    /// Capabilities of the '# SECTION venvjail Provides' block.
    #[arg(long, value_name = "DEPS")]
    pub provides: Option<String>,
    /// The package whose Requires/Provides block is edited (full name or %package argument).
    #[arg(long, value_name = "NAME")]
    pub package: Option<String>,
    /// Write nothing; exit 1 when the file would change.
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff of the change.
    #[arg(long)]
    pub diff: bool,
    /// Define a macro: 'NAME VALUE' (repeatable; for package names).
    #[arg(long, short = 'D', value_name = "'NAME VALUE'")]
    pub define: Vec<String>,
    /// Load an rpm macro file (repeatable).
    #[arg(long, value_name = "FILE")]
    pub load: Vec<PathBuf>,
    /// Read the spec as rpm on ARCH does (defines _target_cpu, _arch, _target_os; --define wins).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
}

/// Arguments of `exclude`.
#[derive(Debug, Args)]
pub struct ExcludeArgs {
    /// Print venvjail.py's original list byte for byte.
    #[arg(long, conflicts_with = "output")]
    pub compat: bool,
    /// Update the venvjail section of FILE instead of printing.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The package directory.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// Count warnings as findings (exit 1).
    #[arg(long)]
    pub strict: bool,
    /// Read the specs as OBS's scheduler does with this build configuration (`osc buildconfig P R`).
    #[arg(long, value_name = "FILE")]
    pub buildconfig: Option<PathBuf>,
    /// The architecture of --buildconfig (default: x86_64).
    #[arg(long, value_name = "ARCH", requires = "buildconfig")]
    pub arch: Option<String>,
}

/// Arguments of `verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The venv directory.
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
    /// The venv's build-time path, the string that must not be left (e.g. DEST's absolute path).
    #[arg(long, value_name = "PATH")]
    pub build_root: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Where to look in OBS (shared by `include` and `binary`).
#[derive(Debug, Args)]
pub struct RepositoryArgs {
    /// OBS API URL or oscrc alias (default: OSC_APIURL, oscrc, api.opensuse.org).
    #[arg(short = 'A', long, value_name = "URL")]
    pub apiurl: Option<String>,
    /// Project name (default: OBS_SERVICE_PROJECT).
    #[arg(short, long, value_name = "PROJECT")]
    pub project: Option<String>,
    /// Repository name.
    #[arg(
        short,
        long = "repo",
        value_name = "REPOSITORY",
        default_value = "standard"
    )]
    pub repo: String,
    /// Architecture.
    #[arg(short, long, value_name = "ARCH", default_value = "x86_64")]
    pub arch: String,
    /// List every package, ignoring the exclude list.
    #[arg(long)]
    pub all: bool,
    /// File with packages to exclude.
    #[arg(short = 'x', long, value_name = "FILE", default_value = "exclude-rpm")]
    pub exclude: PathBuf,
    /// Update the venvjail section of FILE instead of printing.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `include`.
#[derive(Debug, Args)]
pub struct IncludeArgs {
    /// Where to look.
    #[command(flatten)]
    pub repository: RepositoryArgs,
    /// List the binaries the requirements of this pip requirements file map to, not the whole repository.
    #[arg(long, value_name = "FILE")]
    pub from_requirements: Option<PathBuf>,
    /// The Python flavour the requirements map to (default: the repository's most common python3XX).
    #[arg(long, value_name = "FLAVOUR", requires = "from_requirements")]
    pub flavour: Option<String>,
    /// Read the repository from a venvjail snapshot instead of OBS (no network).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<PathBuf>,
}

/// Arguments of `binary`.
#[derive(Debug, Args)]
pub struct BinaryArgs {
    /// The source package.
    #[arg(value_name = "PACKAGE")]
    pub package: String,
    /// Where to look.
    #[command(flatten)]
    pub repository: RepositoryArgs,
}

/// Arguments of `requires`.
#[derive(Debug, Args)]
pub struct RequiresArgs {
    /// The source package.
    #[arg(value_name = "PACKAGE")]
    pub package: String,
    /// OBS API URL or oscrc alias.
    #[arg(short = 'A', long, value_name = "URL")]
    pub apiurl: Option<String>,
    /// Project name (default: OBS_SERVICE_PROJECT).
    #[arg(short, long, value_name = "PROJECT")]
    pub project: Option<String>,
    /// Repository whose built headers are read.
    #[arg(
        short,
        long = "repo",
        value_name = "REPOSITORY",
        default_value = "standard"
    )]
    pub repo: String,
    /// Architecture whose built headers are read (default x86_64); with
    /// --spec, the spec is read as rpm on ARCH reads it (defines _target_cpu,
    /// _arch, _target_os; --define wins), and left undecided without it.
    #[arg(short, long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// File with the list of packages to install.
    #[arg(short, long, value_name = "FILE", default_value = "include-rpm")]
    pub include: PathBuf,
    /// File with packages to exclude.
    #[arg(short = 'x', long, value_name = "FILE", default_value = "exclude-rpm")]
    pub exclude: PathBuf,
    /// Read this local spec's Requires text instead of the built headers (an approximation).
    #[arg(long, value_name = "FILE")]
    pub spec: Option<PathBuf>,
    /// Define a macro for --spec: 'NAME VALUE' (repeatable).
    #[arg(long, short = 'D', value_name = "'NAME VALUE'")]
    pub define: Vec<String>,
    /// Update the venvjail section of FILE instead of printing.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Parameters of `service` (the names of `obs-service/venvjail.service`).
#[derive(Debug, Args)]
pub struct ServiceArgs {
    /// OBS API URL or oscrc alias (default: OBS_SERVICE_APIURL, oscrc).
    #[arg(long, value_name = "URL")]
    pub apiurl: Option<String>,
    /// Project whose repository is bundled (default: OBS_SERVICE_PROJECT).
    #[arg(long, value_name = "PROJECT")]
    pub project: Option<String>,
    /// Repository name (default: standard).
    #[arg(long, value_name = "REPOSITORY")]
    pub repository: Option<String>,
    /// Architecture (default: x86_64).
    #[arg(long, value_name = "ARCH")]
    pub arch: Option<String>,
    /// Source package whose binaries go into the venv (repeatable).
    #[arg(long, value_name = "PACKAGE")]
    pub package: Vec<String>,
    /// The bundle's spec file (default: the only *.spec in the directory).
    #[arg(long, value_name = "FILE")]
    pub spec: Option<String>,
    /// The include list file (default: include-rpm).
    #[arg(long, value_name = "FILE")]
    pub include: Option<String>,
    /// The exclude list file (default: exclude-rpm).
    #[arg(long, value_name = "FILE")]
    pub exclude: Option<String>,
    /// The snapshot file (default: venvjail.snapshot.xml).
    #[arg(long, value_name = "FILE")]
    pub snapshot: Option<String>,
    /// Use the snapshot only, no network (default: true when OBS_SERVICE_DAEMON=1).
    #[arg(long, value_name = "BOOL", value_parser = ["true", "false"])]
    pub offline: Option<String>,
    /// Print the diffs, write nothing, exit 1 when anything would change.
    #[arg(long, value_name = "BOOL", value_parser = ["true", "false"])]
    pub check: Option<String>,
    /// A pip requirements file: include-rpm lists the binaries its requirements map to, not the whole repository.
    #[arg(long, value_name = "FILE")]
    pub requirements: Option<String>,
    /// The Python flavour the requirements map to (default: the repository's most common python3XX, e.g. python311).
    #[arg(long, value_name = "FLAVOUR")]
    pub flavour: Option<String>,
    /// Write the spec's '# SECTION venvjail Provides' block of bundled(python3dist()) Provides (default: false).
    #[arg(long, value_name = "BOOL", value_parser = ["true", "false"])]
    pub provides: Option<String>,
    /// Where to write the changed files (osc and OBS always pass it).
    #[arg(long, value_name = "DIR")]
    pub outdir: Option<PathBuf>,
}

/// Arguments of `create` (venvjail.py's flags).
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The venv directory.
    #[arg(value_name = "DEST_DIR")]
    pub dest_dir: PathBuf,
    /// venvjail.py's meaning: turns system site packages OFF (they are on by default).
    #[arg(short = 's', long = "system-site-packages")]
    pub legacy_no_site_packages: bool,
    /// Do not give the venv access to the system site packages.
    #[arg(long)]
    pub no_system_site_packages: bool,
    /// Python version of the venv (runs pythonX.Y; default: python3).
    #[arg(short, long, value_name = "X.Y")]
    pub python_version: Option<String>,
    /// Where the venv will live is RELOCATE/DEST_DIR: `-l /usr/lib venv-salt-minion`
    /// relocates to /usr/lib/venv-salt-minion (an absolute DEST_DIR is used as is).
    #[arg(
        short = 'l',
        long,
        value_name = "RELOCATE",
        default_value = "/opt/venv"
    )]
    pub relocate: PathBuf,
    /// Keep the shebang of these files (globs on DEST_DIR/relative/path, `*` crosses `/`).
    #[arg(long, value_name = "GLOB", num_args = 1..)]
    pub no_relocate_shebang_list: Vec<String>,
    /// Also fix absolute and broken links in this directory (relative to DEST_DIR; repeatable).
    #[arg(long, value_name = "DIR")]
    pub fix_links: Vec<PathBuf>,
    /// Directory with the packages.
    #[arg(short, long, value_name = "DIR", default_value = "/.build.binaries")]
    pub repo: PathBuf,
    /// File with the list of packages to install.
    #[arg(short, long, value_name = "FILE", default_value = "include-rpm")]
    pub include: PathBuf,
    /// File with packages to exclude.
    #[arg(
        short,
        long,
        short_alias = 'x',
        value_name = "FILE",
        default_value = "exclude-rpm"
    )]
    pub exclude: PathBuf,
    /// File with paths (regexes, relative to DEST_DIR) to remove after extraction.
    #[arg(short = 'd', long, value_name = "FILE", default_value = "remove-file")]
    pub remove: PathBuf,
    /// Write the L3/maintenance track file here.
    #[arg(short, long, value_name = "FILE")]
    pub track: Option<PathBuf>,
    /// Write an SPDX 2.3 JSON SBOM of the venv here (created from SOURCE_DATE_EPOCH when set).
    #[arg(long, value_name = "FILE")]
    pub sbom: Option<PathBuf>,
    /// The SBOM's name for the venv (default: DEST_DIR's name), e.g. `%{name}`.
    #[arg(long, value_name = "NAME", requires = "sbom")]
    pub sbom_name: Option<String>,
    /// The SBOM's version of the venv, e.g. `%{version}-%{release}` (none by default).
    #[arg(long, value_name = "VERSION", requires = "sbom")]
    pub sbom_version: Option<String>,
    /// The SBOM's supplier of the venv, e.g. `%{vendor}` (default: the Vendor most included RPMs share).
    #[arg(long, value_name = "ORGANIZATION", requires = "sbom")]
    pub sbom_supplier: Option<String>,
    /// Fail (exit 2) when a file of the relocated venv still holds the build path.
    #[arg(long)]
    pub strict: bool,
    /// Accepted for venvjail.py compatibility; unused.
    #[arg(short = 'v', long = "version", value_name = "VERSION")]
    pub package_version: Option<String>,
    /// What the lists match: the package name (default) or venvjail.py's file name.
    #[arg(long = "match", value_enum, default_value_t = MatchOn::Name)]
    pub match_on: MatchOn,
    /// What a path shipped by two packages with different content does.
    #[arg(long, value_enum, default_value_t = Conflicts::Warn)]
    pub conflicts: Conflicts,
    /// Extract into a DEST_DIR that exists and is not empty.
    #[arg(long)]
    pub force: bool,
    /// Skip files named *.rpm/*.deb that are not packages, with a warning.
    #[arg(long)]
    pub skip_bad: bool,
}

/// `--match` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatchOn {
    /// The package name from its header.
    Name,
    /// The package file name (venvjail.py).
    Filename,
}

/// `--conflicts` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Conflicts {
    /// Report; the package later in sorted order wins.
    Warn,
    /// Fail.
    Error,
}
