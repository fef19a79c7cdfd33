//! An interrupted `prepare` keeps its work: rows extracted before the interruption are saved in
//! a checkpoint, and the next run takes them back and extracts only the rest, giving the table a
//! clean run gives.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ser_features::{Batch, FeatureSet, FeatureTable, NoProgress, Progress, scan_corpora};

/// Progress that "crashes" (panics, as an abort would stop the run) after `limit` files.
struct CrashAfter {
    limit: usize,
    seen: AtomicUsize,
}

impl Progress for CrashAfter {
    fn start(&self, _name: &str, _to_extract: usize) {}
    fn advance(&self, _path: &Path) {
        if self.seen.fetch_add(1, Ordering::SeqCst) + 1 == self.limit {
            panic!("simulated interruption");
        }
    }
    fn finish(&self, _name: &str) {}
}

/// A custom corpus of 40 demo utterances (4 speakers) in a temporary folder, scanned.
fn demo_corpus() -> (tempfile::TempDir, Vec<(String, ser_io::Manifest)>) {
    let tmp = tempfile::tempdir().expect("tmp");
    let cfg = ser_io::demo::DemoConfig {
        n_speakers: 4,
        utterances_per_emotion: 2,
        ..Default::default()
    };
    let files = ser_io::demo::write_demo_corpus(&tmp.path().join("custom"), &cfg).expect("demo");
    assert_eq!(files.len(), 40);
    let corpora = scan_corpora(tmp.path(), &["custom".to_string()]).expect("scan");
    (tmp, corpora)
}

#[test]
fn an_interrupted_prepare_resumes_from_its_checkpoint() {
    let (tmp, corpora) = demo_corpus();
    let set = FeatureSet::by_name("default").expect("set");
    let out = tmp.path().join("out");
    // One job: 32 files per chunk, a checkpoint after every chunk.
    let batch = Batch::new(set.clone(), &out)
        .with_jobs(1)
        .with_checkpoint_every(Some(Duration::ZERO));
    let crash = CrashAfter {
        limit: 36,
        seen: AtomicUsize::new(0),
    };
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| batch.run(&corpora, &crash)));
    assert!(r.is_err(), "the run was interrupted");
    let table = out.join("custom.default.parquet");
    let partial = out.join("custom.default.partial.parquet");
    assert!(!table.exists(), "no table from an interrupted run");
    let saved = FeatureTable::read_parquet(&partial).expect("a checkpoint was left");
    assert_eq!(saved.n_rows(), 32);

    let resumed = batch.run(&corpora, &NoProgress).expect("second run");
    let c = &resumed.corpora[0];
    assert_eq!(
        (c.rows, c.extracted, c.reused),
        (40, 8, 32),
        "{:?}",
        c.cache_note
    );
    assert!(
        c.cache_note
            .as_deref()
            .is_some_and(|n| n.contains("resumed 32 rows")),
        "{:?}",
        c.cache_note
    );
    assert!(
        !partial.exists(),
        "the checkpoint is removed once the table is complete"
    );

    let clean_out = tmp.path().join("clean");
    Batch::new(set, &clean_out)
        .with_jobs(1)
        .run(&corpora, &NoProgress)
        .expect("clean run");
    let a = FeatureTable::read_parquet(&table).expect("read");
    let b = FeatureTable::read_parquet(&clean_out.join("custom.default.parquet")).expect("read");
    assert_eq!(
        a.strings("path").expect("paths"),
        b.strings("path").expect("paths")
    );
    assert_eq!(a.matrix().expect("m"), b.matrix().expect("m"));
}

#[test]
fn a_checkpoint_that_cannot_be_written_does_not_stop_the_run() {
    let (tmp, corpora) = demo_corpus();
    let out = tmp.path().join("out");
    // a folder where the checkpoint file would go: every checkpoint write fails
    std::fs::create_dir_all(out.join("custom.default.partial.parquet")).expect("blocker");
    let summary = Batch::new(FeatureSet::by_name("default").expect("set"), &out)
        .with_jobs(1)
        .with_checkpoint_every(Some(Duration::ZERO))
        .run(&corpora, &NoProgress)
        .expect("the run completes without its checkpoint");
    let c = &summary.corpora[0];
    assert_eq!((c.rows, c.extracted), (40, 40));
    let note = c.cache_note.as_deref().unwrap_or_default();
    assert!(
        note.contains("a checkpoint could not be written") && note.contains("partial"),
        "{note}"
    );
    let table = FeatureTable::read_parquet(&out.join("custom.default.parquet")).expect("table");
    assert_eq!(table.n_rows(), 40);
}
