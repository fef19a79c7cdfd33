//! `prepare` on the shared corpora: one table per corpus, row counts = inventory, finite values,
//! and a table read back through polars directly.

use std::path::Path;

use polars::prelude::*;
use ser_features::{Batch, FeatureSet, FeatureTable, METADATA_COLUMNS, NoProgress, scan_corpora};

fn count_wavs(dir: &Path) -> usize {
    let mut n = 0;
    for e in std::fs::read_dir(dir).expect("readable corpus folder") {
        let p = e.expect("entry").path();
        if p.is_dir() {
            n += count_wavs(&p);
        } else if p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav")) {
            n += 1;
        }
    }
    n
}

#[test]
fn prepare_shared_corpora_default_set() {
    let Some(root) = ser_tests::datasets_dir("prepare_shared_corpora_default_set") else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let wanted: Vec<String> = ["emodb", "ravdess", "tess", "emovo"]
        .map(String::from)
        .to_vec();
    let corpora = scan_corpora(&root, &wanted).expect("scan");
    assert_eq!(
        corpora.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["emodb", "emovo", "ravdess", "tess"]
    );
    let set = FeatureSet::by_name("default").expect("default set");
    let n_features = set.len();
    let summary = Batch::new(set, out.path())
        .run(&corpora, &NoProgress)
        .expect("prepare");
    println!("{summary}");

    let inventory = |c: &str| match c {
        "emodb" => 535,
        "ravdess" => 61,
        "tess" => 42,
        "emovo" => 42,
        _ => unreachable!(),
    };
    for c in &summary.corpora {
        let dir = root.join(&c.corpus);
        assert_eq!(
            count_wavs(&dir),
            inventory(&c.corpus),
            "{} inventory",
            c.corpus
        );
        assert_eq!(
            c.rows,
            inventory(&c.corpus),
            "{}: {:?}",
            c.corpus,
            c.skipped
        );
        assert_eq!(c.extracted, c.rows);
        let t = FeatureTable::read_parquet(&c.table).expect("read table");
        assert_eq!(t.n_rows(), inventory(&c.corpus));
        assert_eq!(t.n_features(), n_features);
        assert_eq!(t.feature_set_name(), "default");
        let m = t.matrix().expect("matrix");
        assert_eq!(m.dim(), (inventory(&c.corpus), n_features));
        assert!(
            m.iter().all(|v| v.is_finite()),
            "{}: NaN or inf in the table",
            c.corpus
        );
        // every row has a label and a speaker from this corpus
        assert!(
            t.strings("emotion")
                .expect("emotion")
                .iter()
                .all(|e| !e.is_empty())
        );
        assert!(
            t.strings("speaker")
                .expect("speaker")
                .iter()
                .all(|s| s.starts_with(&format!("{}:", c.corpus)))
        );
    }
    assert_eq!(summary.files_done, 535 + 61 + 42 + 42);
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("summary.json")).expect("summary.json"),
    )
    .expect("json");
    assert_eq!(json["files_done"], 680);
    assert!(json["x_real_time"].as_f64().expect("number") > 0.0);
    assert!(
        json["audio_hours"].as_f64().expect("number") > 0.4,
        "EMO-DB alone is 24.8 min"
    );

    // Read EMO-DB back through polars itself, as a Python / polars user would.
    let file = std::fs::File::open(out.path().join("emodb.default.parquet")).expect("open");
    let df = ParquetReader::new(file).finish().expect("polars read");
    assert_eq!(df.shape(), (535, METADATA_COLUMNS.len() + n_features));
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(&names[..METADATA_COLUMNS.len()], METADATA_COLUMNS);
    assert_eq!(df.column("age").expect("age").dtype(), &DataType::UInt32);
    assert_eq!(
        df.column("duration_s").expect("duration").dtype(),
        &DataType::Float64
    );
    assert_eq!(
        df.column("speaker").expect("speaker").dtype(),
        &DataType::String
    );
    for c in &df.columns()[METADATA_COLUMNS.len()..] {
        assert_eq!(c.dtype(), &DataType::Float32, "{}", c.name());
        assert_eq!(c.null_count(), 0);
    }
    let speakers = df
        .column("speaker")
        .expect("speaker")
        .n_unique()
        .expect("unique");
    assert_eq!(speakers, 10);
    let total_s: f64 = df
        .column("duration_s")
        .expect("d")
        .f64()
        .expect("f64")
        .sum()
        .expect("sum");
    assert!(
        (total_s / 60.0 - 24.8).abs() < 0.1,
        "EMO-DB is 24.8 min, got {:.2}",
        total_s / 60.0
    );
    let emotions = df
        .column("emotion")
        .expect("emotion")
        .n_unique()
        .expect("unique");
    assert_eq!(emotions, 7);
    let sexes: Vec<String> = FeatureTable::read_parquet(&out.path().join("emodb.default.parquet"))
        .expect("read")
        .strings("sex")
        .expect("sex");
    assert!(sexes.iter().all(|s| s == "male" || s == "female"));
}

#[test]
fn prepare_classic_sets_on_a_corpus_subset() {
    let Some(root) = ser_tests::datasets_dir("prepare_classic_sets_on_a_corpus_subset") else {
        return;
    };
    let out = tempfile::tempdir().expect("tempdir");
    let corpora = scan_corpora(&root, &["emovo".to_string()]).expect("scan");
    for (name, n) in [("librosa", 193), ("pyaudioanalysis", 680)] {
        let set = FeatureSet::by_name(name).expect("set");
        let s = Batch::new(set, out.path())
            .with_csv(true)
            .run(&corpora, &NoProgress)
            .expect("prepare");
        assert_eq!(s.files_done, 42);
        let t = FeatureTable::read_parquet(&out.path().join(format!("emovo.{name}.parquet")))
            .expect("read");
        assert_eq!(t.n_features(), n);
        assert!(t.matrix().expect("m").iter().all(|v| v.is_finite()));
        let csv =
            std::fs::read_to_string(out.path().join(format!("emovo.{name}.csv"))).expect("csv");
        assert_eq!(csv.lines().count(), 43);
        assert_eq!(
            csv.lines().next().expect("header").split(',').count(),
            METADATA_COLUMNS.len() + n
        );
    }
}
