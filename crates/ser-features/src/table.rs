//! The feature table: one row per utterance, metadata columns then one `f32` column per feature.
//!
//! Layout of the polars `DataFrame` (and of the Parquet / CSV files):
//!
//! | column | dtype | meaning |
//! |---|---|---|
//! | `path` | String | audio file path as scanned |
//! | `corpus` | String | `emodb`, `ravdess`, ... |
//! | `speaker` | String | unique across corpora (`emodb:03`) |
//! | `sex` | String, nullable | `male` / `female` |
//! | `emotion` | String | unified label |
//! | `native_label` | String | the corpus's own code |
//! | `text` | String, nullable | sentence id / text |
//! | `intensity` | String, nullable | corpus intensity |
//! | `age` | UInt32, nullable | years |
//! | `duration_s` | Float64 | duration of the decoded audio |
//! | *features...* | Float32 | one per feature name, in the feature set's order |
//!
//! Table-level metadata is stored as Parquet file key-value metadata (so it travels atomically
//! with the table): `ser.feature_set` (the set's name), `ser.config_hash` (hash of the set's full
//! configuration, hex) and `ser.table` (JSON of [`TableMeta`], which also holds the per-file
//! cache stamps used by incremental `prepare`). The CSV export carries the columns only.
//!
//! A table of [`TENSOR_MIN_FEATURES`] features or more (a sequence set such as `logmel`: 12,288
//! values per utterance) keeps its feature values in a tensor file beside the Parquet file
//! (`<corpus>.<set>.tensor.safetensors`, [`crate::tensor`]) and only the metadata columns in
//! the Parquet file; [`TableMeta::tensor`] names it with the hash of its values, checked on
//! reading. In memory the table is the same either way.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use ndarray::Array2;
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The metadata columns, in order, before the feature columns.
pub const METADATA_COLUMNS: [&str; 13] = [
    "path",
    "corpus",
    "speaker",
    "sex",
    "emotion",
    "native_label",
    "text",
    "intensity",
    "age",
    "duration_s",
    "peak_dbfs",
    "clipped_fraction",
    "quality",
];

/// The quality columns ([`crate::Quality`]): tables written before they existed lack them, and
/// read with them null (quality unknown).
const QUALITY_COLUMNS: [&str; 3] = ["peak_dbfs", "clipped_fraction", "quality"];

/// Parquet key-value metadata keys.
pub const KEY_FEATURE_SET: &str = "ser.feature_set";
pub const KEY_CONFIG_HASH: &str = "ser.config_hash";
pub const KEY_TABLE: &str = "ser.table";

/// Identity of an audio file at extraction time: changing size or modification time invalidates
/// its cached features.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub size_bytes: u64,
    /// Modification time in nanoseconds since the Unix epoch (0 if unavailable).
    pub mtime_ns: i64,
}

impl FileStamp {
    /// Reads the stamp of a file from the file system.
    pub fn of(path: &Path) -> Result<FileStamp> {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
        Ok(FileStamp {
            size_bytes: meta.len(),
            mtime_ns,
        })
    }
}

/// A file that could not be turned into features, with its stamp so that an unchanged bad file
/// is not retried on the next run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedFile {
    pub path: String,
    pub stamp: Option<FileStamp>,
    pub reason: String,
}

/// Table-level metadata stored under [`KEY_TABLE`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableMeta {
    pub format_version: u32,
    pub feature_set: String,
    pub config_hash: String,
    /// Stamp of every row's file, keyed by the `path` column.
    #[serde(default)]
    pub stamps: BTreeMap<String, FileStamp>,
    /// Files that failed during the run that wrote this table.
    #[serde(default)]
    pub failed: Vec<FailedFile>,
    /// The tensor file holding the feature values (wide tables only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tensor: Option<TensorRef>,
}

/// Tables with at least this many features store them in a tensor file beside the Parquet file.
pub const TENSOR_MIN_FEATURES: usize = 2048;

/// Where a wide table's feature values are ([`crate::tensor`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorRef {
    /// File name, in the table's folder.
    pub file: String,
    /// FNV-1a hash of the values (hex); the tensor file's metadata must carry the same.
    pub id: String,
    /// Number of feature columns.
    pub n_features: usize,
}

/// One utterance's row before it goes into a table.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureRow {
    pub utterance: ser_io::Utterance,
    pub duration_s: f64,
    pub features: Vec<f32>,
    pub stamp: Option<FileStamp>,
    /// Peak level and clipping of the audio; `None` when unknown (a table from before the
    /// quality columns).
    pub quality: Option<crate::Quality>,
}

/// A feature table (see the module docs for the layout).
#[derive(Debug, Clone)]
pub struct FeatureTable {
    df: DataFrame,
    meta: TableMeta,
}

