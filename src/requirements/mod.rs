//! pip requirements files (`include --from-requirements`, the service's
//! `requirements` parameter): reading them ([`file`]) and mapping each
//! requirement to a binary of the repository, with version checks
//! ([`mapping`]).

pub mod file;
pub mod mapping;

pub use file::{read, Entry, LineMessage, Location, RequirementsError, RequirementsSet};
pub use mapping::{resolve, MappingError, Repository, Resolution};
