//! Incremental `prepare`: a second identical run extracts nothing, a touched file is extracted
//! again, a deleted file is reported as gone, a config change re-extracts everything, and a bad
//! file is skipped with its reason without aborting the batch.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use ser_features::{Batch, FeatureSet, FeatureSetConfig, FeatureTable, NoProgress, scan_corpora};

/// Copies the first `n` EMO-DB files into `<tmp>/data/emodb/wav/`.
fn copy_subset(root: &Path, tmp: &Path, n: usize) -> Vec<PathBuf> {
    let src = root.join("emodb/wav");
    let dst = tmp.join("data/emodb/wav");
    std::fs::create_dir_all(&dst).expect("mkdir");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&src)
        .expect("emodb")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    files.sort();
    files
        .iter()
        .take(n)
        .map(|p| {
            let to = dst.join(p.file_name().expect("name"));
            std::fs::copy(p, &to).expect("copy");
            to
        })
        .collect()
}

fn small_set(stats: &str) -> FeatureSet {
    let toml = format!(
        "name = \"inc\"\npreset = \"default\"\n[[statistics]]\ntracks = [\"mfcc_*\", \"log_energy_db\"]\nstatistics = [{stats}]\n[[extras]]\nkind = \"voiced_fraction\"\n"
    );
    let config: FeatureSetConfig = toml::from_str(&toml).expect("toml");
    FeatureSet::from_config(config).expect("set")
}

#[test]
fn incremental_prepare() {
    let Some(root) = ser_tests::datasets_dir("incremental_prepare") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let files = copy_subset(&root, tmp.path(), 6);
    let data = tmp.path().join("data");
    let out = tmp.path().join("out");
    let set = small_set("\"mean\", \"std\"");
    let run = |set: &FeatureSet| {
        let corpora = scan_corpora(&data, &[]).expect("scan");
        Batch::new(set.clone(), &out)
            .with_jobs(2)
            .run(&corpora, &NoProgress)
            .expect("prepare")
    };
    let table = out.join("emodb.inc.parquet");

    let first = run(&set);
    let c = &first.corpora[0];
    assert_eq!((c.rows, c.extracted, c.reused), (6, 6, 0));
    let before = FeatureTable::read_parquet(&table)
        .expect("read")
        .matrix()
        .expect("m");

    // identical second run: no extraction, table untouched
    let mtime = std::fs::metadata(&table)
        .expect("meta")
        .modified()
        .expect("mtime");
    let second = run(&set);
    let c = &second.corpora[0];
    assert_eq!((c.rows, c.extracted, c.reused), (6, 0, 6));
    assert!(!c.table_written);
    assert_eq!(
        std::fs::metadata(&table)
            .expect("meta")
            .modified()
            .expect("mtime"),
        mtime
    );

    // delete one, touch one
    std::fs::remove_file(&files[0]).expect("rm");
    let f = std::fs::File::options()
        .write(true)
        .open(&files[3])
        .expect("open");
    f.set_modified(SystemTime::now() + Duration::from_secs(5))
        .expect("touch");
    drop(f);
    let third = run(&set);
    let c = &third.corpora[0];
    assert_eq!(c.gone, vec![files[0].to_string_lossy().into_owned()]);
    assert_eq!((c.rows, c.extracted, c.reused), (5, 1, 4));
    let after = FeatureTable::read_parquet(&table).expect("read");
    assert_eq!(after.n_rows(), 5);
    // the re-extracted file gives the same values as before (same audio), rows keep path order
    assert_eq!(after.matrix().expect("m").row(2), before.row(3));
    assert_eq!(
        after.strings("path").expect("p")[2],
        files[3].to_string_lossy()
    );

    // a bad file with a valid name is skipped with a reason, the rest goes on: a real recording
    // whose header is damaged (same size as the recording)
    let bad = data.join("emodb/wav/16b10Wa.wav");
    let good_bytes = std::fs::read(&files[1]).expect("read");
    let mut damaged = good_bytes.clone();
    damaged[..4].copy_from_slice(b"JUNK");
    std::fs::write(&bad, &damaged).expect("write bad");
    let fourth = run(&set);
    let c = &fourth.corpora[0];
    assert_eq!((c.rows, c.extracted, c.reused), (5, 0, 5));
    let skipped: Vec<_> = c
        .skipped
        .iter()
        .filter(|s| s.path.ends_with("16b10Wa.wav"))
        .collect();
    assert_eq!(skipped.len(), 1, "{:?}", c.skipped);
    assert!(!skipped[0].reason.is_empty());
    // ... is tried again on the next run, and while it still fails the same way the table is
    // not rewritten
    let fifth = run(&set);
    let c = &fifth.corpora[0];
    assert_eq!((c.extracted, c.reused), (0, 5));
    assert!(!c.table_written);
    assert!(c.skipped.iter().any(|s| s.path.ends_with("16b10Wa.wav")));
    // ... and once the cause is fixed without changing its size or mtime (as when a permission
    // is fixed), it becomes a row: a failure is never cached as a result
    let mtime = std::fs::metadata(&bad)
        .expect("meta")
        .modified()
        .expect("mtime");
    std::fs::write(&bad, &good_bytes).expect("repair");
    std::fs::File::options()
        .write(true)
        .open(&bad)
        .expect("open")
        .set_modified(mtime)
        .expect("set mtime");
    let repaired = run(&set);
    let c = &repaired.corpora[0];
    assert_eq!(
        (c.rows, c.extracted, c.reused),
        (6, 1, 5),
        "{:?}",
        c.skipped
    );
    assert!(c.table_written);
    assert!(!c.skipped.iter().any(|s| s.path.ends_with("16b10Wa.wav")));
    std::fs::remove_file(&bad).expect("remove repaired");
    let _ = run(&set);

    // a config change re-extracts everything
    let changed = small_set("\"mean\", \"std\", \"p99\"");
    assert_ne!(changed.config_hash(), set.config_hash());
    let sixth = run(&changed);
    let c = &sixth.corpora[0];
    assert_eq!((c.rows, c.extracted, c.reused), (5, 5, 0));
    assert!(
        c.cache_note
            .as_deref()
            .is_some_and(|n| n.contains("config changed"))
    );
    assert_eq!(
        FeatureTable::read_parquet(&table)
            .expect("read")
            .n_features(),
        14 * 3 + 1
    );
    // no temporary files left in the output folder
    let names: Vec<String> = std::fs::read_dir(&out)
        .expect("out")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
}

/// A corpus folder holding only metadata (CREMA-D's CSVs without audio) gets no table, and
/// asking for it by name says that it has no audio.
#[test]
fn corpus_folder_without_audio_is_left_out() {
    let tmp = tempfile::tempdir().expect("tmp");
    let crema = tmp.path().join("crema");
    std::fs::create_dir_all(&crema).expect("mkdir");
    std::fs::write(
        crema.join("VideoDemographics.csv"),
        "ActorID,Age,Sex,Race,Ethnicity\n",
    )
    .expect("write");
    let all = scan_corpora(tmp.path(), &[]).expect("scan");
    assert!(
        all.is_empty(),
        "{:?}",
        all.iter().map(|c| &c.0).collect::<Vec<_>>()
    );
    let err = scan_corpora(tmp.path(), &["crema".into()]).expect_err("no audio");
    assert!(err.to_string().contains("without audio"), "{err}");
}
