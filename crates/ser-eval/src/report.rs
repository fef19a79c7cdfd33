//! Output files of a grid search: `report.md`, `results.csv`, `results.json`,
//! `predictions.csv`, `confusion_matrix.png` / `.svg` (plus one pair per protocol when several
//! are run) and `emotion_distribution.png`. Every file is written to a temporary name in the
//! output folder and renamed into place.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::cv::{ConfigResult, GridOutcome, NestedResult};
use crate::metrics::Metrics;
use crate::split::Dataset;
use crate::{Error, Result, plot};

/// Paths of the files [`write_all`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub report_md: PathBuf,
    pub results_csv: PathBuf,
    pub results_json: PathBuf,
    pub predictions_csv: PathBuf,
    pub confusion_png: PathBuf,
    pub confusion_svg: PathBuf,
    pub distribution_png: PathBuf,
}

/// Writes every output file of `outcome` (evaluated on `data`) into `out_dir` (created).
pub fn write_all(outcome: &GridOutcome, data: &Dataset, out_dir: &Path) -> Result<Written> {
    std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
    let w = Written {
        report_md: out_dir.join("report.md"),
        results_csv: out_dir.join("results.csv"),
        results_json: out_dir.join("results.json"),
        predictions_csv: out_dir.join("predictions.csv"),
        confusion_png: out_dir.join("confusion_matrix.png"),
        confusion_svg: out_dir.join("confusion_matrix.svg"),
        distribution_png: out_dir.join("emotion_distribution.png"),
    };
    ser_fs::write_bytes(&w.results_csv, results_csv(outcome)?.as_bytes())?;
    ser_fs::write_bytes(&w.results_json, &serde_json::to_vec_pretty(outcome)?)?;
    ser_fs::write_bytes(
        &w.predictions_csv,
        predictions_csv(outcome, data)?.as_bytes(),
    )?;
    let best = outcome.best();
    let title = |n: &NestedResult| {
        format!(
            "{} | {} normalisation | UAR {:.3}",
            if outcome.name.is_empty() {
                "confusion matrix"
            } else {
                &outcome.name
            },
            n.normalisation.as_str(),
            n.pooled.uar
        )
    };
    plot::confusion_png(
        &w.confusion_png,
        &best.pooled.confusion,
        &outcome.classes,
        &title(best),
    )?;
    plot::confusion_svg(
        &w.confusion_svg,
        &best.pooled.confusion,
        &outcome.classes,
        &title(best),
    )?;
    if outcome.nested.len() > 1 {
        for n in &outcome.nested {
            let stem = format!("confusion_matrix_{}", n.normalisation.as_str());
            plot::confusion_png(
                &out_dir.join(format!("{stem}.png")),
                &n.pooled.confusion,
                &outcome.classes,
                &title(n),
            )?;
            plot::confusion_svg(
                &out_dir.join(format!("{stem}.svg")),
                &n.pooled.confusion,
                &outcome.classes,
                &title(n),
            )?;
        }
    }
    plot::distribution_png(
        &w.distribution_png,
        &outcome.class_counts,
        &format!(
            "emotions: {} utterances, {} speakers",
            outcome.n_rows,
            outcome.speakers.len()
        ),
    )?;
    ser_fs::write_bytes(&w.report_md, report_md(outcome).as_bytes())?;
    Ok(w)
}

const RESULT_HEADER: [&str; 18] = [
    "normalisation",
    "selection",
    "label",
    "model",
    "params",
    "n_folds",
    "uar_mean",
    "uar_std",
    "accuracy_mean",
    "accuracy_std",
    "macro_f1_mean",
    "macro_f1_std",
    "macro_precision_mean",
    "macro_precision_std",
    "macro_recall_mean",
    "macro_recall_std",
    "pooled_uar",
    "fit_time_s",
];

