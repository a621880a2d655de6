//! The venvjail binary: parse arguments, call the library, map the result to
//! an exit code (0 success, 1 changes needed, 2 error; never 3).

use std::io::{self, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use venvjail::cli::{Cli, Color, Command, Format, SpecCommand};
use venvjail::commands::requires::RequiresOptions;
use venvjail::commands::spec::{self, DepsFormat, DepsOptions, EditOptions};
use venvjail::commands::{binary, exclude, include, lint, requires, ObsTarget};
use venvjail::output::{ColorChoice, Reporter};
use venvjail::Error;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap uses 2 for usage errors and 0 for --help/--version.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
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
            };
            spec::deps(&opts, &mut out, report)?;
        }
        Command::Spec(SpecCommand::Reprint { file }) => spec::reprint(&file, &mut out)?,
        Command::Spec(SpecCommand::Edit(args)) => {
            let opts = EditOptions {
                file: args.file,
                buildrequires: args.buildrequires,
                requires: args.requires,
                package: args.package,
                check: args.check,
                diff: args.diff,
                defines: args.define,
                loads: args.load,
            };
            code = spec::edit(&opts, &mut out, report)?;
        }
        Command::Include(args) => {
            let r = args.repository;
            let target = obs_target(&cli_globals, r.apiurl, r.project, r.repo, r.arch);
            include::run(
                &target,
                r.all,
                &r.exclude,
                r.output.as_deref(),
                &mut out,
                report,
            )?;
        }
        Command::Binary(args) => {
            let r = args.repository;
            let target = obs_target(&cli_globals, r.apiurl, r.project, r.repo, r.arch);
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
                String::new(),
                String::new(),
            );
            let opts = RequiresOptions {
                package: args.package,
                include: args.include,
                exclude: args.exclude,
                spec: args.spec,
                defines: args.define,
                output: args.output,
            };
            requires::run(&target, &opts, &mut out, report)?;
        }
        Command::Lint(args) => {
            code = lint::run(
                &args.dir,
                args.format == Format::Json,
                args.strict,
                &mut out,
                report,
            )?;
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
                .map_err(|source| Error::Write {
                    path: "<stdout>".into(),
                    source,
                })?;
        }
    }
    out.flush().map_err(|source| Error::Write {
        path: "<stdout>".into(),
        source,
    })?;
    Ok(code)
}

/// The global flags an OBS command needs.
struct Globals {
    timeout: Duration,
    verbose: u8,
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
