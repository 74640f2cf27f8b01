//! AFL entry point; the checks are in fuzz_targets/envelope.rs, shared with the
//! regression test (tests/fuzz_regressions.rs at the repository root).

#[path = "../fuzz_targets/envelope.rs"]
mod target;

fn main() {
    afl::fuzz!(|data: &[u8]| target::check(data));
}