/// The headline figures of one protocol, formatted as every report and front-end shows them:
/// pooled UAR, its bootstrap interval `[low, high]`, fold mean `± std`, accuracy, macro-F1.
pub fn nested_figures(n: &NestedResult) -> [String; 5] {
    [
        format!("{:.4}", n.pooled.uar),
        format!("[{:.4}, {:.4}]", n.uar_ci.low, n.uar_ci.high),
        format!("{:.4} ± {:.4}", n.summary.uar.mean, n.summary.uar.std),
        format!("{:.4}", n.pooled.accuracy),
        format!("{:.4}", n.pooled.macro_f1),
    ]
}

fn result_row(r: &ConfigResult) -> Vec<String> {
    let f = |v: f64| format!("{v:.6}");
    vec![
        r.normalisation.as_str().into(),
        r.selection.clone(),
        r.label.clone(),
        r.model.clone(),
        r.params.clone(),
        r.n_folds.to_string(),
        f(r.uar.mean),
        f(r.uar.std),
        f(r.accuracy.mean),
        f(r.accuracy.std),
        f(r.macro_f1.mean),
        f(r.macro_f1.std),
        f(r.macro_precision.mean),
        f(r.macro_precision.std),
        f(r.macro_recall.mean),
        f(r.macro_recall.std),
        f(r.pooled_uar),
        format!("{:.3}", r.fit_time_s),
    ]
}

/// `results.csv`: the nested rows first, then every candidate on the outer folds.
pub fn results_csv(outcome: &GridOutcome) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(RESULT_HEADER)?;
    for n in &outcome.nested {
        w.write_record(result_row(&n.summary))?;
    }
    for r in &outcome.all {
        w.write_record(result_row(r))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Data(format!("csv buffer: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Data(format!("csv utf-8: {e}")))
}

/// `predictions.csv` of the best protocol: one row per outer test utterance.
pub fn predictions_csv(outcome: &GridOutcome, data: &Dataset) -> Result<String> {
    let best = outcome.best();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "path",
        "corpus",
        "speaker",
        "fold",
        "truth",
        "prediction",
        "correct",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(outcome.classes.iter().map(|c| format!("p_{c}")));
    w.write_record(&header)?;
    for p in &best.predictions {
        if p.row >= data.n_rows() {
            return Err(Error::Data(format!(
                "prediction for row {} but the data set has {} rows",
                p.row,
                data.n_rows()
            )));
        }
        let mut rec = vec![
            data.paths[p.row].clone(),
            data.corpora[p.row].clone(),
            data.speakers[p.row].clone(),
            p.fold.clone(),
            outcome.classes[p.truth].clone(),
            outcome.classes[p.predicted].clone(),
            (p.truth == p.predicted).to_string(),
        ];
        match &p.proba {
            Some(pr) => rec.extend(pr.iter().map(|v| format!("{v:.5}"))),
            None => rec.extend(outcome.classes.iter().map(|_| String::new())),
        }
        w.write_record(&rec)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Data(format!("csv buffer: {e}")))?;
    String::from_utf8(bytes).map_err(|e| Error::Data(format!("csv utf-8: {e}")))
}

/// scikit-learn-style `classification_report` text.
pub fn classification_report(m: &Metrics, classes: &[String]) -> String {
    let width = classes
        .iter()
        .map(|c| c.len())
        .chain(["weighted avg".len()])
        .max()
        .unwrap_or(12);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>width$} {:>9} {:>9} {:>9} {:>9}\n",
        "", "precision", "recall", "f1-score", "support"
    );
    for (c, pc) in classes.iter().zip(&m.per_class) {
        let _ = writeln!(
            s,
            "{:>width$} {:>9.4} {:>9.4} {:>9.4} {:>9}",
            c, pc.precision, pc.recall, pc.f1, pc.support
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:>width$} {:>9} {:>9} {:>9.4} {:>9}",
        "accuracy", "", "", m.accuracy, m.n
    );
    let _ = writeln!(
        s,
        "{:>width$} {:>9.4} {:>9.4} {:>9.4} {:>9}",
        "macro avg", m.macro_precision, m.macro_recall, m.macro_f1, m.n
    );
    let wp = weighted(m, |c| c.precision);
    let wr = weighted(m, |c| c.recall);
    let _ = writeln!(
        s,
        "{:>width$} {:>9.4} {:>9.4} {:>9.4} {:>9}",
        "weighted avg", wp, wr, m.weighted_f1, m.n
    );
    s
}

