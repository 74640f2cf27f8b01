//! AFL entry point; the checks are in fuzz_targets/s3_error_xml.rs, shared with the
//! regression test (tests/fuzz_regressions.rs at the repository root).

#[path = "../fuzz_targets/s3_error_xml.rs"]
mod target;

fn main() {
    afl::fuzz!(|data: &[u8]| target::check(data));
}
