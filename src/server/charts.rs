//! Charts as SVG, drawn with plotters on the server.
//!
//! Plotters writes literal colours, so charts are drawn with placeholder colours ([`Ink`]) that
//! `style/main.css` maps to the page's CSS variables (`svg.chart [stroke="#0A0B01"] {…}`): CSS
//! beats SVG presentation attributes, so one SVG is right in the light and the dark scheme.
//! Every chart's exact values are also shown as a table beside it by the pages.
//!
//! A finished run never changes, so its charts are cached ([`cached`]).


use plotters::coord::Shift;
use plotters::prelude::*;

/// Placeholder colours; `style/main.css` maps each to a CSS variable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ink {
    Text,
    Muted,
    Grid,
    Series1,
    Series2,
    Series3,
    Series4,
    Ok,
    Fail,
    Warn,
}

impl Ink {
    /// The placeholder: distinct, never a colour a chart would pick on purpose.
    pub fn rgb(self) -> RGBColor {
        match self {
            Ink::Text => RGBColor(1, 2, 3),
            Ink::Muted => RGBColor(4, 5, 6),
            Ink::Grid => RGBColor(7, 8, 9),
            Ink::Series1 => RGBColor(10, 11, 1),
            Ink::Series2 => RGBColor(10, 11, 2),
            Ink::Series3 => RGBColor(10, 11, 3),
            Ink::Series4 => RGBColor(10, 11, 4),
            Ink::Ok => RGBColor(10, 11, 5),
            Ink::Fail => RGBColor(10, 11, 6),
            Ink::Warn => RGBColor(10, 11, 7),
        }
    }

    pub fn series(i: usize) -> Ink {
        [Ink::Series1, Ink::Series2, Ink::Series3, Ink::Series4][i % 4]
    }
}

const FONT: &str = "sans-serif";

fn text_style(size: i32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&Ink::Text.rgb())
}

fn muted_style(size: i32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&Ink::Muted.rgb())
}

/// Give the SVG root its class, an accessible name and a title; make it scale with its box.
fn finish(svg: String, label: &str) -> String {
    let label = escape(label);
    let svg = svg.replacen(
        "<svg ",
        &format!("<svg class=\"chart\" role=\"img\" aria-label=\"{label}\" preserveAspectRatio=\"xMinYMin meet\" "),
        1,
    );
    match svg.find('>') {
        Some(i) => format!("{}<title>{label}</title>{}", &svg[..=i], &svg[i + 1..]),
        None => svg,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn draw<F>(size: (u32, u32), label: &str, f: F) -> String
where
    F: FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), DrawingAreaErrorKind<std::io::Error>>,
{
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size).into_drawing_area();
        // Drawing into a string cannot fail for I/O; a range error leaves a partial chart,
        // which is still better than no page.
        if let Err(e) = f(&root) {
            tracing::warn!("chart '{label}': {e}");
        }
        let _ = root.present();
    }
    finish(out, label)
}

/// One line of a trend chart: x is epoch milliseconds.
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub ink: Ink,
    pub points: Vec<(i64, f64)>,
    /// Points drawn as hollow markers without a line (sampled runs).
    pub apart: bool,
}

/// A vertical mark at time `x` (a version change).
#[derive(Clone, Debug)]
pub struct Mark {
    pub x: i64,
    pub label: String,
}

fn day_label(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%b %d").to_string()).unwrap_or_default()
}