fn weighted(m: &Metrics, f: fn(&crate::ClassMetrics) -> f64) -> f64 {
    m.per_class
        .iter()
        .map(|c| f(c) * c.support as f64)
        .sum::<f64>()
        / m.n.max(1) as f64
}

fn confusion_table(m: &Metrics, classes: &[String]) -> String {
    let mut s = String::from("| true \\ predicted |");
    for c in classes {
        let _ = write!(s, " {c} |");
    }
    s.push_str("\n|---|");
    for _ in classes {
        s.push_str("---:|");
    }
    s.push('\n');
    for (i, c) in classes.iter().enumerate() {
        let _ = write!(s, "| **{c}** |");
        for j in 0..classes.len() {
            let _ = write!(s, " {} |", m.confusion[[i, j]]);
        }
        s.push('\n');
    }
    s
}

/// `report.md`.
pub fn report_md(o: &GridOutcome) -> String {
    let best = o.best();
    let mut s = String::new();
    let title = if o.name.is_empty() {
        "grid search"
    } else {
        &o.name
    };
    let _ = writeln!(s, "# Speech emotion recognition: {title}\n");
    if !o.speaker_independent {
        let _ = writeln!(
            s,
            "> **WARNING: SPEAKER-DEPENDENT evaluation.** The random split puts utterances of the \
             same speakers in training and test data; these numbers overestimate performance on \
             unseen speakers and are not comparable with speaker-independent results.\n"
        );
    }
    let _ = writeln!(s, "## Result\n");
    let _ = writeln!(
        s,
        "| normalisation | UAR (pooled) | 95% CI | UAR fold mean ± std | accuracy | macro-F1 |"
    );
    let _ = writeln!(s, "|---|---:|---|---:|---:|---:|");
    for n in &o.nested {
        let [uar, ci, fold, acc, f1] = nested_figures(n);
        let best = if std::ptr::eq(n, best) { " (best)" } else { "" };
        let name = n.normalisation.as_str();
        let _ = writeln!(s, "| {name}{best} | {uar} | {ci} | {fold} | {acc} | {f1} |");
    }
    let _ = writeln!(
        s,
        "\nUAR = unweighted average recall (balanced accuracy). \"Pooled\" scores all outer test \
         predictions together; the fold mean averages the per-fold UARs. The CI is a percentile \
         bootstrap over test utterances ({} resamples, seed {}). Each protocol is a separate \
         experiment; \"best\" only marks which one the detailed sections below describe.\n",
        o.bootstrap_resamples, o.seed
    );
    let _ = writeln!(s, "## Protocol\n");
    let _ = writeln!(
        s,
        "- Data: {} utterances, {} features, {} speakers, corpora: {}{}.",
        o.n_rows,
        o.n_features,
        o.speakers.len(),
        o.corpora.join(", "),
        if o.dropped_rows > 0 {
            format!(" ({} rows with other emotions dropped)", o.dropped_rows)
        } else {
            String::new()
        }
    );
    if let Some(note) = &o.outer_note {
        let _ = writeln!(s, "- **Outer split:** {note}.");
    }
    if let Some(note) = &o.inner_note {
        let _ = writeln!(s, "- **Inner split:** {note}.");
    }
    if o.augmented_rows > 0 {
        let _ = writeln!(
            s,
            "- Augmentation: {} augmented copies of utterances, used in training folds only: a \
             copy joins a fit (outer or inner) exactly when its source utterance is a training \
             row of that fit; test rows are original utterances.",
            o.augmented_rows
        );
    }
    let _ = writeln!(
        s,
        "- Emotions ({}): {}.",
        o.classes.len(),
        o.class_counts
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "- Evaluation: {} ({}).",
        o.outer.describe(),
        if o.speaker_independent {
            "speaker-independent: no speaker is in both training and test data of any fold"
        } else {
            "SPEAKER-DEPENDENT"
        }
    );
    if o.candidates.len() > 1 {
        let _ = writeln!(
            s,
            "- Model selection (nested): in every outer fold, each of the {} candidate \
             configurations is scored by mean UAR over an inner split of the training speakers \
             only ({}); the best is refitted on all training speakers and tested once on the \
             held-out speakers. Test speakers never influence the choice of hyper-parameters.",
            o.candidates.len(),
            o.inner.describe()
        );
    } else {
        let _ = writeln!(
            s,
            "- One configuration ({}), no selection.",
            o.candidates.first().map_or("", String::as_str)
        );
    }
    for n in &o.nested {
        let _ = writeln!(
            s,
            "- Normalisation `{}`: {}.",
            n.normalisation.as_str(),
            n.normalisation.describe()
        );
    }
    let _ = writeln!(
        s,
        "- Scaler: {}; class weighting: {}; seed: {}.",
        o.scaler, o.class_weight, o.seed
    );
    let _ = writeln!(s, "- Wall time: {:.1} s.\n", o.wall_time_s);

    let _ = writeln!(
        s,
        "## Best protocol: `{}` normalisation\n",
        best.normalisation.as_str()
    );
    let _ = writeln!(
        s,
        "### Classification report (pooled outer test predictions)\n"
    );
    let _ = writeln!(
        s,
        "```\n{}```\n",
        classification_report(&best.pooled, &o.classes)
    );
    let _ = writeln!(s, "### Confusion matrix (rows: true, columns: predicted)\n");
    let _ = writeln!(s, "{}", confusion_table(&best.pooled, &o.classes));
    let _ = writeln!(s, "![confusion matrix](confusion_matrix.png)\n");
    let _ = writeln!(s, "### Per speaker\n");
    let _ = writeln!(s, "| speaker | utterances | UAR | accuracy |");
    let _ = writeln!(s, "|---|---:|---:|---:|");
    for p in &best.per_speaker {
        let _ = writeln!(
            s,
            "| {} | {} | {:.4} | {:.4} |",
            p.speaker, p.n, p.uar, p.accuracy
        );
    }
    if o.candidates.len() > 1 {
        let _ = writeln!(s, "\n### Configuration chosen in each outer fold\n");
        let _ = writeln!(s, "| fold | chosen | inner UAR | test UAR |");
        let _ = writeln!(s, "|---|---|---:|---:|");
        for ((fold, label, inner), f) in best.chosen.iter().zip(&best.summary.folds) {
            let _ = writeln!(s, "| {fold} | {label} | {inner:.4} | {:.4} |", f.uar);
        }
    }
    if !o.all.is_empty() {
        let mut rows: Vec<&ConfigResult> = o.all.iter().collect();
        rows.sort_by(|a, b| b.uar.mean.total_cmp(&a.uar.mean));
        let _ = writeln!(
            s,
            "\n## Every configuration on the outer folds\n\nFor reference only: choosing the \
             best row of this table would select on the test speakers (optimistic). Sorted by \
             mean UAR; all rows are in `results.csv`.\n"
        );
        let _ = writeln!(
            s,
            "| normalisation | configuration | UAR mean ± std | accuracy | macro-F1 | fit time (s) |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|");
        for r in rows.iter().take(30) {
            let _ = writeln!(
                s,
                "| {} | {} | {:.4} ± {:.4} | {:.4} | {:.4} | {:.1} |",
                r.normalisation.as_str(),
                r.label,
                r.uar.mean,
                r.uar.std,
                r.accuracy.mean,
                r.macro_f1.mean,
                r.fit_time_s
            );
        }
    }
    let _ = writeln!(
        s,
        "\n![emotion distribution](emotion_distribution.png)\n\nFiles: `results.csv`, \
         `results.json`, `predictions.csv` (best protocol), `confusion_matrix.png/.svg`."
    );
    s
}
