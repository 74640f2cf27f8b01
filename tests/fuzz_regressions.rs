//! The fuzz targets' checks (fuzz/fuzz_targets/*.rs, run by `bash tools/fuzz.sh`
//! under cargo-afl) replayed on every `cargo test`: each committed seed
//! (fuzz/seeds/<target>/) and each crash the fuzzer ever found
//! (fuzz/regressions/<target>/, copied there by tools/fuzz.sh) must pass.

use std::path::Path;

#[path = "../fuzz/fuzz_targets/envelope.rs"]
mod envelope;
#[path = "../fuzz/fuzz_targets/key_template.rs"]
mod key_template;
#[path = "../fuzz/fuzz_targets/presign.rs"]
mod presign;
#[path = "../fuzz/fuzz_targets/s3_error_xml.rs"]
mod s3_error_xml;

/// A target's checks: panics when an invariant breaks.
type Check = fn(&[u8]);

/// Runs `check` on every file of the target's seed and regression dirs;
/// returns how many inputs ran.
fn replay(target: &str, check: Check) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    for dir in ["seeds", "regressions"] {
        let dir = root.join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.file_name().is_none_or(|n| n != ".gitkeep"))
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).expect("readable input");
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} fails", file.display());
            ran += 1;
        }
    }
    ran
}

#[test]
fn every_target_replays_its_inputs() {
    let targets: [(&str, Check); 4] = [
        ("presign", presign::check),
        ("s3_error_xml", s3_error_xml::check),
        ("key_template", key_template::check),
        ("envelope", envelope::check),
    ];
    for (target, check) in targets {
        assert!(replay(target, check) > 0, "{target}: no seed ran");
    }
}
