//! The deep models' training-curve chart: written as a PNG of the documented size with every
//! curve drawn, and refused (not an empty picture) when there is nothing to draw.

use ser_eval::plot::{TRAINING_CURVE_SIZE, TrainingCurve, training_curve_png};

fn decode(path: &std::path::Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).expect("png exists");
    let decoder = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = decoder.read_info().expect("png header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame decodes");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn training_curves_are_drawn_and_empty_runs_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let curve = |label: &str, shift: f64| TrainingCurve {
        label: label.into(),
        epochs: (1..=20)
            .map(|e| {
                let t = e as f64;
                (e, 1.8 / t.sqrt() + shift, 2.0 / t.sqrt(), 0.2 + 0.02 * t)
            })
            .collect(),
    };
    let path = dir.path().join("curves.png");
    training_curve_png(&path, &[curve("a", 0.0), curve("b", 0.1)], "demo").expect("draws");
    let (w, h, pixels) = decode(&path);
    assert_eq!((w, h), TRAINING_CURVE_SIZE);
    // more than background, axes and text: the curves' colours cover a real share of pixels
    let coloured = pixels
        .chunks(3)
        .filter(|p| {
            let (r, g, b) = (i32::from(p[0]), i32::from(p[1]), i32::from(p[2]));
            (r - g).abs() > 60 || (r - b).abs() > 60 || (g - b).abs() > 60
        })
        .count();
    assert!(coloured > 2_000, "{coloured} coloured pixels");
    let empty = TrainingCurve {
        label: "none".into(),
        epochs: Vec::new(),
    };
    let missing = dir.path().join("empty.png");
    assert!(training_curve_png(&missing, &[empty], "x").is_err());
    assert!(!missing.exists());
}
