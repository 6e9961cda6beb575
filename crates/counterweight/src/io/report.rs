//! `report.html`: one self-contained page (inline CSS, inline SVG charts, no scripts, no
//! external resources) that opens from disk with no server.

use std::fmt::Write as _;

/// A chart to show in the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The chart's name, used as the figure's accessible label (`aria-label`).
    pub title: String,
    /// Text under the chart, before the file links ("" for none).
    pub caption: String,
    /// The SVG text, inlined as is.
    pub svg: String,
    /// File names (relative to the report) of the chart's SVG and PNG, linked below it.
    pub files: Vec<String>,
}

/// Everything the report shows. All text is HTML-escaped; only `Figure::svg` is inlined raw.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// The page title and heading.
    pub title: String,
    /// Short facts shown under the title: ("model", "growth"), ("seed", "42"), ...
    pub meta: Vec<(String, String)>,
    /// The scenario's description, shown as a paragraph with its line breaks (omitted
    /// when blank).
    pub description: String,
    /// Remarks listed under the description (e.g. replicates that stopped early).
    pub notes: Vec<String>,
    /// The headline numbers, as (label, formatted value), in a "Key numbers" table.
    pub key_numbers: Vec<(String, String)>,
    /// A final-values table: column headers (first is the row label header) and rows.
    pub final_table: Option<(Vec<String>, Vec<Vec<String>>)>,
    /// Footnotes under the final-values table (e.g. which confidence interval it shows).
    pub table_notes: Vec<String>,
    /// Show the final-values table after the charts, folded in a `<details>` block when
    /// it is long (a sweep's table of points), instead of before them.
    pub table_after_charts: bool,
    /// The charts, in order, under "Charts".
    pub figures: Vec<Figure>,
    /// Data files (relative names) with a short description each.
    pub files: Vec<(String, String)>,
    /// The resolved scenario (TOML), shown in a collapsible block.
    pub scenario_toml: String,
}

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Percent-encode a relative file name for use in `href` (keeps `/`, letters, digits, `-._~`).
fn href(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Drop an XML declaration or doctype before the `<svg` element, if any.
fn svg_body(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

const CSS: &str = r#"
:root { --ink:#1f2328; --muted:#5b6470; --line:#e3e6ea; --accent:#0072b2; --bg:#fbfbfa; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 16px/1.55 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 2.2rem 1.4rem 4rem; }
h1 { font-size: 2rem; margin: 0 0 .3rem; letter-spacing: -.01em; }
h2 { font-size: 1.25rem; margin: 2.4rem 0 .8rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
.meta { color: var(--muted); margin: 0 0 1.2rem; font-size: .95rem; }
.meta span + span::before { content: "·"; margin: 0 .55rem; color: #b0b6bd; }
.meta b { font-weight: 600; color: var(--ink); }
.description { font-size: 1.05rem; max-width: 46rem; white-space: pre-wrap; }
.notes { color: var(--muted); font-size: .95rem; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; background:#fff;
  border: 1px solid var(--line); border-radius: 6px; overflow: hidden; }
th, td { padding: .42rem .9rem; text-align: left; border-bottom: 1px solid var(--line); }
tr:last-child td { border-bottom: none; }
th { background: #f3f4f6; font-weight: 600; font-size: .9rem; }
td.num { text-align: right; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .92rem; }
.key td:first-child { color: var(--muted); }
.key td:last-child { font-weight: 600; }
.scroll { overflow-x: auto; }
figure { margin: 1.6rem 0 2.4rem; background:#fff; border:1px solid var(--line); border-radius: 8px; padding: .8rem; }
figure svg { display:block; width:100%; height:auto; }
figcaption { color: var(--muted); font-size: .92rem; margin-top: .5rem; padding: 0 .3rem; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
ul.files { padding-left: 1.2rem; }
ul.files code { font-size: .95rem; }
details { margin-top: .6rem; }
summary { cursor: pointer; color: var(--accent); }
pre { background:#f6f8fa; border:1px solid var(--line); border-radius:6px; padding: 1rem; overflow-x:auto;
  font: 13px/1.45 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
footer { margin-top: 3rem; color: var(--muted); font-size: .85rem; }
"#;

/// Render the report as one HTML document.
pub fn render_html(r: &Report) -> String {
    let mut h =
        String::with_capacity(64 * 1024 + r.figures.iter().map(|f| f.svg.len()).sum::<usize>());
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(&r.title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", escape(&r.title));
    if !r.meta.is_empty() {
        h.push_str("<p class=\"meta\">");
        for (k, v) in &r.meta {
            let _ = write!(h, "<span>{} <b>{}</b></span>", escape(k), escape(v));
        }
        h.push_str("</p>\n");
    }
    if !r.description.trim().is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"description\">{}</p>",
            escape(r.description.trim())
        );
    }
    if !r.notes.is_empty() {
        h.push_str("<ul class=\"notes\">\n");
        for n in &r.notes {
            let _ = writeln!(h, "<li>{}</li>", escape(n));
        }
        h.push_str("</ul>\n");
    }

    if !r.key_numbers.is_empty() {
        h.push_str("<h2>Key numbers</h2>\n<table class=\"key\">\n");
        for (k, v) in &r.key_numbers {
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                escape(k),
                escape(v)
            );
        }
        h.push_str("</table>\n");
    }

    if !r.table_after_charts {
        final_table(&mut h, r);
    }

    if !r.figures.is_empty() {
        h.push_str("<h2>Charts</h2>\n");
        for f in &r.figures {
            let _ = writeln!(h, "<figure aria-label=\"{}\">", escape(&f.title));
            h.push_str(svg_body(&f.svg));
            h.push_str("\n<figcaption>");
            if !f.caption.is_empty() {
                h.push_str(&escape(&f.caption));
                h.push(' ');
            }
            let links: Vec<String> = f
                .files
                .iter()
                .map(|n| format!("<a href=\"{}\">{}</a>", href(n), escape(n)))
                .collect();
            if !links.is_empty() {
                let _ = write!(h, "({})", links.join(", "));
            }
            h.push_str("</figcaption>\n</figure>\n");
        }
    }

    if r.table_after_charts {
        final_table(&mut h, r);
    }

    if !r.files.is_empty() {
        h.push_str("<h2>Data files</h2>\n<ul class=\"files\">\n");
        for (name, what) in &r.files {
            let _ = writeln!(
                h,
                "<li><a href=\"{}\"><code>{}</code></a> — {}</li>",
                href(name),
                escape(name),
                escape(what)
            );
        }
        h.push_str("</ul>\n");
    }

    if !r.scenario_toml.trim().is_empty() {
        h.push_str(
            "<h2>Scenario</h2>\n<details>\n<summary>Resolved scenario (TOML)</summary>\n<pre>",
        );
        h.push_str(&escape(&r.scenario_toml));
        h.push_str("</pre>\n</details>\n");
    }
    h.push_str("<footer>Generated by counterweight.</footer>\n</main>\n</body>\n</html>\n");
    h
}

/// Rows of the final-values table from which it is folded when shown after the charts.
const FOLD_ROWS: usize = 20;

/// The "Final values" table and its footnotes.
fn final_table(h: &mut String, r: &Report) {
    let Some((headers, rows)) = &r.final_table else {
        return;
    };
    h.push_str("<h2>Final values</h2>\n");
    let fold = r.table_after_charts && rows.len() > FOLD_ROWS;
    if fold {
        let _ = writeln!(
            h,
            "<details>\n<summary>Show the table ({} rows)</summary>",
            rows.len()
        );
    }
    h.push_str("<div class=\"scroll\"><table>\n<tr>");
    for c in headers {
        let _ = write!(h, "<th>{}</th>", escape(c));
    }
    h.push_str("</tr>\n");
    for row in rows {
        h.push_str("<tr>");
        for (i, c) in row.iter().enumerate() {
            if i == 0 {
                let _ = write!(h, "<td>{}</td>", escape(c));
            } else {
                let _ = write!(h, "<td class=\"num\">{}</td>", escape(c));
            }
        }
        h.push_str("</tr>\n");
    }
    h.push_str("</table></div>\n");
    if fold {
        h.push_str("</details>\n");
    }
    for n in &r.table_notes {
        let _ = writeln!(h, "<p class=\"notes\">{}</p>", escape(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text_and_inlines_svg() {
        let r = Report {
            title: "a <b> & \"c\"".into(),
            description: "<script>alert(1)</script>".into(),
            figures: vec![Figure {
                title: "f".into(),
                caption: "cap".into(),
                svg: "<?xml version=\"1.0\"?>\n<svg viewBox=\"0 0 1 1\"></svg>".into(),
                files: vec!["my chart.svg".into()],
            }],
            ..Default::default()
        };
        let h = render_html(&r);
        assert!(h.contains("<h1>a &lt;b&gt; &amp; &quot;c&quot;</h1>"));
        assert!(!h.contains("<script>"));
        assert!(h.contains("<svg viewBox"));
        assert!(!h.contains("<?xml"));
        assert!(h.contains("href=\"my%20chart.svg\""));
    }

    #[test]
    fn a_long_table_follows_the_charts_folded() {
        let rows: Vec<Vec<String>> = (0..30).map(|i| vec![i.to_string(), "x".into()]).collect();
        let mut r = Report {
            final_table: Some((vec!["point".into(), "v".into()], rows)),
            table_notes: vec!["¹ an interval".into()],
            figures: vec![Figure {
                title: "f".into(),
                caption: String::new(),
                svg: "<svg></svg>".into(),
                files: Vec::new(),
            }],
            ..Default::default()
        };
        let h = render_html(&r);
        assert!(h.find("Final values") < h.find("<h2>Charts"));
        assert!(!h.contains("Show the table"));
        r.table_after_charts = true;
        let h = render_html(&r);
        let (charts, table) = (
            h.find("<h2>Charts").unwrap(),
            h.find("Final values").unwrap(),
        );
        assert!(charts < table);
        assert!(h.contains("<summary>Show the table (30 rows)</summary>"));
        assert!(h[table..].contains("¹ an interval"));
    }
}
