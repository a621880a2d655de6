//! venvjail's integration tests: one binary, one module per area.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

// The harness serves every module; not each uses all of it.
#[allow(dead_code)]
mod util;

mod corpus;
mod corpus_rules;
mod create_details;
mod descriptor;
mod edit_corpus;
mod exclude;
mod fake_obs;
mod fake_obs_selftest;
mod fake_repo;
mod grammar;
mod large_file;
mod lint;
mod malicious;
mod obs_commands;
mod oracle;
mod osc;
mod package_props;
mod packages;
mod pre_commit;
mod relocation;
mod requirements;
mod requires_block;
mod roundtrip_props;
mod rpm_props;
mod rpmspec_oracle;
mod sbom;
mod service;
mod service_requirements;
mod spec_cli;
mod spec_deps_snapshots;
mod spec_edit;
mod spec_rules;
mod verify;
