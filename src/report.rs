//! The run's report: `DIR/report.html`, one page that reads like the notebook.
//!
//! After every run of sections or exercises, the report puts together what
//! the run did: its settings and timings at the top; then each item in turn,
//! with what it printed, its figures where it drew them, and its summary
//! tables as real tables; at the bottom, whether its numbers match the
//! PyTorch reference (given `--reference`), series by series.
//!
//! The page stands alone, so it can be mailed or archived: its style and
//! script are inline, and so are the figures, redrawn as SVG from the
//! description each was drawn from (sharp at any width), or embedded as the
//! PNG file when only the file is known. It fits any screen from a phone up:
//! figures scale to the width, and wide tables and long printed lines scroll
//! inside their own box. A short script checks, once the page has loaded,
//! that every figure is on screen and that nothing is wider than the window,
//! and writes its verdict into `<body data-check="...">` for tests to read.

use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde_json::{Map, Value};

use crate::cli::Config;
use crate::context::{device_name, Outcome};
use crate::output::write_atomic;
use crate::parity::{self, Parity};
use crate::plot::Figure;

/// The report's name inside the output folder.
pub const FILE_NAME: &str = "report.html";

/// An SVG past this size (dense histograms, say) would make the page heavy
/// for no sharpness a reader sees, so such a figure is embedded as its PNG.
const SVG_LIMIT: usize = 3 << 20;

/// Entries of a results file that the page shows elsewhere or not at all.
const SHOWN_ELSEWHERE: [&str; 5] = ["section", "seed", "device", "libtorch", "series"];

/// The moment a run began, by the calendar and by the clock.
pub struct Started {
    at: SystemTime,
    clock: Instant,
}

impl Started {
    pub fn now() -> Started {
        Started { at: SystemTime::now(), clock: Instant::now() }
    }
}

/// What the top of the page says about the run.
pub struct Run {
    /// The command line as typed, quoted for a POSIX shell.
    pub command: String,
    pub seed: i64,
    pub device: String,
    pub libtorch: String,
    pub threads: i32,
    pub started: SystemTime,
    pub wall: Duration,
    /// The output folder, which figure links are relative to.
    pub out: PathBuf,
    /// The PyTorch reference's output folder, when parity is to be checked.
    pub reference: Option<PathBuf>,
}

impl Run {
    /// The run described by its settings, as it stands now.
    pub fn new(config: &Config, started: &Started) -> Run {
        Run {
            command: command_line(std::env::args_os().map(|a| a.to_string_lossy().into_owned())),
            seed: config.seed,
            device: device_name(config.device),
            libtorch: crate::aten::libtorch_version(),
            threads: tch::get_num_threads(),
            started: started.at,
            wall: started.clock.elapsed(),
            out: config.out.clone(),
            reference: config.reference.clone(),
        }
    }
}

/// Writes `DIR/report.html` for `outcomes` and says so, with how long it took.
pub fn publish(config: &Config, started: &Started, outcomes: &[Outcome]) -> Result<PathBuf> {
    let run = Run::new(config, started);
    let clock = Instant::now();

    let page = render(&run, outcomes);
    let path = config.out.join(FILE_NAME);
    write_atomic(&path, page.as_bytes())?;

    if !config.quiet {
        println!("wrote {} in {}", path.display(), duration(clock.elapsed()));
    }
    Ok(path)
}

/// The whole page.
pub fn render(run: &Run, outcomes: &[Outcome]) -> String {
    let parities: Vec<ItemParity> =
        outcomes.iter().map(|o| ItemParity::of(o, run.reference.as_deref())).collect();

    let mut page = String::with_capacity(1 << 20);
    let written = write_page(&mut page, run, outcomes, &parities);
    written.expect("formatting into a String cannot fail");
    page
}

