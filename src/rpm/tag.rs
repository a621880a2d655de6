//! Header tag numbers and data types, as rpm's `rpmtag.h` numbers them.

/// `RPMTAG_NAME`.
pub const NAME: u32 = 1000;
/// `RPMTAG_VERSION`.
pub const VERSION: u32 = 1001;
/// `RPMTAG_RELEASE`.
pub const RELEASE: u32 = 1002;
/// `RPMTAG_EPOCH`.
pub const EPOCH: u32 = 1003;
/// `RPMTAG_BUILDTIME`.
pub const BUILDTIME: u32 = 1006;
/// `RPMTAG_VENDOR`.
pub const VENDOR: u32 = 1011;
/// `RPMTAG_LICENSE`.
pub const LICENSE: u32 = 1014;
/// `RPMTAG_ARCH`.
pub const ARCH: u32 = 1022;
/// `RPMTAG_FILEMODES`.
pub const FILEMODES: u32 = 1030;
/// `RPMTAG_FILEMTIMES`.
pub const FILEMTIMES: u32 = 1034;
/// `RPMTAG_FILELINKTOS`.
pub const FILELINKTOS: u32 = 1036;
/// `RPMTAG_FILEFLAGS`.
pub const FILEFLAGS: u32 = 1037;
/// `RPMTAG_SOURCERPM`.
pub const SOURCERPM: u32 = 1044;
/// `RPMTAG_PROVIDENAME`.
pub const PROVIDENAME: u32 = 1047;
/// `RPMTAG_REQUIREFLAGS`.
pub const REQUIREFLAGS: u32 = 1048;
/// `RPMTAG_REQUIRENAME`.
pub const REQUIRENAME: u32 = 1049;
/// `RPMTAG_REQUIREVERSION`.
pub const REQUIREVERSION: u32 = 1050;
/// `RPMTAG_FILEDEVICES`.
pub const FILEDEVICES: u32 = 1095;
/// `RPMTAG_FILEINODES`.
pub const FILEINODES: u32 = 1096;
/// `RPMTAG_PROVIDEFLAGS`.
pub const PROVIDEFLAGS: u32 = 1112;
/// `RPMTAG_PROVIDEVERSION`.
pub const PROVIDEVERSION: u32 = 1113;
/// `RPMTAG_DIRINDEXES`.
pub const DIRINDEXES: u32 = 1116;
/// `RPMTAG_BASENAMES`.
pub const BASENAMES: u32 = 1117;
/// `RPMTAG_DIRNAMES`.
pub const DIRNAMES: u32 = 1118;
/// `RPMTAG_DISTURL`.
pub const DISTURL: u32 = 1123;
/// `RPMTAG_PAYLOADFORMAT`.
pub const PAYLOADFORMAT: u32 = 1124;
/// `RPMTAG_PAYLOADCOMPRESSOR`.
pub const PAYLOADCOMPRESSOR: u32 = 1125;
/// `RPMTAG_LONGFILESIZES`.
pub const LONGFILESIZES: u32 = 5008;

/// `RPMFILE_GHOST`: listed in the header, never in the payload.
pub const FILE_GHOST: u32 = 1 << 6;

/// `RPM_INT16_TYPE`.
pub const TYPE_INT16: u32 = 3;
/// `RPM_INT32_TYPE`.
pub const TYPE_INT32: u32 = 4;
/// `RPM_INT64_TYPE`.
pub const TYPE_INT64: u32 = 5;
/// `RPM_STRING_TYPE`.
pub const TYPE_STRING: u32 = 6;
/// `RPM_STRING_ARRAY_TYPE`.
pub const TYPE_STRING_ARRAY: u32 = 8;
/// `RPM_I18NSTRING_TYPE`.
pub const TYPE_I18NSTRING: u32 = 9;
