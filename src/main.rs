//! The venvjail binary: parse arguments, call the library, map the result to
//! an exit code (0 success, 1 changes needed, 2 error; never 3).

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use venvjail::cli;
use venvjail::cli::{Cli, Color, Command, Format, LintFormat, RepositoryArgs, SpecCommand};
use venvjail::commands;
use venvjail::commands::include::IncludeOptions;
use venvjail::commands::load_list;
use venvjail::commands::requires::RequiresOptions;
use venvjail::commands::service::ServiceOptions;
use venvjail::commands::spec::{self, DepsFormat, DepsOptions, EditOptions};
use venvjail::commands::verify::{self, VerifyOptions};
use venvjail::commands::{binary, exclude, include, lint, requires, ObsTarget};
use venvjail::create::bundle::{CreateOptions, MatchOn};
use venvjail::create::extract::ConflictPolicy;
use venvjail::create::sbom::{self, SbomOptions};
use venvjail::lint::report::ReportFormat;
use venvjail::output::{ColorChoice, Reporter};
use venvjail::rules::Selection;
use venvjail::service::{self, Params};
use venvjail::Error;

fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(drop_empty_service_values(std::env::args_os().collect())) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help and --version.
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line: OBS keeps only the last line of a failed service.
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("venvjail: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let color = match cli.color {
        Color::Auto => ColorChoice::Auto,
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
    };
    let report = Reporter::new(color, cli.quiet, cli.verbose);
    match run(cli, &report) {
        Ok(code) => ExitCode::from(code),
        Err(Error::Write { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS
        }
        Err(e) => {
            report.error(&e.to_string());
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
        }
    }
}

fn run(cli: Cli, report: &Reporter) -> Result<u8, Error> {
    if let Some(dir) = &cli.directory {
        std::env::set_current_dir(dir).map_err(|source| Error::ChangeDir {
            path: dir.clone(),
            source,
        })?;
    }
    let cli_globals = Globals {
        timeout: Duration::from_secs(cli.timeout.max(1)),
        verbose: cli.verbose,
    };
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let mut code = 0;
    match cli.command {
        Command::Spec(SpecCommand::Deps(args)) => {
            let opts = DepsOptions {
                files: args.files,
                format: match args.format {
                    Format::Text => DepsFormat::Text,
                    Format::Json => DepsFormat::Json,
                },
                defines: args.define,
                loads: args.load,
                arch: args.arch,
                buildconfig: args.buildconfig,
            };
            spec::deps(&opts, &mut out, report)?;
        }
        Command::Spec(SpecCommand::Reprint { file }) => spec::reprint(&file, &mut out)?,
        Command::Spec(SpecCommand::Edit(args)) => {
            let opts = EditOptions {
                file: args.file,
                buildrequires: args.buildrequires,
                requires: args.requires,
                provides: args.provides,
                package: args.package,
                check: args.check,
                diff: args.diff,
                defines: args.define,
                loads: args.load,
                arch: args.arch,
            };
            code = spec::edit(&opts, &mut out, report)?;
        }
        Command::Include(args) => {
            let r = args.repository;
            let target = repository_target(&cli_globals, &r);
            let opts = IncludeOptions {
                all: r.all,
                exclude: r.exclude,
                output: r.output,
                requirements: args.from_requirements,
                flavour: args.flavour,
                snapshot: args.snapshot,
            };
            include::run(&target, &opts, &mut out, report)?;
        }
        Command::Binary(args) => {
            let r = args.repository;
            let target = repository_target(&cli_globals, &r);
            binary::run(
                &target,
                &args.package,
                r.all,
                &r.exclude,
                r.output.as_deref(),
                &mut out,
                report,
            )?;
        }
        Command::Requires(args) => {
            let target = obs_target(
                &cli_globals,
                args.apiurl,
                args.project,
                args.repo,
                args.arch.clone().unwrap_or_else(|| "x86_64".to_owned()),
            );
            let opts = RequiresOptions {
                package: args.package,
                include: args.include,
                exclude: args.exclude,
                spec: args.spec,
                defines: args.define,
                arch: args.arch,
                output: args.output,
            };
            requires::run(&target, &opts, &mut out, report)?;
        }
        Command::Service(args) => {
            let bool_param = |name: &str, v: Option<String>| {
                v.map(|v| service::parse_bool(name, &v)).transpose()
            };
            let opts = ServiceOptions {
                params: Params {
                    apiurl: args.apiurl,
                    project: args.project,
                    repository: args.repository,
                    arch: args.arch,
                    packages: args.package,
                    spec: args.spec,
                    include: args.include,
                    exclude: args.exclude,
                    snapshot: args.snapshot,
                    offline: bool_param("offline", args.offline)?,
                    check: bool_param("check", args.check)?,
                    requirements: args.requirements,
                    flavour: args.flavour,
                    provides: bool_param("provides", args.provides)?,
                },
                outdir: args.outdir,
                timeout: cli_globals.timeout,
                verbose: cli_globals.verbose,
            };
            code = commands::service::run(&opts, &mut out, report)?;
        }
        Command::Create(args) => {
            if args.legacy_no_site_packages {
                report.warning(
                    None,
                    "-s/--system-site-packages turns system site packages OFF, as in venvjail.py; say --no-system-site-packages",
                );
            }
            let opts = CreateOptions {
                python: venvjail::create::venv::interpreter(args.python_version.as_deref()),
                system_site_packages: !(args.legacy_no_site_packages
                    || args.no_system_site_packages),
                repo: args.repo,
                selection: Selection {
                    include: load_list(&args.include, "every package is included", report)?,
                    exclude: load_list(&args.exclude, "no package is excluded", report)?,
                },
                remove: load_list(&args.remove, "nothing is removed", report)?,
                track: args.track,
                sbom: match args.sbom {
                    Some(path) => Some(SbomOptions {
                        path,
                        source_date_epoch: sbom::source_date_epoch(
                            std::env::var_os("SOURCE_DATE_EPOCH").as_deref(),
                        )?,
                        name: args.sbom_name,
                        version: args.sbom_version,
                        supplier: args.sbom_supplier,
                    }),
                    None => None,
                },
                match_on: match args.match_on {
                    cli::MatchOn::Name => MatchOn::Name,
                    cli::MatchOn::Filename => MatchOn::FileName,
                },
                conflicts: match args.conflicts {
                    cli::Conflicts::Warn => ConflictPolicy::Warn,
                    cli::Conflicts::Error => ConflictPolicy::Error,
                },
                force: args.force,
                skip_bad: args.skip_bad,
                target: venvjail::create::relocate::final_location(&args.relocate, &args.dest_dir),
                no_relocate_shebang: args.no_relocate_shebang_list,
                fix_links: args.fix_links,
                python_version: args.python_version,
                strict: args.strict,
                dest: args.dest_dir,
            };
            code = commands::create::run(&opts, &mut out, report)?;
        }
        Command::Lint(args) => {
            let table = match &args.buildconfig {
                Some(path) => Some(spec::spec_macros(
                    &[],
                    &[],
                    args.arch.as_deref(),
                    Some(path),
                )?),
                None => None,
            };
            code = lint::run(
                &args.dir,
                table,
                lint_format(args.format),
                args.strict,
                &mut out,
                report,
            )?;
        }
        Command::Verify(args) => {
            let opts = VerifyOptions {
                dest: args.dest,
                build_root: args.build_root,
                json: args.format == Format::Json,
            };
            code = verify::run(&opts, &mut out)?;
        }
        Command::Exclude(args) => {
            exclude::run(args.compat, args.output.as_deref(), &mut out, report)?;
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "venvjail", &mut out);
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(Error::stdout)?;
        }
    }
    out.flush().map_err(Error::stdout)?;
    Ok(code)
}