fn write_page(
    page: &mut String,
    run: &Run,
    outcomes: &[Outcome],
    parities: &[ItemParity],
) -> fmt::Result {
    let ids: Vec<&str> = outcomes.iter().map(|o| o.id).collect();
    writeln!(page, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(page, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")?;
    writeln!(page, "<title>Activation functions: {}</title>", escape(&ids.join(", ")))?;
    writeln!(page, "<style>{STYLE}</style>\n</head>")?;
    writeln!(page, "<body data-check=\"pending\">\n<main>")?;

    write_header(page, run, outcomes, parities)?;
    for outcome in outcomes {
        write_item(page, outcome, &run.out)?;
    }
    write_parity(page, run, outcomes, parities)?;

    writeln!(page, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>")
}

/// The run's settings and timings, and a table of contents.
fn write_header(
    page: &mut String,
    run: &Run,
    outcomes: &[Outcome],
    parities: &[ItemParity],
) -> fmt::Result {
    writeln!(page, "<header>\n<p class=\"kicker\">actlab run report</p>")?;
    writeln!(page, "<h1>Activation functions</h1>")?;
    writeln!(
        page,
        "<p class=\"lede\">What each part of the notebook printed and drew in this run, computed \
         by actlab, a bit-exact Rust port of the PyTorch notebook.</p>"
    )?;

    let facts = [
        ("Command", format!("<code>{}</code>", escape(&run.command))),
        ("Seed", run.seed.to_string()),
        ("Device", escape(&run.device)),
        ("libtorch", escape(&run.libtorch)),
        ("CPU threads", run.threads.to_string()),
        ("Started", utc(run.started)),
        ("Wall time", duration(run.wall)),
    ];
    writeln!(page, "<dl class=\"facts\">")?;
    for (term, value) in facts {
        writeln!(page, "<dt>{term}</dt><dd>{value}</dd>")?;
    }
    writeln!(page, "</dl>")?;

    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.error.is_some())
        .map(|o| format!("<a href=\"#{}\">{}</a>", anchor(o.id), escape(o.id)))
        .collect();
    if !failed.is_empty() {
        writeln!(
            page,
            "<p class=\"banner\" role=\"alert\">{} of {} failed: {}</p>",
            failed.len(),
            count(outcomes.len(), "item"),
            failed.join(", ")
        )?;
    }

    writeln!(
        page,
        "<nav aria-label=\"Contents\"><div class=\"scroll\"><table class=\"contents\">"
    )?;
    writeln!(
        page,
        "<thead><tr><th>Item</th><th class=\"title\">Title</th><th class=\"num\">Wall time</th>"
    )?;
    writeln!(page, "<th>Status</th><th>Parity</th></tr></thead>\n<tbody>")?;
    for (outcome, parity) in outcomes.iter().zip(parities) {
        let status = match outcome.error {
            Some(_) => "<span class=\"pill bad\">failed</span>",
            None => "<span class=\"pill good\">ok</span>",
        };
        writeln!(
            page,
            "<tr><td><a href=\"#{anchor}\">{id}</a></td><td class=\"title\">{title}</td>\
             <td class=\"num\">{wall}</td><td>{status}</td><td>{parity}</td></tr>",
            anchor = anchor(outcome.id),
            id = escape(outcome.id),
            title = escape(outcome.title),
            wall = duration(outcome.wall),
            parity = parity.pill(),
        )?;
    }
    writeln!(page, "</tbody></table></div></nav>\n</header>")
}

/// One section or exercise: its heading, its output with the figures where
/// it drew them, its error if it failed, and its tables.
fn write_item(page: &mut String, outcome: &Outcome, out: &Path) -> fmt::Result {
    let failed = if outcome.error.is_some() { " failed" } else { "" };
    writeln!(page, "<section class=\"item{failed}\" id=\"{}\">", anchor(outcome.id))?;
    writeln!(
        page,
        "<h2><span class=\"item-id\">{}</span> {}</h2>",
        escape(outcome.id),
        escape(outcome.title)
    )?;
    let series = outcome.results.as_ref().map_or(0, |r| r.series_names().count());
    writeln!(
        page,
        "<p class=\"meta\">Ran in {} · {} · {}</p>",
        duration(outcome.wall),
        count(outcome.figures.len(), "figure"),
        count(series, "series recorded")
    )?;

    if let Some(error) = &outcome.error {
        writeln!(page, "<div class=\"error\" role=\"alert\"><p>This item failed:</p>")?;
        writeln!(page, "<pre>{}</pre></div>", escape(error))?;
    }
    write_transcript(page, outcome, out)?;
    if let Some(results) = &outcome.results {
        write_tables(page, &results.to_json())?;
    }
    writeln!(page, "</section>")
}

/// What the item printed, broken where it announced a figure so that the
/// figure stands there, as a notebook shows a plot under its cell's text.
/// The item's own lines follow its heading line; any before it were the
/// run's, and the top of the page already says them.
fn write_transcript(page: &mut String, outcome: &Outcome, out: &Path) -> fmt::Result {
    let heading = format!("== {} {}", outcome.id, outcome.title);
    let own = outcome.transcript.iter().position(|l| *l == heading).map_or(0, |i| i + 1);
    let mut pending: Vec<&str> = Vec::new();
    let mut shown = vec![false; outcome.figures.len()];

    for line in &outcome.transcript[own..] {
        let figure = outcome
            .figures
            .iter()
            .position(|f| line.strip_prefix("wrote ") == Some(&*f.to_string_lossy()));
        match figure {
            Some(index) if !shown[index] => {
                write_printed(page, &pending)?;
                pending.clear();
                write_figure(page, outcome, &outcome.figures[index], out)?;
                shown[index] = true;
            }
            _ => pending.push(line),
        }
    }
    write_printed(page, &pending)?;

    // A figure the item never announced still belongs on the page.
    for (path, _) in outcome.figures.iter().zip(&shown).filter(|(_, shown)| !**shown) {
        write_figure(page, outcome, path, out)?;
    }
    Ok(())
}

fn write_printed(page: &mut String, lines: &[&str]) -> fmt::Result {
    if lines.iter().all(|l| l.trim().is_empty()) {
        return Ok(());
    }
    writeln!(page, "<pre class=\"printed\">{}</pre>", escape(&lines.join("\n")))
}

/// A figure, as inline SVG when its description is at hand, else its file.
fn write_figure(page: &mut String, outcome: &Outcome, path: &Path, out: &Path) -> fmt::Result {
    let drawn = outcome.drawn.iter().find(|(p, _)| p == path).map(|(_, figure)| figure);
    let title = drawn.map_or(String::new(), |f| f.title.clone());
    let shown = path.strip_prefix(out).unwrap_or(path);
    let link = shown.to_string_lossy().replace('\\', "/");

    writeln!(page, "<figure>\n<div class=\"frame\">")?;
    match drawn.and_then(|figure| inline_svg(figure, &title)) {
        Some(svg) => page.push_str(&svg),
        None => write_file_figure(page, path, &title)?,
    }
    writeln!(page, "</div>\n<figcaption>")?;
    if !title.is_empty() {
        write!(page, "{} · ", escape(&title))?;
    }
    writeln!(page, "<a href=\"{}\">{}</a></figcaption>\n</figure>", escape(&link), escape(&link))
}

/// The figure redrawn as an `<svg>` element that scales with the page; `None`
/// when it cannot be drawn or is too large to be worth it.
fn inline_svg(figure: &Figure, title: &str) -> Option<String> {
    let svg = figure.to_svg().ok().filter(|svg| svg.len() <= SVG_LIMIT)?;
    let start = svg.find("<svg ")?;
    let label = format!("<svg class=\"plot\" role=\"img\" aria-label=\"{}\" ", escape(title));
    Some(format!("{label}{}", &svg[start + "<svg ".len()..]))
}

/// The figure's file: a PNG as a data URI, an SVG file inline. A file that
/// cannot be read leaves an empty image, which the page's check counts as
/// missing.
fn write_file_figure(page: &mut String, path: &Path, title: &str) -> fmt::Result {
    let alt = escape(if title.is_empty() { "figure" } else { title });
    let extension = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    match (extension.as_deref(), std::fs::read(path)) {
        (Some("svg"), Ok(bytes)) => {
            let text = String::from_utf8_lossy(&bytes);
            let start = text.find("<svg ").unwrap_or(0);
            let body = text[start..].replacen("<svg ", "<svg class=\"plot\" role=\"img\" ", 1);
            writeln!(page, "{body}")
        }
        (Some("png"), Ok(bytes)) => writeln!(
            page,
            "<img class=\"plot\" alt=\"{alt}\" src=\"data:image/png;base64,{}\">",
            base64(&bytes)
        ),
        _ => writeln!(page, "<img class=\"plot\" alt=\"{alt} (its file could not be read)\">"),
    }
}

/// Every array of objects in a results document, as a table, with the row
/// of the `best` entry marked; other plain entries as a short list.
fn write_tables(page: &mut String, document: &Value) -> fmt::Result {
    let Value::Object(entries) = document else { return Ok(()) };
    let best = entries.get("best").and_then(Value::as_str);
    let shown = entries.iter().filter(|(key, _)| !SHOWN_ELSEWHERE.contains(&key.as_str()));

    let mut plain = Vec::new();
    for (key, value) in shown {
        match value.as_array().and_then(|rows| table(rows, best)) {
            Some(table) => writeln!(page, "<h3>{}</h3>\n{table}", escape(&heading(key)))?,
            None => plain.push((key, value)),
        }
    }

    if !plain.is_empty() {
        writeln!(page, "<dl class=\"facts recorded\">")?;
        for (key, value) in plain {
            let digits = Digits::for_values(value.as_f64());
            writeln!(page, "<dt>{}</dt><dd>{}</dd>", escape(&heading(key)), cell(value, digits).0)?;
        }
        writeln!(page, "</dl>")?;
    }
    Ok(())
}

/// `rows` as an HTML table, its columns the rows' keys in order of first
/// appearance; a row that has `best` as one of its values is marked. `None`
/// unless `rows` is a non-empty list of objects.
pub fn table(rows: &[Value], best: Option<&str>) -> Option<String> {
    let rows: Vec<&Map<String, Value>> =
        rows.iter().map(Value::as_object).collect::<Option<_>>()?;
    if rows.is_empty() {
        return None;
    }
    let mut columns: Vec<&str> = Vec::new();
    for key in rows.iter().flat_map(|row| row.keys()) {
        if !columns.contains(&key.as_str()) {
            columns.push(key);
        }
    }

    let digits: Vec<Digits> = columns
        .iter()
        .map(|column| Digits::for_values(rows.iter().filter_map(|r| r.get(*column)?.as_f64())))
        .collect();

    let mut html = String::from("<div class=\"scroll\"><table class=\"data\">\n<thead><tr>");
    for column in &columns {
        html += &format!("<th>{}</th>", escape(&heading(column)));
    }
    html += "</tr></thead>\n<tbody>\n";
    for row in rows {
        let is_best = best.is_some_and(|b| row.values().any(|v| v.as_str() == Some(b)));
        html += if is_best { "<tr class=\"best\">" } else { "<tr>" };
        for (i, column) in columns.iter().enumerate() {
            let shown = row.get(*column).map(|value| cell(value, digits[i]));
            let (text, numeric) = shown.unwrap_or_default();
            let class = if numeric { " class=\"num\"" } else { "" };
            let badge =
                if is_best && i == 0 { " <span class=\"pill good\">best</span>" } else { "" };
            html += &format!("<td{class}>{text}{badge}</td>");
        }
        html += "</tr>\n";
    }
    html += "</tbody></table></div>";
    Some(html)
}

/// A JSON value as the text of a table cell, and whether it is a number.
/// Floats are rounded for reading; the exact value is in the cell's title.
fn cell(value: &Value, digits: Digits) -> (String, bool) {
    match value {
        Value::Null => ("–".to_owned(), false),
        Value::String(s) => (escape(s), false),
        Value::Number(n) => match n.as_f64().filter(|_| n.is_f64()) {
            Some(float) => (format!("<span title=\"{n}\">{}</span>", digits.show(float)), true),
            None => (n.to_string(), true),
        },
        other => (format!("<code>{}</code>", escape(&other.to_string())), false),
    }
}

/// How the floats of one table column are written: all alike, so that
/// their decimal points line up.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Digits {
    Whole,
    Four,
    Scientific,
}

impl Digits {
    /// The plainest way that shows each of `values` without rounding it to
    /// nothing: whole numbers as they are, others to four decimals, and in
    /// scientific notation when some are too small or large for that.
    fn for_values(values: impl IntoIterator<Item = f64>) -> Digits {
        let mut digits = Digits::Whole;
        for value in values {
            let magnitude = value.abs();
            if value == value.trunc() && magnitude < 1e15 {
                continue;
            }
            if !(1e-3..1e6).contains(&magnitude) {
                return Digits::Scientific;
            }
            digits = Digits::Four;
        }
        digits
    }

    fn show(self, value: f64) -> String {
        match self {
            Digits::Whole => format!("{value:.0}"),
            Digits::Four => format!("{value:.4}"),
            Digits::Scientific => format!("{value:.3e}"),
        }
    }
}

/// A results key as a column heading: `final_accuracy` reads "Final accuracy".
fn heading(key: &str) -> String {
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// How an item stands against the PyTorch reference.
enum ItemParity {
    NotChecked,
    ItemFailed,
    NoReference(PathBuf),
    Unreadable(String),
    Compared(Parity),
}

impl ItemParity {
    fn of(outcome: &Outcome, reference: Option<&Path>) -> ItemParity {
        let Some(reference) = reference else { return ItemParity::NotChecked };
        let Some(results) = &outcome.results else { return ItemParity::ItemFailed };
        let Some(file) = parity::reference_file(reference, outcome.id) else {
            return ItemParity::NoReference(reference.join(outcome.id).join("results.json"));
        };

        let compared = parity::read_results(&file)
            .and_then(|theirs| parity::compare(&theirs, &results.to_json()));
        match compared {
            Ok(parity) => ItemParity::Compared(parity),
            Err(e) => ItemParity::Unreadable(format!("{e:#}")),
        }
    }

    /// The overview's words: how many series are identical, or why none
    /// were compared.
    fn verdict(&self) -> String {
        match self {
            ItemParity::Compared(p) => {
                let class = if p.differences.is_empty() { "good" } else { "bad" };
                let (identical, compared) = (p.identical, p.compared);
                format!("<span class=\"verdict {class}\">{identical} of {compared} series identical</span>")
            }
            ItemParity::NotChecked => "not checked".to_owned(),
            ItemParity::ItemFailed => "not compared: the item failed".to_owned(),
            ItemParity::NoReference(path) => format!(
                "not compared: the reference has no <code>{}</code>",
                escape(&path.to_string_lossy())
            ),
            ItemParity::Unreadable(error) => format!("not compared: {}", escape(error)),
        }
    }

    /// A word or two for the contents table.
    fn pill(&self) -> String {
        match self {
            ItemParity::NotChecked => "<span class=\"pill\">not checked</span>".to_owned(),
            ItemParity::Compared(p) => {
                let class = if p.differences.is_empty() { "good" } else { "bad" };
                format!(
                    "<span class=\"pill {class}\">{} of {} identical</span>",
                    p.identical, p.compared
                )
            }
            _ => "<span class=\"pill warn\">not compared</span>".to_owned(),
        }
    }
}

/// The bottom of the page: parity per item, or how to check it.
fn write_parity(
    page: &mut String,
    run: &Run,
    outcomes: &[Outcome],
    parities: &[ItemParity],
) -> fmt::Result {
    writeln!(page, "<section class=\"item parity\" id=\"parity\">\n<h2>Parity with PyTorch</h2>")?;
    let Some(reference) = &run.reference else {
        return write_parity_howto(page, run);
    };

    writeln!(
        page,
        "<p>Every series compared, value by value, bit for bit, with the PyTorch reference's \
         results in <code>{}</code>.</p>",
        escape(&reference.to_string_lossy())
    )?;
    writeln!(page, "<div class=\"scroll\"><table class=\"data\">")?;
    writeln!(page, "<thead><tr><th>Item</th><th class=\"title\">Title</th><th>Series</th></tr></thead>\n<tbody>")?;
    for (outcome, parity) in outcomes.iter().zip(parities) {
        writeln!(
            page,
            "<tr><td><a href=\"#{}\">{}</a></td><td class=\"title\">{}</td><td>{}</td></tr>",
            anchor(outcome.id),
            escape(outcome.id),
            escape(outcome.title),
            parity.verdict()
        )?;
    }
    writeln!(page, "</tbody></table></div>")?;

    // Below the overview, the particulars of every item that is not simply identical.
    for (outcome, parity) in outcomes.iter().zip(parities) {
        let ItemParity::Compared(parity) = parity else { continue };
        if parity.differences.is_empty() && parity.notes.is_empty() {
            continue;
        }
        write!(page, "<h3><span class=\"item-id\">{}</span> ", escape(outcome.id))?;
        writeln!(page, "{}</h3>", escape(outcome.title))?;
        write_differences(page, parity)?;
    }
    writeln!(page, "</section>")
}

fn write_differences(page: &mut String, parity: &Parity) -> fmt::Result {
    for note in &parity.notes {
        writeln!(page, "<p class=\"note\">Note: {}.</p>", escape(note))?;
    }
    if parity.differences.is_empty() {
        return Ok(());
    }

    writeln!(page, "<div class=\"scroll\"><table class=\"data\">")?;
    writeln!(page, "<thead><tr><th>Series</th><th>Difference</th>")?;
    writeln!(page, "<th class=\"num\">Max |difference|</th></tr></thead>\n<tbody>")?;
    for difference in &parity.differences {
        let max = difference.max_abs.map_or_else(|| "–".to_owned(), |m| format!("{m:.3e}"));
        writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td class=\"num\">{max}</td></tr>",
            escape(&difference.series),
            escape(&difference.what)
        )?;
    }
    writeln!(page, "</tbody></table></div>")
}

fn write_parity_howto(page: &mut String, run: &Run) -> fmt::Result {
    writeln!(
        page,
        "<p>Parity with the PyTorch reference was not checked in this run. To check it, run the \
         reference with the same seed and give its output folder to <code>--reference</code>; \
         on CPU every series should then be identical, bit for bit:</p>"
    )?;
    let commands = format!(
        ".venv/bin/python notebooks-ref/activation_functions.py all --seed {seed} --device cpu \
         --out out-reference\nactlab all --seed {seed} --device cpu --reference out-reference",
        seed = run.seed
    );
    writeln!(page, "<pre class=\"printed\">{}</pre>", escape(&commands))?;
    writeln!(
        page,
        "<p><code>make test</code> runs the parity tests, which compare every section with \
         PyTorch at two seeds.</p>\n</section>"
    )
}

/// `text` made safe to stand in HTML text and in quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// An item's id as a fragment identifier: `6.2` becomes `item-6-2`.
fn anchor(id: &str) -> String {
    let safe: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    format!("item-{safe}")
}

fn count(n: usize, what: &str) -> String {
    match (n, what) {
        (1, "figure" | "item") => format!("1 {what}"),
        (n, "figure" | "item") => format!("{n} {what}s"),
        (n, what) => format!("{n} {what}"),
    }
}

/// A duration as a person reads it: `35 ms`, `4.21 s`, `3 min 07 s`.
pub fn duration(d: Duration) -> String {
    let seconds = d.as_secs_f64();
    if seconds < 1.0 {
        format!("{:.0} ms", seconds * 1000.0)
    } else if seconds < 60.0 {
        format!("{seconds:.2} s")
    } else {
        let whole = seconds.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// A moment as a UTC date and time, `2024-02-29 13:05:09 UTC`.
pub fn utc(moment: SystemTime) -> String {
    let seconds = match moment.duration_since(UNIX_EPOCH) {
        Ok(since) => since.as_secs() as i64,
        Err(before) => -(before.duration().as_secs() as i64),
    };
    let (days, time) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01, counted in 400-year
/// eras that start on 1 March, so that the leap day falls at an era's end.
fn civil_date(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;

    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Arguments joined into a line a POSIX shell would split back into them.
pub fn command_line(args: impl IntoIterator<Item = String>) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c);
    let quoted: Vec<String> = args
        .into_iter()
        .map(|arg| {
            if !arg.is_empty() && arg.chars().all(plain) {
                arg
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect();
    quoted.join(" ")
}

/// Standard base64 with padding (RFC 4648), for data URIs.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut text = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let word =
            chunk.iter().enumerate().fold(0u32, |w, (i, &b)| w | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                text.push(char::from(ALPHABET[(word >> (18 - 6 * i) & 0x3f) as usize]));
            } else {
                text.push('=');
            }
        }
    }
    text
}

/// Laid out for reading: one column at most 72rem wide, figures to its
/// width, and anything wider than the screen scrolling inside its own box.
const STYLE: &str = r#"
:root {
  color-scheme: light;
  --ink: #1d2433; --muted: #5b6478; --line: #dde2ea; --paper: #ffffff; --ground: #f3f5f8;
  --accent: #1f77b4; --good: #1d7a3a; --good-bg: #e6f4ea; --bad: #b3261e; --bad-bg: #fdecea;
  --warn: #8a5a00; --warn-bg: #fff4dc; --code-bg: #f6f8fa;
  --mono: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--ground); color: var(--ink);
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
main { max-width: 72rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
header, .item {
  background: var(--paper); border: 1px solid var(--line); border-radius: 10px;
  padding: 1.5rem 1.75rem; margin-bottom: 1.5rem;
}
.kicker {
  margin: 0; color: var(--accent); font-weight: 600; letter-spacing: .06em;
  text-transform: uppercase; font-size: .8rem;
}
h1 { margin: .2rem 0 .4rem; font-size: 2rem; line-height: 1.2; }
h2 { margin: 0 0 .25rem; font-size: 1.45rem; line-height: 1.3; }
h3 { margin: 1.5rem 0 .5rem; font-size: 1.1rem; }
.lede { margin: 0 0 1.25rem; color: var(--muted); max-width: 48rem; }
.item-id { color: var(--accent); margin-right: .35rem; font-variant-numeric: tabular-nums; }
.meta { margin: 0 0 1rem; color: var(--muted); font-size: .9rem; }
a { color: var(--accent); }
code { font-family: var(--mono); font-size: .88em; }
.facts {
  display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .35rem 1.25rem;
  margin: 0 0 1.25rem;
}
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.facts.recorded { margin-top: 1rem; }
pre {
  font-family: var(--mono); font-size: .84rem; line-height: 1.5; margin: 1rem 0;
  padding: .85rem 1rem; background: var(--code-bg); border: 1px solid var(--line);
  border-left: 3px solid var(--accent); border-radius: 6px; overflow-x: auto;
}
.scroll { overflow-x: auto; margin: .75rem 0; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { padding: .45rem .75rem; text-align: left; border-bottom: 1px solid var(--line); }
th { background: var(--code-bg); font-weight: 600; white-space: nowrap; }
tbody tr:last-child td { border-bottom: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.data tbody tr:nth-child(even) { background: #fafbfc; }
tr.best, table.data tbody tr.best { background: var(--good-bg); font-weight: 600; }
.pill {
  display: inline-block; padding: .05rem .55rem; border-radius: 999px; font-size: .8rem;
  font-weight: 600; background: var(--ground); color: var(--muted); white-space: nowrap;
}
.pill.good { background: var(--good-bg); color: var(--good); }
.pill.bad { background: var(--bad-bg); color: var(--bad); }
.pill.warn { background: var(--warn-bg); color: var(--warn); }
figure { margin: 1.25rem 0; }
.frame { border: 1px solid var(--line); border-radius: 6px; background: #fff; overflow: hidden; }
.frame.zoomed { overflow-x: auto; cursor: zoom-out; }
.plot { display: block; width: 100%; height: auto; cursor: zoom-in; }
img.plot { width: auto; max-width: 100%; margin: 0 auto; }
.frame.zoomed .plot { width: auto; max-width: none; cursor: zoom-out; }
svg.plot text { font-family: "DejaVu Sans", "Bitstream Vera Sans", Verdana, sans-serif; }
figcaption { margin-top: .4rem; color: var(--muted); font-size: .88rem; overflow-wrap: anywhere; }
.item.failed { border-color: var(--bad); }
.error {
  margin: 1rem 0; padding: .75rem 1rem; border-radius: 6px; background: var(--bad-bg);
  border-left: 4px solid var(--bad); color: var(--bad);
}
.error p { margin: 0 0 .35rem; font-weight: 600; }
.error pre {
  margin: 0; padding: 0; border: 0; background: none; color: var(--ink);
  white-space: pre-wrap; overflow-wrap: anywhere;
}
.verdict { font-weight: 600; }
.verdict.good { color: var(--good); }
.verdict.bad { color: var(--bad); }
.note { color: var(--warn); }
.banner {
  margin: 0 0 1.25rem; padding: .6rem .9rem; border-radius: 6px; font-weight: 600;
  background: var(--bad-bg); color: var(--bad); border-left: 4px solid var(--bad);
}
.banner a { color: inherit; }
pre.note { white-space: pre-wrap; overflow-wrap: anywhere; border-left-color: var(--warn); }
@media (max-width: 640px) {
  body { font-size: 15px; }
  main { padding: .75rem .5rem 2rem; }
  header, .item { padding: 1rem .9rem; border-radius: 8px; margin-bottom: 1rem; }
  h1 { font-size: 1.6rem; }
  h2 { font-size: 1.2rem; }
  .facts { gap: .2rem .9rem; font-size: .92rem; }
  th, td { padding: .4rem .55rem; }
  /* Each item's heading carries its title; here the id links to it. */
  .title { display: none; }
  pre { font-size: .76rem; padding: .6rem .7rem; }
  figcaption::after { content: " · tap the figure to see it full size"; }
}
"#;

/// Tapping a figure shows it at full size, scrolling inside its frame; on
/// load, the check for tests and for anyone curious.
const SCRIPT: &str = r#"
for (const frame of document.querySelectorAll('.frame')) {
  frame.addEventListener('click', () => frame.classList.toggle('zoomed'));
}
addEventListener('load', () => {
  const plots = [...document.querySelectorAll('.plot')];
  const shown = plots.filter((plot) => {
    if (plot instanceof HTMLImageElement) return plot.complete && plot.naturalWidth > 0;
    const box = plot.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  });
  const excess = document.documentElement.scrollWidth - window.innerWidth;
  const overflow = excess > 0 ? excess + 'px' : 'none';
  document.body.dataset.check =
    `figures=${shown.length}/${plots.length} overflow=${overflow} width=${window.innerWidth}`;
});
"#;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn escaping_covers_text_and_attributes() {
        assert_eq!(
            escape(r#"<b class="x">Tom & 'Jerry'</b>"#),
            "&lt;b class=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("σ(x) → 0 when |x| > 5"), "σ(x) → 0 when |x| &gt; 5");
        assert_eq!(escape("&amp;"), "&amp;amp;", "text is escaped as it stands, not decoded");
    }

    #[test]
    fn summary_rows_become_a_table_with_the_best_marked() {
        let rows = json!([
            { "activation": "relu", "final_accuracy": 97.4000015258789, "final_loss": 0.0712 },
            { "activation": "gelu", "final_accuracy": 98.0, "final_loss": 1.5e-5 },
            { "activation": "<tanh>", "epochs": 30 },
        ]);

        let html = table(rows.as_array().unwrap(), Some("gelu")).unwrap();

        for th in ["<th>Activation</th>", "<th>Final accuracy</th>", "<th>Epochs</th>"] {
            assert!(html.contains(th), "{th} missing from {html}");
        }
        assert!(html.contains("<td class=\"num\"><span title=\"97.4000015258789\">97.4000</span>"));
        assert!(html.contains("<span title=\"98.0\">98.0000</span>"), "aligned with 97.4000");
        assert!(html.contains("<td class=\"num\"><span title=\"0.000015\">1.500e-5</span></td>"));
        assert!(html.contains("<span title=\"0.0712\">7.120e-2</span>"), "aligned with 1.500e-5");
        assert!(html.contains("<td class=\"num\">30</td>"), "integers as they are");
        assert!(html.contains("&lt;tanh&gt;") && !html.contains("<tanh>"));
        assert_eq!(html.matches("<tr class=\"best\">").count(), 1);
        let best_row = html.split("<tr class=\"best\">").nth(1).unwrap();
        assert!(best_row.starts_with("<td>gelu <span class=\"pill good\">best</span></td>"));
        // The third row lacks two columns and has one of its own: cells stay aligned.
        let last_row = html.rsplit("<tr>").next().unwrap();
        assert_eq!(last_row.matches("<td").count(), 4, "{last_row}");
    }

    #[test]
    fn only_lists_of_objects_make_tables() {
        assert!(table(&[], None).is_none());
        assert!(table(&[json!(1.0), json!(2.0)], None).is_none());
        assert!(table(&[json!({ "a": 1 }), json!("x")], None).is_none());
        assert!(table(&[json!({ "a": 1 })], Some("missing")).is_some_and(|t| !t.contains("best")));
    }

    #[test]
    fn numbers_in_a_column_are_written_alike() {
        let digits = |values: &[f64]| Digits::for_values(values.iter().copied());
        assert_eq!(digits(&[30.0, -2.0, 0.0]), Digits::Whole);
        assert_eq!(digits(&[79.0, 97.4000015258789, -0.071234]), Digits::Four);
        assert_eq!(digits(&[0.5, 1.5e-5]), Digits::Scientific);
        assert_eq!(digits(&[2.5e7 + 0.5]), Digits::Scientific);
        assert_eq!(Digits::Four.show(79.0), "79.0000");
        assert_eq!(Digits::Four.show(-0.071234), "-0.0712");
        assert_eq!(Digits::Scientific.show(1.5e-5), "1.500e-5");
    }

    #[test]
    fn dates_are_utc() {
        let at = |s: u64| utc(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(at(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(at(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(at(4_107_542_399), "2100-02-28 23:59:59 UTC");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_micros(34_600)), "35 ms");
        assert_eq!(duration(Duration::from_millis(4_213)), "4.21 s");
        assert_eq!(duration(Duration::from_millis(187_400)), "3 min 07 s");
    }

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let args = ["actlab", "exercise", "custom", "--activation-expr", "x * sigmoid(x)", "it's"];
        assert_eq!(
            command_line(args.map(String::from)),
            r"actlab exercise custom --activation-expr 'x * sigmoid(x)' 'it'\''s'"
        );
        assert_eq!(command_line([String::new()]), "''");
    }

    #[test]
    fn base64_matches_rfc_4648() {
        let cases =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn a_page_shows_outputs_figures_errors_and_tables() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("6.1").join("plain.png");
        std::fs::create_dir_all(png.parent().unwrap()).unwrap();
        std::fs::write(&png, b"\x89PNG\r\n\x1a\nnot really").unwrap();
        let drawn = dir.path().join("6.1").join("lines.png");
        let figure =
            Figure::new("Loss <curves>", (1, 1), (400, 300)).with_panel(
                crate::plot::Panel::new("Loss", "Epoch", "Loss").with_line(
                    crate::plot::Line::series("relu", crate::plot::C0, vec![1.0, 0.5, 0.25]),
                ),
            );

        let mut results = crate::results::Results::new("6.1", 42, "cpu");
        results.series("loss", &[1.0, 0.5]);
        results.insert("summary", json!([{ "activation": "relu", "final_loss": 0.25 }]));
        results.insert("best", json!("relu"));
        let ok = Outcome {
            id: "6.1",
            title: "First & foremost",
            transcript: vec![
                "Device: cpu".into(),
                "== 6.1 First & foremost".into(),
                "Training <linear> model".into(),
                format!("wrote {}", drawn.display()),
                "Final loss: 0.25".into(),
            ],
            figures: vec![drawn.clone(), png.clone()],
            drawn: vec![(drawn.clone(), figure)],
            results: Some(results),
            error: None,
            wall: Duration::from_millis(1500),
        };
        let failed = Outcome {
            id: "6.2",
            title: "Second",
            transcript: vec!["== 6.2 Second".into()],
            figures: Vec::new(),
            drawn: Vec::new(),
            results: None,
            error: Some("cannot create output folder <out>/6.2".into()),
            wall: Duration::from_millis(3),
        };
        let run = Run {
            command: "actlab all".into(),
            seed: 42,
            device: "cpu".into(),
            libtorch: "2.13.0".into(),
            threads: 2,
            started: UNIX_EPOCH,
            wall: Duration::from_secs(2),
            out: dir.path().to_path_buf(),
            reference: None,
        };

        let page = render(&run, &[ok, failed]);

        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(
            page.contains("1970-01-01 00:00:00 UTC") && page.contains("<code>actlab all</code>")
        );
        assert_eq!(page.matches("== 6.1").count(), 0, "the heading line is not repeated");
        assert!(!page.contains("Device: cpu"), "the run's own lines are not the item's");
        let printed = page.find("Training &lt;linear&gt; model").unwrap();
        let svg = page.find("<svg class=\"plot\" role=\"img\" aria-label=\"Loss &lt;curves&gt;\"");
        let after = page.find("Final loss: 0.25").unwrap();
        assert!(svg.is_some_and(|at| printed < at && at < after), "the figure stands where drawn");
        assert!(page.contains("src=\"data:image/png;base64,iVBORw0KGg"), "PNG file embedded");
        assert!(page.contains("<a href=\"6.1/plain.png\">6.1/plain.png</a>"));
        assert!(page.contains("<tr class=\"best\"><td>relu <span class=\"pill good\">best</span>"));
        assert!(page.contains("<div class=\"error\" role=\"alert\">"));
        assert!(page.contains("cannot create output folder &lt;out&gt;/6.2"));
        assert!(page.contains("<section class=\"item failed\" id=\"item-6-2\">"));
        assert!(page.contains("Parity with the PyTorch reference was not checked"));
        assert!(page.contains("--seed 42"));
        assert!(!page.contains("<link") && !page.contains("src=\"http"), "nothing from outside");
    }
}
