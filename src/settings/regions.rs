//! The region tables behind the admin page's region select and behind
//! `validate-settings`: one list per provider, so the page cannot offer a
//! region the server would refuse, nor refuse one it offers.
//!
//! AWS: every commercial-partition region, from
//! <https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html>.
//! Regions launched after 20 March 2019 are disabled until the account owner
//! opts in, so a bucket there fails with `InvalidAccessKeyId`-like errors on
//! an account that has not; the page marks them.
//!
//! Wasabi: <https://docs.wasabi.com/docs/service-urls-for-wasabis-storage-regions>.

/// One region as the admin page lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The signing region, e.g. `eu-west-1`.
    pub id: &'static str,
    /// Where it is, in English, e.g. `Europe (Ireland)`.
    pub label: &'static str,
    /// Whether the AWS account must enable the region first.
    pub opt_in: bool,
}

const fn r(id: &'static str, label: &'static str) -> Region {
    Region {
        id,
        label,
        opt_in: false,
    }
}

const fn opt_in(id: &'static str, label: &'static str) -> Region {
    Region {
        id,
        label,
        opt_in: true,
    }
}

/// Amazon S3, commercial partition.
pub const AWS_REGIONS: &[Region] = &[
    r("us-east-1", "US East (N. Virginia)"),
    r("us-east-2", "US East (Ohio)"),
    r("us-west-1", "US West (N. California)"),
    r("us-west-2", "US West (Oregon)"),
    opt_in("af-south-1", "Africa (Cape Town)"),
    opt_in("ap-east-1", "Asia Pacific (Hong Kong)"),
    opt_in("ap-east-2", "Asia Pacific (Taipei)"),
    r("ap-northeast-1", "Asia Pacific (Tokyo)"),
    r("ap-northeast-2", "Asia Pacific (Seoul)"),
    r("ap-northeast-3", "Asia Pacific (Osaka)"),
    r("ap-south-1", "Asia Pacific (Mumbai)"),
    opt_in("ap-south-2", "Asia Pacific (Hyderabad)"),
    r("ap-southeast-1", "Asia Pacific (Singapore)"),
    r("ap-southeast-2", "Asia Pacific (Sydney)"),
    opt_in("ap-southeast-3", "Asia Pacific (Jakarta)"),
    opt_in("ap-southeast-4", "Asia Pacific (Melbourne)"),
    opt_in("ap-southeast-5", "Asia Pacific (Malaysia)"),
    opt_in("ap-southeast-6", "Asia Pacific (New Zealand)"),
    opt_in("ap-southeast-7", "Asia Pacific (Thailand)"),
    r("ca-central-1", "Canada (Central)"),
    opt_in("ca-west-1", "Canada West (Calgary)"),
    r("eu-central-1", "Europe (Frankfurt)"),
    opt_in("eu-central-2", "Europe (Zurich)"),
    r("eu-north-1", "Europe (Stockholm)"),
    opt_in("eu-south-1", "Europe (Milan)"),
    opt_in("eu-south-2", "Europe (Spain)"),
    r("eu-west-1", "Europe (Ireland)"),
    r("eu-west-2", "Europe (London)"),
    r("eu-west-3", "Europe (Paris)"),
    opt_in("il-central-1", "Israel (Tel Aviv)"),
    opt_in("me-central-1", "Middle East (UAE)"),
    opt_in("me-south-1", "Middle East (Bahrain)"),
    opt_in("mx-central-1", "Mexico (Central)"),
    r("sa-east-1", "South America (São Paulo)"),
];

/// AWS regions outside the commercial partition (China, GovCloud). They need
/// a separate kind of AWS account, so the page does not offer them, but a
/// site already configured for one keeps validating.
pub const AWS_OTHER_PARTITIONS: &[Region] = &[
    r("cn-north-1", "China (Beijing)"),
    r("cn-northwest-1", "China (Ningxia)"),
    r("us-gov-east-1", "AWS GovCloud (US-East)"),
    r("us-gov-west-1", "AWS GovCloud (US-West)"),
];

/// Wasabi's storage regions.
pub const WASABI_REGIONS: &[Region] = &[
    r("us-east-1", "US East 1 (N. Virginia)"),
    r("us-east-2", "US East 2 (N. Virginia)"),
    r("us-central-1", "US Central 1 (Texas)"),
    r("us-west-1", "US West 1 (Oregon)"),
    r("us-west-2", "US West 2 (San Jose)"),
    r("ca-central-1", "CA Central 1 (Toronto)"),
    r("eu-central-1", "EU Central 1 (Amsterdam)"),
    r("eu-central-2", "EU Central 2 (Frankfurt)"),
    r("eu-west-1", "EU West 1 (London)"),
    r("eu-west-2", "EU West 2 (Paris)"),
    r("eu-west-3", "EU West 3 (United Kingdom)"),
    r("eu-south-1", "EU South 1 (Milan)"),
    r("ap-northeast-1", "AP Northeast 1 (Tokyo)"),
    r("ap-northeast-2", "AP Northeast 2 (Osaka)"),
    r("ap-southeast-1", "AP Southeast 1 (Singapore)"),
    r("ap-southeast-2", "AP Southeast 2 (Sydney)"),
];

/// Cloudflare R2 signs every request for the pseudo-region `auto`.
pub const R2_REGIONS: &[Region] = &[r("auto", "Automatic (auto)")];

/// Whether `id` is in `table`.
pub fn contains(table: &[Region], id: &str) -> bool {
    table.iter().any(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_well_formed_and_unique() {
        for table in [
            AWS_REGIONS,
            AWS_OTHER_PARTITIONS,
            WASABI_REGIONS,
            R2_REGIONS,
        ] {
            for (i, region) in table.iter().enumerate() {
                assert!(
                    !table[..i].iter().any(|o| o.id == region.id),
                    "{} twice",
                    region.id
                );
                assert!(!region.label.is_empty());
                assert!(region
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            }
        }
        for region in AWS_OTHER_PARTITIONS {
            assert!(!contains(AWS_REGIONS, region.id));
        }
    }

    #[test]
    fn opt_in_regions_are_marked() {
        // The regions AWS lists as "opt-in required" (launched after March 2019).
        let expected = [
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-south-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "ca-west-1",
            "eu-central-2",
            "eu-south-1",
            "eu-south-2",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
        ];
        let marked: Vec<&str> = AWS_REGIONS
            .iter()
            .filter(|r| r.opt_in)
            .map(|r| r.id)
            .collect();
        let mut sorted = marked.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, expected);
        assert!(!WASABI_REGIONS.iter().any(|r| r.opt_in));
    }
}
