//! The book's loss plot (figure 5.12): training and validation loss against tokens seen.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;

use crate::error::TrainError;
use crate::metrics_csv::StepRecord;

/// DejaVu Sans cut down to ASCII (see `assets/README.md`), so the plot needs no system fonts.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans-ascii.ttf");
const FONT_NAME: &str = "sans-serif";

/// Draws `rows` into a PNG at `path`: every step's training loss and the validation loss of
/// the evaluation steps, against tokens seen.
pub fn plot_losses(rows: &[StepRecord], path: &Path) -> Result<(), TrainError> {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        plotters::style::register_font(FONT_NAME, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("the embedded font is a valid TrueType file"));
    });
    if rows.is_empty() {
        return Err(TrainError::Invalid(format!("{}: no training steps to plot", path.display())));
    }
    let tmp = path.with_extension("png.tmp.png");
    draw(rows, &tmp).map_err(|e| TrainError::Invalid(format!("{}: plotting failed: {e}", path.display())))?;
    std::fs::rename(&tmp, path).map_err(|e| TrainError::io(path, e))
}

fn draw(rows: &[StepRecord], path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let train: Vec<(f64, f64)> = rows.iter().map(|r| (r.tokens_seen as f64, r.train_loss)).collect();
    let val: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| r.val_loss.map(|v| (r.tokens_seen as f64, v)))
        .collect();
    let x_max = train.last().map_or(1.0, |p| p.0).max(1.0);
    let losses = train.iter().chain(&val).map(|p| p.1).filter(|v| v.is_finite());
    let y_max = losses.clone().fold(f64::MIN, f64::max).max(0.1) * 1.05;
    let y_min = losses.fold(f64::MAX, f64::min).min(y_max).max(0.0) * 0.95;

    let root = BitMapBackend::new(path, (900, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Training and validation loss", (FONT_NAME, 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..x_max, y_min..y_max)?;
    chart
        .configure_mesh()
        .x_desc("Tokens seen")
        .x_label_formatter(&|x| format!("{}", *x as u64))
        .y_desc("Loss")
        .label_style((FONT_NAME, 14))
        .axis_desc_style((FONT_NAME, 16))
        .draw()?;
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(255, 127, 14);
    chart
        .draw_series(LineSeries::new(train, blue.stroke_width(2)))?
        .label("Training loss")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], blue.stroke_width(2)));
    chart
        .draw_series(LineSeries::new(val.clone(), orange.stroke_width(2)))?
        .label("Validation loss")
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], orange.stroke_width(2)));
    chart.draw_series(val.iter().map(|&p| Circle::new(p, 3, orange.filled())))?;
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT_NAME, 14))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_png_of_the_losses() {
        let rows: Vec<StepRecord> = (1..=20)
            .map(|step| StepRecord {
                step,
                epoch: 1 + step / 10,
                tokens_seen: step * 512,
                train_loss: 10.0 / step as f64,
                val_loss: (step % 5 == 1).then(|| 6.0 + 4.0 / step as f64),
                lr: 4e-4,
                tokens_per_s: 1000.0,
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loss.png");
        plot_losses(&rows, &path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        // 900 x 540 in the IHDR chunk.
        assert_eq!(u32::from_be_bytes(bytes[16..20].try_into().unwrap()), 900);
        assert_eq!(u32::from_be_bytes(bytes[20..24].try_into().unwrap()), 540);
        assert!(plot_losses(&[], &path).is_err());
    }
}
