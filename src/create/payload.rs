//! Payload decompression, streamed: gzip, bzip2, xz, lzma, zstd, or none.
//! zstd uses the native libzstd (the `zstd` crate): the pure-Rust decoder
//! was half of the extraction time of zstd payloads.

use std::io::{BufRead, Read};

use super::entry::PackageError;

/// A payload compressor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compressor {
    /// No compression.
    None,
    /// gzip (deflate).
    Gzip,
    /// bzip2.
    Bzip2,
    /// xz.
    Xz,
    /// The legacy `.lzma` format.
    Lzma,
    /// zstd.
    Zstd,
}

impl Compressor {
    /// `PAYLOADCOMPRESSOR` as rpm writes it.
    pub fn from_rpm(name: &str) -> Option<Self> {
        Some(match name {
            "gzip" => Self::Gzip,
            "bzip2" => Self::Bzip2,
            "xz" => Self::Xz,
            "lzma" => Self::Lzma,
            "zstd" => Self::Zstd,
            "identity" | "none" => Self::None,
            _ => return None,
        })
    }

    /// The compressor of a deb member by its name (`data.tar.xz`).
    pub fn from_member(name: &str) -> Option<Self> {
        Some(match name.strip_prefix("data.tar")? {
            "" => Self::None,
            ".gz" => Self::Gzip,
            ".bz2" => Self::Bzip2,
            ".xz" => Self::Xz,
            ".lzma" => Self::Lzma,
            ".zst" => Self::Zstd,
            _ => return None,
        })
    }
}

/// A reader of the decompressed stream.
pub fn decompressor<'r>(
    package: &str,
    compressor: Compressor,
    r: impl BufRead + 'r,
) -> Result<Box<dyn Read + 'r>, PackageError> {
    Ok(match compressor {
        Compressor::None => Box::new(r),
        Compressor::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
        Compressor::Bzip2 => Box::new(bzip2::bufread::MultiBzDecoder::new(r)),
        Compressor::Xz => Box::new(liblzma::bufread::XzDecoder::new_multi_decoder(r)),
        Compressor::Lzma => {
            let stream = liblzma::stream::Stream::new_lzma_decoder(u64::MAX).map_err(|e| {
                PackageError::Corrupt {
                    package: package.to_owned(),
                    entry: "payload".into(),
                    reason: e.to_string(),
                }
            })?;
            Box::new(liblzma::bufread::XzDecoder::new_stream(r, stream))
        }
        Compressor::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(r).map_err(|e| {
            PackageError::Corrupt {
                package: package.to_owned(),
                entry: "payload".into(),
                reason: format!("zstd: {e}"),
            }
        })?),
    })
}