/// Values over time, y from 0 to `y_max`, with vertical marks and a legend.
pub fn trend(label: &str, series: &[Series], marks: &[Mark], y_max: f64, size: (u32, u32)) -> String {
    let xs = series.iter().flat_map(|s| s.points.iter().map(|p| p.0)).chain(marks.iter().map(|m| m.x));
    let (lo, hi) = xs.fold((i64::MAX, i64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let (lo, hi) = if lo > hi { (0, 1) } else if lo == hi { (lo - 43_200_000, hi + 43_200_000) } else { (lo, hi) };
    let pad = ((hi - lo) / 40).max(1);
    let (x0, x1) = ((lo - pad) as f64, (hi + pad) as f64);
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    draw(size, label, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(6)
            .margin_right(14)
            .x_label_area_size(22)
            .y_label_area_size(38)
            .build_cartesian_2d(x0..x1, 0f64..y_max * 1.02)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .x_labels(6)
            .y_labels(5)
            .bold_line_style(Ink::Grid.rgb())
            .axis_style(Ink::Muted.rgb())
            .label_style(muted_style(11))
            .x_label_formatter(&|x| day_label(*x as i64))
            .y_label_formatter(&|y| trim_num(*y))
            .draw()?;
        for m in marks {
            let x = m.x as f64;
            chart.draw_series(std::iter::once(PathElement::new(vec![(x, 0.0), (x, y_max)], Ink::Warn.rgb().stroke_width(1))))?;
            // Labels near the right edge hang to the left of their mark.
            let right = (x - x0) / (x1 - x0) > 0.75;
            let anchor = if right { plotters::style::text_anchor::HPos::Right } else { plotters::style::text_anchor::HPos::Left };
            let style = muted_style(10).pos(plotters::style::text_anchor::Pos::new(anchor, plotters::style::text_anchor::VPos::Top));
            chart.draw_series(std::iter::once(Text::new(format!(" {} ", m.label), (x, y_max), style)))?;
        }
        for s in series {
            let ink = s.ink.rgb();
            let pts: Vec<(f64, f64)> = s.points.iter().map(|&(x, y)| (x as f64, y)).collect();
            if s.apart {
                chart
                    .draw_series(pts.iter().map(|&p| Circle::new(p, 3, ink.stroke_width(1))))?
                    .label(s.name.clone())
                    .legend(move |(x, y)| Circle::new((x + 6, y), 3, ink.stroke_width(1)));
            } else {
                chart
                    .draw_series(LineSeries::new(pts.clone(), ink.stroke_width(2)))?
                    .label(s.name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 14, y)], ink.stroke_width(2)));
                chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, ink.filled())))?;
            }
        }
        if !series.is_empty() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::LowerLeft)
                .label_font(text_style(11))
                .border_style(Ink::Grid.rgb())
                .background_style(Ink::Grid.rgb().mix(0.0))
                .draw()?;
        }
        Ok(())
    })
}

/// A histogram: `counts[i]` results fell in `[i, i+1) × y_max / counts.len()` (the last bucket
/// includes `y_max`).
pub fn histogram(label: &str, counts: &[u64], x_max: f64, size: (u32, u32)) -> String {
    let n = counts.len().max(1);
    let top = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let x_max = if x_max > 0.0 { x_max } else { 1.0 };
    let w = x_max / n as f64;
    draw(size, label, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(6)
            .margin_right(14)
            .x_label_area_size(22)
            .y_label_area_size(38)
            .build_cartesian_2d(0f64..x_max, 0f64..top * 1.08)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_x_mesh()
            .x_labels(6)
            .y_labels(4)
            .bold_line_style(Ink::Grid.rgb())
            .axis_style(Ink::Muted.rgb())
            .label_style(muted_style(11))
            .x_label_formatter(&|x| trim_num(*x))
            .y_label_formatter(&|y| format!("{}", y.round() as i64))
            .draw()?;
        chart.draw_series(counts.iter().enumerate().map(|(i, &c)| {
            let x = i as f64 * w;
            Rectangle::new([(x + w * 0.06, 0.0), (x + w * 0.94, c as f64)], Ink::Series1.rgb().filled())
        }))?;
        Ok(())
    })
}

/// Horizontal bars, one per item, over `range`. When the range spans zero, bars grow from zero
/// and take the ok/fail colour of their sign (deltas).
pub fn bars(label: &str, items: &[(String, f64)], range: (f64, f64), size: (u32, u32)) -> String {
    let (lo, hi) = if range.0 < range.1 { range } else { (0.0, 1.0) };
    let signed = lo < 0.0 && hi > 0.0;
    let n = items.len().max(1) as f64;
    let names: Vec<String> = items.iter().map(|(k, _)| k.chars().take(28).collect()).collect();
    let longest = names.iter().map(|k| k.chars().count()).max().unwrap_or(4);
    draw(size, label, |root| {
        let mut chart = ChartBuilder::on(root)
            .margin(6)
            .margin_right(16)
            .x_label_area_size(22)
            .y_label_area_size((longest as u32 * 7 + 12).max(40))
            .build_cartesian_2d(lo..hi, 0f64..n)?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .disable_y_mesh()
            .x_labels(5)
            .y_labels(0)
            .bold_line_style(Ink::Grid.rgb())
            .axis_style(Ink::Muted.rgb())
            .label_style(muted_style(11))
            .x_label_formatter(&|x| trim_num(*x))
            .draw()?;
        let base = if signed { 0.0 } else { lo };
        // Item 0 at the top.
        let row = |i: usize| n - i as f64;
        chart.draw_series(items.iter().enumerate().map(|(i, (_, v))| {
            let ink = if !signed {
                Ink::Series1
            } else if *v < 0.0 {
                Ink::Fail
            } else {
                Ink::Ok
            };
            let v = v.clamp(lo, hi);
            Rectangle::new([(base.min(v), row(i) - 0.18), (base.max(v), row(i) - 0.82)], ink.rgb().filled())
        }))?;
        if signed {
            chart.draw_series(std::iter::once(PathElement::new(vec![(0.0, 0.0), (0.0, n)], Ink::Muted.rgb())))?;
        }
        let style = text_style(11).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Right,
            plotters::style::text_anchor::VPos::Center,
        ));
        for (i, name) in names.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(lo, row(i) - 0.5));
            root.draw_text(name, &style, (x - 6, y))?;
        }
        Ok(())
    })
}