fn path_string(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

impl FeatureTable {
    /// Builds a table from rows. Every row must have `feature_names.len()` values.
    pub fn from_rows(
        feature_set: &str,
        config_hash: &str,
        feature_names: &[String],
        rows: &[FeatureRow],
    ) -> Result<FeatureTable> {
        let n = rows.len();
        let d = feature_names.len();
        if let Some(bad) = rows.iter().find(|r| r.features.len() != d) {
            return Err(Error::Param {
                name: "features",
                expected: format!("{d} values per row"),
                found: format!(
                    "{} values for {}",
                    bad.features.len(),
                    bad.utterance.path.display()
                ),
            });
        }
        let mut seen = std::collections::HashSet::new();
        for name in feature_names {
            if METADATA_COLUMNS.contains(&name.as_str()) || !seen.insert(name.as_str()) {
                return Err(Error::Param {
                    name: "feature_names",
                    expected: "unique names distinct from the metadata columns".into(),
                    found: format!("{name:?} twice"),
                });
            }
        }
        let s = |f: &dyn Fn(&FeatureRow) -> String| rows.iter().map(f).collect::<Vec<String>>();
        let o = |f: &dyn Fn(&FeatureRow) -> Option<String>| {
            rows.iter().map(f).collect::<Vec<Option<String>>>()
        };
        let mut columns: Vec<Column> = Vec::with_capacity(METADATA_COLUMNS.len() + d);
        columns.push(Column::new(
            "path".into(),
            s(&|r| path_string(&r.utterance.path)),
        ));
        columns.push(Column::new(
            "corpus".into(),
            s(&|r| r.utterance.corpus.clone()),
        ));
        columns.push(Column::new(
            "speaker".into(),
            s(&|r| r.utterance.speaker.clone()),
        ));
        columns.push(Column::new(
            "sex".into(),
            o(&|r| r.utterance.sex.map(|x| x.as_str().to_string())),
        ));
        columns.push(Column::new(
            "emotion".into(),
            s(&|r| r.utterance.emotion.as_str().to_string()),
        ));
        columns.push(Column::new(
            "native_label".into(),
            s(&|r| r.utterance.native_label.clone()),
        ));
        columns.push(Column::new("text".into(), o(&|r| r.utterance.text.clone())));
        columns.push(Column::new(
            "intensity".into(),
            o(&|r| r.utterance.intensity.clone()),
        ));
        columns.push(Column::new(
            "age".into(),
            rows.iter()
                .map(|r| r.utterance.age)
                .collect::<Vec<Option<u32>>>(),
        ));
        columns.push(Column::new(
            "duration_s".into(),
            rows.iter().map(|r| r.duration_s).collect::<Vec<f64>>(),
        ));
        columns.push(Column::new(
            "peak_dbfs".into(),
            rows.iter()
                .map(|r| r.quality.map(|q| q.peak_dbfs))
                .collect::<Vec<Option<f32>>>(),
        ));
        columns.push(Column::new(
            "clipped_fraction".into(),
            rows.iter()
                .map(|r| r.quality.map(|q| q.clipped_fraction))
                .collect::<Vec<Option<f32>>>(),
        ));
        columns.push(Column::new(
            "quality".into(),
            o(&|r| r.quality.map(|q| q.flag_string())),
        ));
        for (j, name) in feature_names.iter().enumerate() {
            let values: Vec<f32> = rows.iter().map(|r| r.features[j]).collect();
            columns.push(Column::new(name.as_str().into(), values));
        }
        let df = DataFrame::new(n, columns).map_err(Error::polars("building feature table"))?;
        let stamps = rows
            .iter()
            .filter_map(|r| {
                r.stamp
                    .clone()
                    .map(|st| (path_string(&r.utterance.path), st))
            })
            .collect();
        Ok(FeatureTable {
            df,
            meta: TableMeta {
                format_version: 1,
                feature_set: feature_set.to_string(),
                config_hash: config_hash.to_string(),
                stamps,
                failed: Vec::new(),
                tensor: None,
            },
        })
    }

    /// Wraps an existing DataFrame, checking the metadata columns and that every other column is
    /// `Float32`.
    pub fn from_dataframe(mut df: DataFrame, meta: TableMeta) -> Result<FeatureTable> {
        // A table from before the quality columns: insert them, null (quality unknown).
        let legacy = METADATA_COLUMNS.len() - QUALITY_COLUMNS.len();
        let has_quality = df
            .get_column_names()
            .get(legacy)
            .is_some_and(|n| n.as_str() == QUALITY_COLUMNS[0]);
        if !has_quality && df.width() >= legacy {
            let n = df.height();
            let nulls_f32 = |name: &str| Column::new(name.into(), vec![None::<f32>; n]);
            let inserted = [
                nulls_f32(QUALITY_COLUMNS[0]),
                nulls_f32(QUALITY_COLUMNS[1]),
                Column::new(QUALITY_COLUMNS[2].into(), vec![None::<String>; n]),
            ];
            for (k, c) in inserted.into_iter().enumerate() {
                df.insert_column(legacy + k, c).map_err(Error::polars(
                    "adding the quality columns to an older table",
                ))?;
            }
        }
        let names = df.get_column_names();
        for (i, want) in METADATA_COLUMNS.iter().enumerate() {
            let found = names.get(i).map(|s| s.as_str());
            if found != Some(*want) {
                return Err(Error::Param {
                    name: "dataframe",
                    expected: format!("column {i} named {want:?}"),
                    found: format!("{found:?}"),
                });
            }
        }
        for c in &df.columns()[METADATA_COLUMNS.len()..] {
            if c.dtype() != &DataType::Float32 {
                return Err(Error::Param {
                    name: "dataframe",
                    expected: format!("feature column {:?} of type f32", c.name().as_str()),
                    found: format!("{}", c.dtype()),
                });
            }
        }
        Ok(FeatureTable { df, meta })
    }

    /// Reads a table written by [`FeatureTable::write_parquet`].
    pub fn read_parquet(path: &Path) -> Result<FeatureTable> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let ctx = || format!("reading {}", path.display());
        let mut reader = ParquetReader::new(file);
        let kv: BTreeMap<String, String> = reader
            .get_metadata()
            .map_err(Error::polars(ctx()))?
            .key_value_metadata()
            .iter()
            .flatten()
            .filter_map(|kv| kv.value.clone().map(|v| (kv.key.clone(), v)))
            .collect();
        let df = reader.finish().map_err(Error::polars(ctx()))?;
        let meta = match kv.get(KEY_TABLE) {
            Some(json) => serde_json::from_str(json).map_err(|e| Error::Table {
                path: path.to_path_buf(),
                reason: format!("bad {KEY_TABLE} metadata: {e}"),
            })?,
            None => TableMeta {
                format_version: 1,
                feature_set: kv.get(KEY_FEATURE_SET).cloned().unwrap_or_default(),
                config_hash: kv.get(KEY_CONFIG_HASH).cloned().unwrap_or_default(),
                ..TableMeta::default()
            },
        };
        let (df, meta) = match meta.tensor.clone() {
            Some(t) => attach_tensor(df, meta, &t, path)?,
            None => (df, meta),
        };
        FeatureTable::from_dataframe(df, meta).map_err(|e| Error::Table {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Writes Parquet (zstd) to a temporary file next to `path`, then renames it over `path`,
    /// so an interrupted write never leaves a corrupt table.
    pub fn write_parquet(&self, path: &Path) -> Result<()> {
        let mut meta = self.meta.clone();
        let mut df = self.df.clone();
        if self.n_features() >= TENSOR_MIN_FEATURES {
            // The values first: a table is never left naming a tensor that is not there.
            let m = self.matrix()?;
            let id = values_id(&m);
            let tensor = crate::tensor::tensor_path(path);
            let names = serde_json::to_string(&self.feature_names()).map_err(|e| Error::Table {
                path: path.to_path_buf(),
                reason: format!("feature names: {e}"),
            })?;
            let md = BTreeMap::from([
                (
                    "format".to_string(),
                    "ser-features table tensor 1".to_string(),
                ),
                ("feature_set".to_string(), meta.feature_set.clone()),
                ("config_hash".to_string(), meta.config_hash.clone()),
                ("table_id".to_string(), id.clone()),
                ("feature_names".to_string(), names),
            ]);
            crate::tensor::write_tensor(&tensor, &m, &md)?;
            meta.tensor = Some(TensorRef {
                file: tensor
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                id,
                n_features: m.ncols(),
            });
            df = df
                .select(METADATA_COLUMNS)
                .map_err(Error::polars("selecting the metadata columns"))?;
        }
        let meta_json = serde_json::to_string(&meta).map_err(|e| Error::Table {
            path: path.to_path_buf(),
            reason: format!("cannot serialise table metadata: {e}"),
        })?;
        let kv = [
            (KEY_FEATURE_SET, meta.feature_set.clone()),
            (KEY_CONFIG_HASH, meta.config_hash.clone()),
            (KEY_TABLE, meta_json),
        ];
        // one chunk per column, aligned across columns (what `iter_chunks` walks)
        df.rechunk_mut();
        ser_fs::write_atomic(path, |file| {
            write_parquet_file(file, &df, &kv)
                .map_err(Error::polars(format!("writing {}", path.display())))
        })
    }

    /// Writes the columns as CSV (header row, comma separated), tmp + rename.
    pub fn write_csv(&self, path: &Path) -> Result<()> {
        ser_fs::write_atomic(path, |file| {
            let mut df = self.df.clone();
            CsvWriter::new(file)
                .include_header(true)
                .finish(&mut df)
                .map_err(Error::polars(format!("writing {}", path.display())))
        })
    }

    /// The feature column names, in order.
    pub fn feature_names(&self) -> Vec<String> {
        self.df.get_column_names()[METADATA_COLUMNS.len()..]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// The features as a dense (n_rows, n_features) matrix. Nulls (never written by this crate)
    /// become NaN.
    pub fn matrix(&self) -> Result<Array2<f32>> {
        let cols = &self.df.columns()[METADATA_COLUMNS.len()..];
        let mut m = Array2::<f32>::zeros((self.n_rows(), cols.len()));
        for (j, c) in cols.iter().enumerate() {
            let ca = c
                .f32()
                .map_err(Error::polars(format!("feature column {}", c.name())))?;
            for (i, v) in ca.iter().enumerate() {
                m[[i, j]] = v.unwrap_or(f32::NAN);
            }
        }
        Ok(m)
    }

    /// A column as strings (nulls become ""). Works for the string metadata columns and, via
    /// their text form, for `age` and `duration_s`.
    pub fn strings(&self, column: &str) -> Result<Vec<String>> {
        let c = self
            .df
            .column(column)
            .map_err(Error::polars(format!("column {column}")))?;
        if let Ok(ca) = c.str() {
            return Ok(ca
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect());
        }
        let cast = c
            .cast(&DataType::String)
            .map_err(Error::polars(format!("column {column} as text")))?;
        let ca = cast
            .str()
            .map_err(Error::polars(format!("column {column} as text")))?;
        Ok(ca
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    }

    /// The `duration_s` column.
    pub fn durations_s(&self) -> Result<Vec<f64>> {
        let c = self
            .df
            .column("duration_s")
            .map_err(Error::polars("column duration_s"))?;
        let ca = c.f64().map_err(Error::polars("column duration_s"))?;
        Ok(ca.iter().map(|v| v.unwrap_or(0.0)).collect())
    }

    /// The quality of every row; `None` for a row whose quality is unknown (a table written
    /// before the quality columns).
    pub fn qualities(&self) -> Result<Vec<Option<crate::Quality>>> {
        let col = |name: &str| -> Result<Vec<Option<f32>>> {
            let c = self
                .df
                .column(name)
                .map_err(Error::polars(format!("column {name}")))?;
            let ca = c.f32().map_err(Error::polars(format!("column {name}")))?;
            Ok(ca.iter().collect())
        };
        let (peak, clipped) = (col("peak_dbfs")?, col("clipped_fraction")?);
        Ok(peak
            .into_iter()
            .zip(clipped)
            .map(|(p, c)| match (p, c) {
                (Some(peak_dbfs), Some(clipped_fraction)) => Some(crate::Quality {
                    peak_dbfs,
                    clipped_fraction,
                }),
                _ => None,
            })
            .collect())
    }

    /// One row's feature values.
    pub fn row_features(&self, row: usize) -> Result<Vec<f32>> {
        let cols = &self.df.columns()[METADATA_COLUMNS.len()..];
        cols.iter()
            .map(|c| {
                let ca = c
                    .f32()
                    .map_err(Error::polars(format!("feature column {}", c.name())))?;
                Ok(ca.get(row).unwrap_or(f32::NAN))
            })
            .collect()
    }

    pub fn n_rows(&self) -> usize {
        self.df.height()
    }

    pub fn n_features(&self) -> usize {
        self.df.width().saturating_sub(METADATA_COLUMNS.len())
    }

    pub fn feature_set_name(&self) -> &str {
        &self.meta.feature_set
    }

    pub fn config_hash(&self) -> &str {
        &self.meta.config_hash
    }

    pub fn meta(&self) -> &TableMeta {
        &self.meta
    }

    /// Mutable access to the table metadata (e.g. to record failed files before writing).
    pub fn meta_mut(&mut self) -> &mut TableMeta {
        &mut self.meta
    }

    pub fn dataframe(&self) -> &DataFrame {
        &self.df
    }

    pub fn into_dataframe(self) -> DataFrame {
        self.df
    }
}

/// FNV-1a of a matrix's values (hex): the id pairing a table with its tensor file.
fn values_id(m: &Array2<f32>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for v in m.iter() {
        for b in v.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}-{}x{}", m.nrows(), m.ncols())
}

/// Appends the feature columns of the tensor file `t` (beside the table at `path`) to the
/// metadata columns `df`, after checking that the file belongs to this table.
fn attach_tensor(
    mut df: DataFrame,
    mut meta: TableMeta,
    t: &TensorRef,
    path: &Path,
) -> Result<(DataFrame, TableMeta)> {
    let file = path.with_file_name(&t.file);
    let bad = |reason: String| Error::Table {
        path: file.clone(),
        reason,
    };
    if !file.is_file() {
        return Err(bad(format!(
            "the tensor file of table {} is missing",
            path.display()
        )));
    }
    let (m, md) = crate::tensor::read_tensor(&file)?;
    if md.get("table_id") != Some(&t.id) || md.get("config_hash") != Some(&meta.config_hash) {
        return Err(bad(format!(
            "does not belong to table {} (table id {} / configuration {}, the file has {:?} / \
             {:?}): written apart; run `cargo xtask prepare` again",
            path.display(),
            t.id,
            meta.config_hash,
            md.get("table_id"),
            md.get("config_hash")
        )));
    }
    if m.nrows() != df.height() || m.ncols() != t.n_features {
        return Err(bad(format!(
            "shape [{}, {}], the table has {} rows and {} features",
            m.nrows(),
            m.ncols(),
            df.height(),
            t.n_features
        )));
    }
    let names: Vec<String> = md
        .get("feature_names")
        .and_then(|s| serde_json::from_str(s).ok())
        .filter(|n: &Vec<String>| n.len() == m.ncols())
        .ok_or_else(|| bad("feature names missing or of the wrong length".into()))?;
    let columns: Vec<Column> = names
        .iter()
        .zip(m.columns())
        .map(|(n, c)| Column::new(n.as_str().into(), c.to_vec()))
        .collect();
    df.hstack_mut(&columns)
        .map_err(Error::polars("joining the tensor's feature columns"))?;
    meta.tensor = None;
    Ok((df, meta))
}

/// Writes `df` (one chunk per column) as Parquet with the key-value metadata `kv`.
///
/// Why not `ParquetWriter::finish`: it tries dictionary encoding on every column (a HyperLogLog
/// cardinality estimate over all values, then a group-by when it looks worthwhile) and
/// compresses with zstd, one context per page. Feature values are continuous: dictionaries
/// never pay, and zstd saves about 10 % of their size. Here float columns are written PLAIN,
/// strings and integers keep dictionary encoding, and pages are Snappy-compressed (the
/// Parquet ecosystem's default codec, read by every reader). Columns are encoded in parallel
/// on the current rayon pool. Writing the 535-row, 1035-column EMO-DB table took ~105 ms with
/// `ParquetWriter` and ~50 ms this way (same table and build, docs/PERFORMANCE.md); ~30 ms
/// since float pages are encoded here ([`plain_float_pages`], the same bytes).
fn write_parquet_file<W: std::io::Write>(
    file: W,
    df: &DataFrame,
    kv: &[(&str, String)],
) -> PolarsResult<()> {
    write_parquet_pages(file, df, kv, true)
}

/// [`write_parquet_file`]; `own_float_pages: false` sends every column through polars-parquet's
/// encoder (the reference the tests compare the float pages' bytes with).
fn write_parquet_pages<W: std::io::Write>(
    file: W,
    df: &DataFrame,
    kv: &[(&str, String)],
    own_float_pages: bool,
) -> PolarsResult<()> {
    use polars_parquet::write::{
        CompressedPage, CompressionOptions, DynIter, DynStreamingIterator, Encoding, FileWriter,
        KeyValue, StatisticsOptions, Version, WriteOptions, array_to_columns, compress,
        fallible_streaming_iterator, schema_to_metadata_key,
    };
    use rayon::prelude::*;

    let schema = df.schema().to_arrow(CompatLevel::newest());
    let encodings: Vec<Encoding> = schema
        .iter_values()
        .map(|f| match f.dtype {
            ArrowDataType::Float32 | ArrowDataType::Float64 => Encoding::Plain,
            _ => Encoding::RleDictionary,
        })
        .collect();
    let options = WriteOptions {
        statistics: StatisticsOptions::default(),
        compression: CompressionOptions::Snappy,
        version: Version::V1,
        data_page_size: None,
    };
    let mut writer = FileWriter::try_new(file, schema, options)?;
    let fields = writer.parquet_schema().fields().to_vec();
    for batch in df.iter_chunks(CompatLevel::newest(), false) {
        let n_rows = batch.len() as u64;
        // every leaf column of every field, its pages encoded and compressed
        let columns: Vec<Vec<CompressedPage>> = batch
            .columns()
            .par_iter()
            .zip(fields.par_iter())
            .zip(encodings.par_iter())
            .map(|((array, field), encoding)| {
                if own_float_pages
                    && let Some(pages) = plain_float_pages(array.as_ref(), field, options)
                {
                    return Ok(vec![pages?]);
                }
                let leaves = array_to_columns(array, field.clone(), options, &[*encoding])?;
                leaves
                    .into_iter()
                    .map(|pages| {
                        pages
                            .map(|page| Ok(compress(page?, Vec::new(), options.compression)?))
                            .collect::<PolarsResult<Vec<CompressedPage>>>()
                    })
                    .collect::<PolarsResult<Vec<_>>>()
            })
            .collect::<PolarsResult<Vec<_>>>()?
            .into_iter()
            .flatten()
            .collect();
        let row_group = DynIter::new(columns.iter().map(|pages| {
            Ok(DynStreamingIterator::new(
                fallible_streaming_iterator::convert(pages.iter().map(Ok::<_, PolarsError>)),
            ))
        }));
        writer.write(n_rows, row_group)?;
    }
    // the Arrow schema (so that readers restore the exact types), then ours
    let mut pairs = vec![schema_to_metadata_key(writer.schema())];
    pairs.extend(kv.iter().map(|(k, v)| KeyValue {
        key: (*k).to_string(),
        value: Some(v.clone()),
    }));
    writer.end(Some(pairs))?;
    Ok(())
}

/// The pages of a float column without missing values, PLAIN-encoded and compressed: the bytes
/// polars-parquet writes for it (same page split, definition levels, statistics and header),
/// built here because its own encoder is compiled without optimisation for build time (see the
/// workspace profile) and spent most of the write in unoptimised iterator adapters. `None` for
/// every other column, which takes polars-parquet's path.
fn plain_float_pages(
    array: &dyn polars_arrow::array::Array,
    field: &polars_parquet::write::ParquetType,
    options: polars_parquet::write::WriteOptions,
) -> Option<PolarsResult<Vec<polars_parquet::write::CompressedPage>>> {
    use polars_arrow::array::PrimitiveArray;
    use polars_parquet::write::ParquetType;
    let ParquetType::PrimitiveType(type_) = field else {
        return None;
    };
    if array.null_count() > 0 || array.is_empty() {
        return None;
    }
    match array.dtype() {
        ArrowDataType::Float32 => Some(plain_pages::<f32>(
            array.as_any().downcast_ref::<PrimitiveArray<f32>>()?,
            type_,
            options,
        )),
        ArrowDataType::Float64 => Some(plain_pages::<f64>(
            array.as_any().downcast_ref::<PrimitiveArray<f64>>()?,
            type_,
            options,
        )),
        _ => None,
    }
}

fn plain_pages<T>(
    array: &polars_arrow::array::PrimitiveArray<T>,
    type_: &polars_parquet::parquet::schema::types::PrimitiveType,
    options: polars_parquet::write::WriteOptions,
) -> PolarsResult<Vec<polars_parquet::write::CompressedPage>>
where
    T: polars_arrow::types::NativeType + polars_parquet::parquet::types::NativeType,
{
    use polars_arrow::array::Array;
    use polars_arrow::scalar::PrimitiveScalar;
    use polars_parquet::parquet::CowBuffer;
    use polars_parquet::parquet::metadata::Descriptor;
    use polars_parquet::parquet::page::{DataPage, DataPageHeader, DataPageHeaderV1};
    use polars_parquet::parquet::schema::Repetition;
    use polars_parquet::parquet::statistics::PrimitiveStatistics;
    use polars_parquet::write::{Encoding, Page, Version, compress, write_def_levels};

    let n = array.len();
    // polars-parquet's page split: at most 1 MiB of estimated bytes (values and validity) per page
    let bytes = n * size_of::<T>() + array.validity().map_or(0, |b| b.len().div_ceil(8));
    let per_row = bytes.checked_div(n).unwrap_or(0);
    let max_page = options.data_page_size.unwrap_or(1 << 20);
    let rows_per_page = (max_page / (per_row + 1)).max(1);
    let optional = type_.field_info.repetition == Repetition::Optional;
    let mut pages = Vec::with_capacity(n.div_ceil(rows_per_page).max(1));
    let mut offset = 0;
    loop {
        let len = rows_per_page.min(n - offset);
        let slice = array.clone().sliced(offset, len);
        let mut buffer = Vec::with_capacity(len * size_of::<T>() + 16);
        let validity = slice.validity();
        match options.version {
            Version::V1 => write_def_levels(&mut buffer, optional, validity, len, options.version)?,
            Version::V2 => polars_bail!(ComputeError: "float pages are written as V1"),
        }
        for v in slice.values().iter() {
            buffer.extend_from_slice(
                polars_parquet::parquet::types::NativeType::to_le_bytes(v).as_ref(),
            );
        }
        let statistics = options.has_statistics().then(|| {
            let st = &options.statistics;
            let value = |s: Box<dyn polars_arrow::scalar::Scalar>| {
                s.as_any()
                    .downcast_ref::<PrimitiveScalar<T>>()
                    .and_then(|s| *s.value())
            };
            let (min, max) = match (st.min_value, st.max_value) {
                (false, false) => (None, None),
                _ => polars_compute::min_max::dyn_array_min_max_propagate_nan(&slice as &dyn Array)
                    .map_or((None, None), |(l, r)| (value(l), value(r))),
            };
            PrimitiveStatistics::<T> {
                primitive_type: type_.clone(),
                null_count: st.null_count.then_some(0),
                distinct_count: None,
                min_value: min.filter(|_| st.min_value).map(|x| x.norm_min()),
                max_value: max.filter(|_| st.max_value).map(|x| x.norm_max()),
            }
            .serialize()
        });
        let header = DataPageHeader::V1(DataPageHeaderV1 {
            num_values: len as i32,
            encoding: Encoding::Plain.into(),
            definition_level_encoding: Encoding::Rle.into(),
            repetition_level_encoding: Encoding::Rle.into(),
            statistics,
        });
        let page = DataPage::new(
            header,
            CowBuffer::Owned(buffer),
            Descriptor {
                primitive_type: type_.clone(),
                max_def_level: 0,
                max_rep_level: 0,
            },
            len,
        );
        pages.push(compress(Page::Data(page), Vec::new(), options.compression)?);
        offset += len;
        if offset >= n {
            return Ok(pages);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use ser_io::{Emotion, Sex, Utterance};

    fn row(i: usize, d: usize) -> FeatureRow {
        FeatureRow {
            utterance: Utterance {
                path: PathBuf::from(format!("/x/{i}.wav")),
                corpus: "emodb".into(),
                speaker: format!("emodb:{i:02}"),
                sex: i.is_multiple_of(2).then_some(Sex::Female),
                emotion: Emotion::Angry,
                native_label: "W".into(),
                text: Some("a01".into()),
                intensity: None,
                age: (i == 1).then_some(31),
            },
            duration_s: 1.5 + i as f64,
            features: (0..d).map(|j| (i * 10 + j) as f32 * 0.5).collect(),
            quality: (i != 1).then_some(crate::Quality {
                peak_dbfs: -3.0 - i as f32,
                clipped_fraction: 0.0,
            }),
            stamp: Some(FileStamp {
                size_bytes: 100 + i as u64,
                mtime_ns: 1_700_000_000_000_000_000 + i as i64,
            }),
        }
    }

    #[test]
    fn wide_tables_keep_their_values_in_a_tensor_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = TENSOR_MIN_FEATURES + 3;
        let names: Vec<String> = (0..d).map(|j| format!("seq_{j}")).collect();
        let rows: Vec<FeatureRow> = (0..3).map(|i| row(i, d)).collect();
        let t = FeatureTable::from_rows("logmel", "abc", &names, &rows).expect("table");
        let p = dir.path().join("emodb.logmel.parquet");
        t.write_parquet(&p).expect("write");
        let tensor = crate::tensor::tensor_path(&p);
        assert!(tensor.is_file());
        // The Parquet file holds the metadata columns only.
        let df = ParquetReader::new(File::open(&p).expect("open"))
            .finish()
            .expect("parquet");
        assert_eq!(df.width(), METADATA_COLUMNS.len());
        let back = FeatureTable::read_parquet(&p).expect("read");
        assert_eq!(back.feature_names(), names);
        assert_eq!(back.matrix().expect("m"), t.matrix().expect("m"));
        assert_eq!(back.meta().tensor, None);
        // A tensor file of another table is refused, naming both.
        let other: Vec<FeatureRow> = (1..4).map(|i| row(i, d)).collect();
        let t2 = FeatureTable::from_rows("logmel", "abc", &names, &other).expect("table");
        let p2 = dir.path().join("other.logmel.parquet");
        t2.write_parquet(&p2).expect("write");
        std::fs::copy(crate::tensor::tensor_path(&p2), &tensor).expect("copy");
        let e = FeatureTable::read_parquet(&p).expect_err("foreign tensor");
        assert!(e.to_string().contains("does not belong"), "{e}");
        std::fs::remove_file(&tensor).expect("rm");
        let e = FeatureTable::read_parquet(&p).expect_err("missing tensor");
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[test]
    fn parquet_round_trip_keeps_everything() {
        let dir = tempfile::tempdir().expect("tempdir");
        let names: Vec<String> = (0..4).map(|j| format!("f_{j}_mean")).collect();
        let rows: Vec<FeatureRow> = (0..3).map(|i| row(i, 4)).collect();
        let mut t = FeatureTable::from_rows("test", "abc123", &names, &rows).expect("table");
        t.meta_mut().failed.push(FailedFile {
            path: "/x/bad.wav".into(),
            stamp: None,
            reason: "cannot decode".into(),
        });
        let p = dir.path().join("sub/emodb.test.parquet");
        t.write_parquet(&p).expect("write");
        let back = FeatureTable::read_parquet(&p).expect("read");
        assert_eq!(back.n_rows(), 3);
        assert_eq!(back.feature_names(), names);
        assert_eq!(back.feature_set_name(), "test");
        assert_eq!(back.config_hash(), "abc123");
        assert_eq!(back.meta(), t.meta());
        assert_eq!(back.matrix().expect("m"), t.matrix().expect("m"));
        assert_eq!(back.matrix().expect("m")[[2, 3]], 23.0 * 0.5);
        assert_eq!(back.strings("sex").expect("sex"), ["female", "", "female"]);
        assert_eq!(back.strings("age").expect("age"), ["", "31", ""]);
        assert_eq!(back.strings("path").expect("path")[1], "/x/1.wav");
        assert_eq!(back.durations_s().expect("d"), [1.5, 2.5, 3.5]);
        assert_eq!(back.row_features(1).expect("row"), rows[1].features);
        let q = back.qualities().expect("quality");
        assert_eq!(q, rows.iter().map(|r| r.quality).collect::<Vec<_>>());
        assert_eq!(back.strings("quality").expect("flags"), ["", "", ""]);
        // no temporary file left behind
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");

        let csv = dir.path().join("emodb.test.csv");
        t.write_csv(&csv).expect("csv");
        let text = std::fs::read_to_string(&csv).expect("read csv");
        let header = text.lines().next().expect("header");
        assert!(header.starts_with(
            "path,corpus,speaker,sex,emotion,native_label,text,intensity,age,duration_s,\
             peak_dbfs,clipped_fraction,quality,f_0_mean"
        ));
        assert_eq!(text.lines().count(), 4);
    }

    #[test]
    fn tables_from_before_the_quality_columns_still_read() {
        let names: Vec<String> = (0..3).map(|j| format!("f_{j}_mean")).collect();
        let rows: Vec<FeatureRow> = (0..2).map(|i| row(i, 3)).collect();
        let t = FeatureTable::from_rows("test", "h", &names, &rows).expect("table");
        let legacy = t.df.drop_many(QUALITY_COLUMNS);
        assert_eq!(legacy.width(), 10 + 3);
        let back = FeatureTable::from_dataframe(legacy, t.meta().clone()).expect("reads");
        assert_eq!(back.feature_names(), names);
        assert_eq!(back.matrix().expect("m"), t.matrix().expect("m"));
        assert_eq!(back.qualities().expect("q"), vec![None, None]);
    }

    #[test]
    fn rejects_ragged_rows_and_duplicate_names() {
        let names = vec!["a".to_string(), "b".to_string()];
        let mut rows = vec![row(0, 2), row(1, 3)];
        assert!(FeatureTable::from_rows("t", "h", &names, &rows).is_err());
        rows[1] = row(1, 2);
        let dup = vec!["a".to_string(), "a".to_string()];
        assert!(FeatureTable::from_rows("t", "h", &dup, &rows).is_err());
        let meta = vec!["a".to_string(), "speaker".to_string()];
        assert!(FeatureTable::from_rows("t", "h", &meta, &rows).is_err());
        let empty = FeatureTable::from_rows("t", "h", &names, &[]).expect("empty table");
        assert_eq!(empty.n_rows(), 0);
        assert_eq!(empty.matrix().expect("m").dim(), (0, 2));
    }

    /// The float pages encoded here are byte for byte polars-parquet's: special values (NaN,
    /// signed zeros, infinities, which decide the statistics), both float widths, a column too
    /// long for one page, and the columns that keep polars' path (strings, missing values).
    #[test]
    fn own_float_pages_write_the_same_bytes_as_polars_parquet() {
        let n = 300_000; // 1.2 MB of f32: two pages
        let special = [f32::NAN, -0.0, 0.0, f32::INFINITY, f32::NEG_INFINITY, 1e-40];
        let a: Vec<f32> = (0..n)
            .map(|i| special.get(i).copied().unwrap_or((i as f32).sin() * 3.0))
            .collect();
        let zeros: Vec<f64> = (0..n)
            .map(|i| if i % 2 == 0 { -0.0 } else { 0.0 })
            .collect();
        let nan: Vec<f32> = vec![f32::NAN; n];
        let with_null: Vec<Option<f32>> = (0..n).map(|i| (i != 7).then_some(i as f32)).collect();
        let text: Vec<String> = (0..n).map(|i| format!("u{}", i % 13)).collect();
        let wide: Vec<f64> = (0..n).map(|i| (i as f64).sqrt() - 100.0).collect();
        let df = DataFrame::new(
            n,
            vec![
                Column::new("text".into(), text),
                Column::new("a".into(), a),
                Column::new("zeros".into(), zeros),
                Column::new("nan".into(), nan),
                Column::new("with_null".into(), with_null),
                Column::new("wide".into(), wide),
            ],
        )
        .unwrap();
        let kv = [("ser.test", "1".to_string())];
        let mut ours = Vec::new();
        write_parquet_pages(&mut ours, &df, &kv, true).unwrap();
        let mut theirs = Vec::new();
        write_parquet_pages(&mut theirs, &df, &kv, false).unwrap();
        assert!(ours.len() > 4 * n, "{} bytes", ours.len());
        assert!(
            ours == theirs,
            "the files differ ({} vs {} bytes)",
            ours.len(),
            theirs.len()
        );
        // and it reads back as written
        let back = ParquetReader::new(std::io::Cursor::new(ours))
            .finish()
            .unwrap();
        assert!(back.equals_missing(&df));
    }

    #[test]
    fn reading_garbage_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.parquet");
        std::fs::write(&p, b"not parquet").expect("write");
        assert!(FeatureTable::read_parquet(&p).is_err());
        assert!(FeatureTable::read_parquet(&dir.path().join("missing.parquet")).is_err());
    }
}
