//! Lines and paragraphs from where a PDF paints its text.
//!
//! A PDF has no paragraphs, only text placed on the page. Word processors
//! leave more space between paragraphs than between the lines of one, so a
//! gap clearly wider than the page's usual line spacing ends a paragraph,
//! and the lines inside a paragraph are joined back into running text.

/// A line of text at one height on the page.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Line {
    y: f64,
    text: String,
    /// Which `BT … ET` text object the line's last run came from.
    text_object: u32,
}

/// Two runs whose baselines are this close (in points) share a line.
const SAME_LINE: f64 = 1.0;

/// A gap this many times the usual line spacing ends a paragraph.
const PARAGRAPH_GAP: f64 = 1.4;

/// A step this small, against the usual line spacing, is text raised or
/// lowered on its own line.
const RAISED: f64 = 0.5;

/// The text state's vertical position (PDF 32000 §9.4.2): the text line
/// matrix's translation and vertical scale, and the leading.
#[derive(Debug)]
pub(super) struct TextPosition {
    y: f64,
    scale: f64,
    leading: f64,
    text_object: u32,
}

impl Default for TextPosition {
    fn default() -> Self {
        Self {
            y: 0.0,
            scale: 1.0,
            leading: 0.0,
            text_object: 0,
        }
    }
}

impl TextPosition {
    /// `BT`: the matrices start again from the identity.
    pub(super) fn begin_text(&mut self) {
        self.y = 0.0;
        self.scale = 1.0;
        self.text_object += 1;
    }

    /// `TL`.
    pub(super) fn set_leading(&mut self, leading: Option<f64>) {
        if let Some(leading) = leading.filter(|l| l.is_finite()) {
            self.leading = leading;
        }
    }

    /// `Td`, or `TD` when it also sets the leading.
    pub(super) fn move_line(&mut self, ty: Option<f64>, sets_leading: bool) {
        let Some(ty) = ty.filter(|t| t.is_finite()) else {
            return;
        };
        self.y += ty * self.scale;
        if sets_leading {
            self.leading = -ty;
        }
    }

    /// `Tm`, from its vertical scale `d` and vertical translation `f`.
    pub(super) fn set_matrix(&mut self, d: Option<f64>, f: Option<f64>) {
        if let (Some(d), Some(f)) = (d, f)
            && d.is_finite()
            && f.is_finite()
        {
            self.scale = if d == 0.0 { 1.0 } else { d };
            self.y = f;
        }
    }

    /// `T*`, and the first step of `'` and `"`.
    pub(super) fn next_line(&mut self) {
        self.y -= self.leading * self.scale;
    }

    pub(super) fn y(&self) -> (f64, u32) {
        (self.y, self.text_object)
    }
}

/// Adds painted text at a position: to the line at that height, or as a new
/// line.
pub(super) fn add_run(lines: &mut Vec<Line>, (y, text_object): (f64, u32), text: String) {
    if text.is_empty() {
        return;
    }
    match lines.last_mut() {
        Some(line) if (line.y - y).abs() < SAME_LINE => {
            // Runs from separate text objects on one line are usually words
            // placed apart; runs within one object carry their own spaces.
            if line.text_object != text_object
                && !line.text.ends_with(char::is_whitespace)
                && !text.starts_with(char::is_whitespace)
            {
                line.text.push(' ');
            }
            line.text.push_str(&text);
            line.text_object = text_object;
        }
        _ => lines.push(Line {
            y,
            text,
            text_object,
        }),
    }
}

