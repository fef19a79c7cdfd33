//! The tensor file beside a wide feature table (a sequence set's rows, thousands of values
//! each): one `f32` matrix `(rows, features)` in the safetensors layout — an 8-byte
//! little-endian header length, a JSON header (`{"features": {"dtype": "F32", "shape": [rows,
//! features], "data_offsets": [0, bytes]}, "__metadata__": {...}}`, padded with spaces to a
//! multiple of 8), then the values little-endian in row-major order — so Python reads it with
//! `safetensors.numpy.load_file`. The metadata carry the feature set, its configuration hash,
//! the table id (a hash of the values that the Parquet table records too, so a tensor file and a
//! table written apart are never paired) and the feature names (JSON list).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use ndarray::Array2;
use serde_json::{Value, json};

use crate::{Error, Result};

/// Name of the tensor in the file.
const TENSOR_NAME: &str = "features";
/// Largest header accepted when reading (the feature names of 100k features fit easily).
const MAX_HEADER_BYTES: u64 = 64 << 20;

/// The tensor file of the table at `table` (`x.parquet` → `x.tensor.safetensors`).
pub fn tensor_path(table: &Path) -> PathBuf {
    let name = table
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".parquet").unwrap_or(&name);
    table.with_file_name(format!("{stem}.tensor.safetensors"))
}

/// Writes `m` with `metadata` to `path` atomically (temporary file, fsync, rename).
pub fn write_tensor(
    path: &Path,
    m: &Array2<f32>,
    metadata: &BTreeMap<String, String>,
) -> Result<()> {
    let (rows, cols) = m.dim();
    let bytes = rows * cols * 4;
    let header = json!({
        TENSOR_NAME: {"dtype": "F32", "shape": [rows, cols], "data_offsets": [0, bytes]},
        "__metadata__": metadata,
    });
    let mut h = serde_json::to_vec(&header).map_err(|e| Error::Table {
        path: path.to_path_buf(),
        reason: format!("tensor header: {e}"),
    })?;
    while h.len() % 8 != 0 {
        h.push(b' ');
    }
    ser_fs::write_atomic(path, |w| {
        let io = |e| Error::io(path, e);
        w.write_all(&(h.len() as u64).to_le_bytes()).map_err(io)?;
        w.write_all(&h).map_err(io)?;
        for v in m.iter() {
            w.write_all(&v.to_le_bytes()).map_err(io)?;
        }
        Ok(())
    })
}

/// Reads a file written by [`write_tensor`]: the matrix and the metadata. Every size is checked
/// against the file's length before anything is allocated.
pub fn read_tensor(path: &Path) -> Result<(Array2<f32>, BTreeMap<String, String>)> {
    let bad = |reason: String| Error::Table {
        path: path.to_path_buf(),
        reason,
    };
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let file_len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    let mut len8 = [0u8; 8];
    f.read_exact(&mut len8).map_err(|e| Error::io(path, e))?;
    let header_len = u64::from_le_bytes(len8);
    if header_len > MAX_HEADER_BYTES || 8 + header_len > file_len {
        return Err(bad(format!(
            "tensor header of {header_len} bytes in a file of {file_len}"
        )));
    }
    let mut h = vec![0u8; header_len as usize];
    f.read_exact(&mut h).map_err(|e| Error::io(path, e))?;
    let header: Value =
        serde_json::from_slice(&h).map_err(|e| bad(format!("tensor header: {e}")))?;
    let t = &header[TENSOR_NAME];
    if t["dtype"] != "F32" {
        return Err(bad(format!("tensor dtype {}, expected F32", t["dtype"])));
    }
    let dims: Vec<u64> = t["shape"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    let [rows, cols] = dims[..] else {
        return Err(bad(format!(
            "tensor shape {}, expected [rows, features]",
            t["shape"]
        )));
    };
    let bytes = rows
        .checked_mul(cols)
        .and_then(|n| n.checked_mul(4))
        .filter(|&b| b == file_len - 8 - header_len)
        .ok_or_else(|| {
            bad(format!(
                "tensor of shape [{rows}, {cols}] but {} bytes of data",
                file_len - 8 - header_len
            ))
        })?;
    let mut data = vec![0u8; bytes as usize];
    f.read_exact(&mut data).map_err(|e| Error::io(path, e))?;
    let values: Vec<f32> = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let m = Array2::from_shape_vec((rows as usize, cols as usize), values)
        .map_err(|e| bad(format!("tensor shape: {e}")))?;
    let metadata = header["__metadata__"]
        .as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default();
    Ok((m, metadata))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_truncation() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.tensor.safetensors");
        let m = Array2::from_shape_fn((3, 5), |(i, j)| i as f32 * 10.0 + j as f32 - 0.5);
        let meta = BTreeMap::from([("k".to_string(), "v".to_string())]);
        write_tensor(&p, &m, &meta).expect("write");
        let (back, md) = read_tensor(&p).expect("read");
        assert_eq!(back, m);
        assert_eq!(md, meta);
        let bytes = std::fs::read(&p).expect("bytes");
        std::fs::write(&p, &bytes[..bytes.len() - 4]).expect("truncate");
        let e = read_tensor(&p).expect_err("truncated");
        assert!(e.to_string().contains("bytes of data"), "{e}");
        assert_eq!(
            tensor_path(Path::new("/x/emodb.logmel.parquet")),
            Path::new("/x/emodb.logmel.tensor.safetensors")
        );
    }
}
