//! The per-epoch progress bar of deep-model fits (`ser_models::set_progress`), shared by
//! `train` and `fusion`.

use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

/// Installs a progress bar updated after every epoch; dropping the guard removes it.
pub struct EpochBar(ProgressBar);

impl EpochBar {
    pub fn install() -> EpochBar {
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("  epoch {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let b = bar.clone();
        ser_models::set_progress(Some(Arc::new(move |p: &ser_models::EpochProgress| {
            b.set_length(p.max_epochs as u64);
            b.set_position(p.record.epoch as u64);
            b.set_message(format!(
                "loss {:.3}  val loss {:.3}  val UAR {:.3} (best {:.3})  {:.0} s",
                p.record.train_loss,
                p.record.val_loss,
                p.record.val_uar,
                p.best_val_uar,
                p.record.elapsed_s
            ));
        })));
        EpochBar(bar)
    }
}

impl Drop for EpochBar {
    fn drop(&mut self) {
        ser_models::set_progress(None);
        self.0.finish_and_clear();
    }
}