/// A small line without axes: values from 0 to `y_max`, in order.
pub fn sparkline(label: &str, values: &[f64], y_max: f64, size: (u32, u32)) -> String {
    let y_max = if y_max > 0.0 { y_max } else { 1.0 };
    let n = values.len().max(2) as f64 - 1.0;
    draw(size, label, |root| {
        let mut chart = ChartBuilder::on(root).margin(3).build_cartesian_2d(0f64..n, 0f64..y_max)?;
        let pts: Vec<(f64, f64)> = values.iter().enumerate().map(|(i, v)| (i as f64, v.clamp(0.0, y_max))).collect();
        chart.draw_series(LineSeries::new(pts.clone(), Ink::Series1.rgb().stroke_width(1)))?;
        if let Some(&last) = pts.last() {
            chart.draw_series(std::iter::once(Circle::new(last, 2, Ink::Series1.rgb().filled())))?;
        }
        Ok(())
    })
}

/// A number without trailing zeros, for axis labels.
fn trim_num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(ink: Ink) -> String {
        let c = ink.rgb();
        format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
    }

    #[test]
    fn placeholders_are_what_the_stylesheet_maps() {
        let css = include_str!("../../style/main.css");
        for ink in [Ink::Text, Ink::Muted, Ink::Grid, Ink::Series1, Ink::Series2, Ink::Series3, Ink::Series4, Ink::Ok, Ink::Fail, Ink::Warn] {
            let h = hex(ink);
            assert!(css.contains(&format!("[fill=\"{h}\"]")), "style/main.css maps no fill {h} ({ink:?})");
            assert!(css.contains(&format!("[stroke=\"{h}\"]")), "style/main.css maps no stroke {h} ({ink:?})");
        }
    }

    #[test]
    fn trend_draws_points_marks_and_legend_with_placeholder_inks() {
        let day = 86_400_000;
        let s = vec![
            Series { name: "mean score".into(), ink: Ink::Series1, points: vec![(0, 0.5), (day, 0.7), (2 * day, 0.6)], apart: false },
            Series { name: "sampled".into(), ink: Ink::Series2, points: vec![(day, 0.4)], apart: true },
        ];
        let svg = trend("Trend <x>", &s, &[Mark { x: day, label: "wf v2".into() }], 1.0, (600, 200));
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-label=\"Trend &lt;x&gt;\""), "{}", &svg[..200]);
        assert!(svg.contains("<title>Trend &lt;x&gt;</title>"));
        assert!(svg.contains(&format!("stroke=\"{}\"", hex(Ink::Series1))));
        assert!(svg.contains(&format!("stroke=\"{}\"", hex(Ink::Warn))), "the version mark is drawn");
        assert!(svg.contains("wf v2") && svg.contains("mean score") && svg.contains("sampled"));
        assert!(svg.contains("Jan 01"), "x axis labels are dates");
        // No colour outside the placeholders leaks in (it would not follow the scheme).
        for cap in svg.split("=\"#").skip(1) {
            let c = &cap[..6];
            assert!(c.starts_with("0") , "unmapped colour #{c}");
        }
    }

    #[test]
    fn untrusted_labels_are_escaped() {
        let svg = bars("dims", &[("<script>alert(1)</script>".into(), 0.5)], (0.0, 1.0), (400, 100));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn signed_bars_colour_by_sign() {
        let svg = bars("deltas", &[("up".into(), 0.2), ("down".into(), -0.1)], (-0.3, 0.3), (400, 120));
        assert!(svg.contains(&format!("fill=\"{}\"", hex(Ink::Ok))));
        assert!(svg.contains(&format!("fill=\"{}\"", hex(Ink::Fail))));
        let plain = bars("dims", &[("a".into(), 0.2)], (0.0, 1.0), (400, 80));
        assert!(!plain.contains(&format!("fill=\"{}\"", hex(Ink::Fail))));
    }

    #[test]
    fn histogram_draws_a_bar_per_bucket() {
        let svg = histogram("scores", &[3, 0, 5, 1], 1.0, (400, 160));
        let bars = svg.matches(&format!("fill=\"{}\"", hex(Ink::Series1))).count();
        assert_eq!(bars, 4, "empty buckets still draw a (zero-height) bar: {svg}");
    }

    #[test]
    fn sparkline_survives_one_point_and_none() {
        assert!(sparkline("one", &[0.5], 1.0, (80, 20)).contains("<svg"));
        assert!(sparkline("none", &[], 1.0, (80, 20)).contains("<svg"));
    }
}