/// The page's paragraphs, each as running text.
pub(super) fn paragraphs(lines: &[Line]) -> Vec<String> {
    let lines: Vec<&Line> = lines.iter().filter(|l| !l.text.trim().is_empty()).collect();
    let steps: Vec<f64> = lines.windows(2).map(|w| w[0].y - w[1].y).collect();
    // Text usually runs down the page (y falling); a page drawn upside down
    // and flipped by its matrix runs the other way.
    let downward = steps.iter().filter(|s| **s > 0.0).count() * 2 >= steps.len();
    // Steps back up the page (a raised footnote mark) say nothing of the spacing.
    let usual = median(
        steps
            .iter()
            .filter(|s| (**s > 0.0) == downward)
            .map(|s| s.abs())
            .filter(|s| *s >= SAME_LINE),
    );
    let mut paragraphs = Vec::new();
    let mut current = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            let step = steps[i - 1];
            // A superscript or a subscript sits a little off the line.
            let raised = usual.is_some_and(|usual| step.abs() < usual * RAISED);
            let backwards = (step > 0.0) != downward;
            let wide = usual.is_some_and(|usual| step.abs() > usual * PARAGRAPH_GAP);
            if !raised && (backwards || wide) {
                paragraphs.push(std::mem::take(&mut current));
            }
        }
        join_line(&mut current, line.text.trim());
    }
    if !current.is_empty() {
        paragraphs.push(current);
    }
    paragraphs
}

/// A line joins the paragraph's running text; a word broken with a hyphen
/// at the line's end stays joined to its other half.
fn join_line(paragraph: &mut String, line: &str) {
    if !paragraph.is_empty() && !paragraph.ends_with('-') {
        paragraph.push(' ');
    }
    paragraph.push_str(line);
}

fn median(values: impl Iterator<Item = f64>) -> Option<f64> {
    let mut values: Vec<f64> = values.collect();
    values.sort_by(f64::total_cmp);
    // The lower median: with two gaps, the narrower is the line spacing.
    values.get(values.len().saturating_sub(1) / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(lines: &[(f64, &str)]) -> Vec<Line> {
        let mut out = Vec::new();
        for (i, (y, text)) in lines.iter().enumerate() {
            add_run(&mut out, (*y, i as u32), text.to_string());
        }
        out
    }

    #[test]
    fn a_wider_gap_ends_a_paragraph_and_lines_run_on() {
        let lines = page(&[
            (700.0, "The central bank must"),
            (686.0, "stay neutral."),
            (664.0, "A second paragraph, well-"),
            (650.0, "known and short."),
        ]);
        assert_eq!(
            paragraphs(&lines),
            [
                "The central bank must stay neutral.",
                "A second paragraph, well-known and short."
            ]
        );
    }

    #[test]
    fn a_raised_footnote_mark_stays_on_its_line() {
        let lines = page(&[
            (700.0, "A claim"),
            (704.0, "1"),
            (700.0, "and more."),
            (686.0, "Next line."),
            (672.0, "Last line."),
        ]);
        assert_eq!(
            paragraphs(&lines),
            ["A claim 1 and more. Next line. Last line."]
        );
    }

    #[test]
    fn lines_evenly_spaced_are_one_paragraph() {
        let lines = page(&[(700.0, "one"), (686.0, "two"), (672.0, "three")]);
        assert_eq!(paragraphs(&lines), ["one two three"]);
    }

    #[test]
    fn a_flipped_page_reads_the_same() {
        let lines = page(&[
            (100.0, "First line"),
            (114.0, "of the first."),
            (140.0, "Second."),
        ]);
        assert_eq!(paragraphs(&lines), ["First line of the first.", "Second."]);
    }

    #[test]
    fn runs_on_one_line_join_with_a_space_between_text_objects() {
        let mut lines = Vec::new();
        add_run(&mut lines, (700.0, 1), "Hello".into());
        add_run(&mut lines, (700.2, 2), "world".into());
        add_run(&mut lines, (700.0, 2), "!".into());
        assert_eq!(paragraphs(&lines), ["Hello world!"]);
    }

    #[test]
    fn the_text_position_follows_the_operators() {
        let mut position = TextPosition::default();
        position.begin_text();
        position.set_matrix(Some(1.0), Some(700.0));
        position.set_leading(Some(14.0));
        position.next_line();
        assert_eq!(position.y().0, 686.0);
        position.move_line(Some(-20.0), true);
        assert_eq!(position.y().0, 666.0);
        position.next_line();
        assert_eq!(position.y().0, 646.0);
        position.move_line(Some(f64::NAN), false);
        assert_eq!(position.y().0, 646.0);
    }
}
