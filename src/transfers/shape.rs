//! How a browser sends a file: one form POST, one presigned PUT, or a
//! multipart upload with presigned parts.

use crate::error::{invalid, ErrorCode, Result};
use crate::s3::endpoint::Provider;

const MIB: u64 = 1024 * 1024;

/// S3's limit for a single PUT or POST.
pub const MAX_SINGLE_UPLOAD: u64 = 5 * 1024 * MIB;
/// S3's limit for one object.
pub const MAX_OBJECT_SIZE: u64 = 5 * 1024 * 1024 * MIB;
/// S3's minimum for every part but the last.
pub const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's maximum part size.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// S3's maximum part count.
pub const MAX_PARTS: u64 = 10_000;
/// Part size browsers use unless the file needs larger parts: small enough
/// that a retried part costs little, large enough to keep requests few.
pub const DEFAULT_PART_SIZE: u64 = 16 * MIB;
/// Files above this size go multipart unless the caller sets another threshold.
pub const DEFAULT_MULTIPART_THRESHOLD: u64 = 100 * MIB;

/// The single-request form a provider accepts from browsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadShape {
    /// A presigned POST policy (HTML form upload).
    Post,
    /// A presigned PUT with Content-Type and Content-Length signed.
    Put,
}

impl UploadShape {
    /// `"post"` or `"put"`.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadShape::Post => "post",
            UploadShape::Put => "put",
        }
    }
}

/// The shape a provider supports. Cloudflare R2 answers 501 to POST uploads;
/// every other provider (AWS, Wasabi, and the S3-compatible servers behind
/// `custom`) takes POST policies, which can bound the size with a range.
pub fn upload_shape(provider: Provider, force_put: bool) -> UploadShape {
    match provider {
        _ if force_put => UploadShape::Put,
        Provider::CloudflareR2 => UploadShape::Put,
        Provider::AmazonS3 | Provider::Wasabi | Provider::Custom => UploadShape::Post,
    }
}

/// Part layout of a multipart upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// Size of every part but the last.
    pub part_size: u64,
    /// Number of parts.
    pub part_count: u64,
}

impl PartPlan {
    /// Lays out `size` bytes in parts of `preferred` bytes (default 16 MiB),
    /// raised when the file would need more than 10,000 parts.
    pub fn new(size: u64, preferred: Option<u64>) -> Result<PartPlan> {
        if size == 0 || size > MAX_OBJECT_SIZE {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("a multipart upload holds 1 byte to 5 TiB, not {size} bytes"),
            ));
        }
        let preferred = preferred.unwrap_or(DEFAULT_PART_SIZE);
        if !(MIN_PART_SIZE..=MAX_PART_SIZE).contains(&preferred) {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!("part size must be 5 MiB to 5 GiB, not {preferred} bytes"),
            ));
        }
        // Whole MiB keep part boundaries easy to read in logs and listings.
        let needed = size.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
        let part_size = preferred.max(needed);
        Ok(PartPlan {
            part_size,
            part_count: size.div_ceil(part_size),
        })
    }

    /// The byte length of part `number` (1-based) of a `size`-byte file.
    pub fn part_length(&self, size: u64, number: u64) -> Result<u64> {
        if number == 0 || number > self.part_count {
            return Err(invalid(
                ErrorCode::InvalidArgument,
                format!(
                    "part number {number} is outside 1..={} for this upload",
                    self.part_count
                ),
            ));
        }
        Ok(if number == self.part_count {
            size - self.part_size * (self.part_count - 1)
        } else {
            self.part_size
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_gets_put_and_everything_can_be_forced() {
        assert_eq!(
            upload_shape(Provider::CloudflareR2, false),
            UploadShape::Put
        );
        for p in [Provider::AmazonS3, Provider::Wasabi, Provider::Custom] {
            assert_eq!(upload_shape(p, false), UploadShape::Post);
            assert_eq!(upload_shape(p, true), UploadShape::Put);
        }
    }

    #[test]
    fn parts_cover_the_file() {
        let size = 300 * MIB + 7;
        let plan = PartPlan::new(size, None).unwrap();
        assert_eq!(plan.part_size, 16 * MIB);
        assert_eq!(plan.part_count, 19);
        let total: u64 = (1..=plan.part_count)
            .map(|n| plan.part_length(size, n).unwrap())
            .sum();
        assert_eq!(total, size);
        assert!(plan.part_length(size, 0).is_err());
        assert!(plan.part_length(size, 20).is_err());
    }

    #[test]
    fn huge_files_get_bigger_parts() {
        let size = 1024 * 1024 * MIB; // 1 TiB
        let plan = PartPlan::new(size, None).unwrap();
        assert!(plan.part_count <= MAX_PARTS);
        assert!(plan.part_size >= MIN_PART_SIZE);
        assert!(PartPlan::new(0, None).is_err());
        assert!(PartPlan::new(10, Some(MIB)).is_err());
    }
}
