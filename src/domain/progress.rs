//! A running run's progress as its page shows it: cases done of the selection, the recent rate
//! and what is left at that rate. Samples are `(time in ms, cases done)` on the server's clock
//! (a run's trigger time and the time of its latest result), so the browser's clock never
//! enters the estimate.

/// The rate is measured over about this much recent time.
pub const WINDOW_MS: i64 = 60_000;

/// Cases done per second over the last [`WINDOW_MS`] of `samples` (oldest first): from the
/// oldest sample inside the window (or the one just before the newest, when the window holds
/// only that one) to the newest. `None` until two samples at different times show progress.
pub fn rate(samples: &[(i64, i64)]) -> Option<f64> {
    let &(t1, d1) = samples.last()?;
    let inside = samples.iter().position(|(t, _)| t1 - t <= WINDOW_MS)?;
    let from = inside.min(samples.len().saturating_sub(2));
    let (t0, d0) = samples[from];
    (t1 > t0 && d1 > d0).then(|| (d1 - d0) as f64 * 1000.0 / (t1 - t0) as f64)
}

/// Milliseconds until `remaining` cases are done at `rate` per second.
pub fn eta_ms(remaining: i64, rate: Option<f64>) -> Option<i64> {
    match rate {
        _ if remaining <= 0 => Some(0),
        Some(r) if r > 0.0 => Some((remaining as f64 / r * 1000.0).round() as i64),
        _ => None,
    }
}

/// Append a sample, keeping the list short: samples older than two windows go, and a sample
/// no newer than the last replaces nothing.
pub fn push_sample(samples: &mut Vec<(i64, i64)>, at_ms: i64, done: i64) {
    if samples.last().is_some_and(|&(t, d)| t == at_ms && d == done) {
        return;
    }
    if samples.last().is_some_and(|&(t, _)| at_ms < t) {
        return;
    }
    samples.push((at_ms, done));
    let keep_from = samples.iter().position(|(t, _)| at_ms - t <= 2 * WINDOW_MS).unwrap_or(0);
    samples.drain(..keep_from.min(samples.len().saturating_sub(2)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_over_the_recent_window() {
        assert_eq!(rate(&[]), None);
        assert_eq!(rate(&[(0, 0)]), None);
        assert_eq!(rate(&[(0, 0), (0, 10)]), None, "no time passed");
        assert_eq!(rate(&[(0, 5), (1_000, 5)]), None, "no progress");
        assert_eq!(rate(&[(0, 0), (2_000, 10)]), Some(5.0));
        // Only the last minute counts: an old slow start does not drag the rate down.
        assert_eq!(rate(&[(0, 0), (100_000, 10), (110_000, 110)]), Some(10.0));
        // One sample inside the window: measure from the one before it.
        assert_eq!(rate(&[(0, 0), (200_000, 400)]), Some(2.0));
    }

    #[test]
    fn eta_at_the_rate() {
        assert_eq!(eta_ms(0, None), Some(0));
        assert_eq!(eta_ms(10, None), None);
        assert_eq!(eta_ms(10, Some(0.0)), None);
        assert_eq!(eta_ms(10, Some(4.0)), Some(2_500));
    }

    #[test]
    fn samples_stay_few_and_in_order() {
        let mut s = vec![];
        push_sample(&mut s, 0, 0);
        push_sample(&mut s, 0, 0);
        assert_eq!(s, vec![(0, 0)], "a repeated sample is one");
        push_sample(&mut s, 5_000, 50);
        push_sample(&mut s, 4_000, 60);
        assert_eq!(s, vec![(0, 0), (5_000, 50)], "a sample from the past is dropped");
        push_sample(&mut s, 500_000, 900);
        assert_eq!(s, vec![(5_000, 50), (500_000, 900)], "old samples go, two are always kept");
    }
}