/// The global flags an OBS command needs.
struct Globals {
    timeout: Duration,
    verbose: u8,
}

/// The library's name for a `lint --format` value.
fn lint_format(format: LintFormat) -> ReportFormat {
    match format {
        LintFormat::Text => ReportFormat::Text,
        LintFormat::Json => ReportFormat::Json,
        LintFormat::Github => ReportFormat::Github,
        LintFormat::Sarif => ReportFormat::Sarif,
        LintFormat::Gitlab => ReportFormat::Gitlab,
    }
}

fn repository_target(g: &Globals, r: &RepositoryArgs) -> ObsTarget {
    obs_target(
        g,
        r.apiurl.clone(),
        r.project.clone(),
        r.repo.clone(),
        r.arch.clone(),
    )
}

fn obs_target(
    g: &Globals,
    apiurl: Option<String>,
    project: Option<String>,
    repository: String,
    arch: String,
) -> ObsTarget {
    ObsTarget {
        apiurl,
        project,
        repository,
        arch,
        timeout: g.timeout,
        verbose: g.verbose,
    }
}

/// osc passes every `<param>` with a value, an empty one too; OBS drops
/// empty ones. Both must mean the same, so `--name ''` after `service` is
/// removed before parsing.
fn drop_empty_service_values(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let Some(start) = args.iter().position(|a| a == "service") else {
        return args;
    };
    let mut out: Vec<std::ffi::OsString> = args[..=start].to_vec();
    let mut i = start + 1;
    while i < args.len() {
        let a = args[i].to_string_lossy();
        if a.starts_with("--") && a.ends_with('=') && a.len() > 3 {
            i += 1;
            continue;
        }
        if a.starts_with("--") && !a.contains('=') && args.get(i + 1).is_some_and(|v| v.is_empty())
        {
            i += 2;
            continue;
        }
        out.push(args[i].clone());
        i += 1;
    }
    out
}
