//! The HTML report as a reader's browser shows it. Each test runs actlab,
//! then opens `DIR/report.html` in headless Chromium at a laptop's size and a
//! phone's: once for a screenshot, kept beside the report for a person to
//! look at, and once to dump the page after load, where the page's own
//! check has written whether every figure is on screen and whether anything
//! is wider than the window. Chromium must be installed; without it these
//! tests fail and say how to install it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const LAPTOP: (&str, u32, u32) = ("laptop", 1366, 900);
const PHONE: (&str, u32, u32) = ("phone", 390, 844);

/// A folder under cargo's target/tmp, emptied, whose report and screenshots
/// outlive the test so that they can be looked at.
fn kept_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn chromium() -> PathBuf {
    let on_path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).map(|p| p.join("chromium")).collect())
        .unwrap_or_default();
    let found =
        [PathBuf::from("/usr/bin/chromium")].into_iter().chain(on_path).find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!(
            "Chromium is not installed, and the report test needs it to open the page: run \
             scripts/setup-browser.sh (as root; `make test` runs it first)"
        )
    })
}

/// Headless Chromium that touches no network and keeps nothing between runs.
fn browser(profile: &Path, (_, width, height): (&str, u32, u32)) -> Command {
    let mut command = Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--window-size={width},{height}"));
    command
}

fn page_url(page: &Path) -> String {
    format!("file://{}", page.canonicalize().unwrap().display())
}

/// Saves what a screen of `size` shows of the top of the page, and returns
/// the file.
fn screenshot(page: &Path, size: (&str, u32, u32)) -> PathBuf {
    let profile = tempfile::tempdir().unwrap();
    let shot = page.with_file_name(format!("report-{}.png", size.0));

    let output = browser(profile.path(), size)
        .arg(format!("--screenshot={}", shot.display()))
        .arg(page_url(page))
        .output()
        .expect("chromium runs");

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let bytes = std::fs::read(&shot).unwrap_or_else(|e| panic!("no {}: {e}", shot.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", shot.display());
    shot
}

/// Headless Chromium will not make a window narrower than this, whatever
/// `--window-size` asks.
const NARROWEST_WINDOW: u32 = 500;

/// The verdict the page's script writes into `<body data-check>` once loaded
/// in a viewport of `size`. A viewport narrower than Chromium's narrowest
/// window is made by showing the page in an iframe of that size, as a
/// responsive-design view does; the page measures itself inside it.
fn verdict(page: &Path, size: (&str, u32, u32)) -> String {
    let profile = tempfile::tempdir().unwrap();
    let (_, width, height) = size;
    let (url, window) = if width >= NARROWEST_WINDOW {
        (page_url(page), size)
    } else {
        let frame = profile.path().join("frame.html");
        std::fs::write(&frame, framed(page, width, height)).unwrap();
        (page_url(&frame), ("frame", NARROWEST_WINDOW, height))
    };

    let output = browser(profile.path(), window)
        .args(["--virtual-time-budget=5000", "--dump-dom"])
        .arg(url)
        .output()
        .expect("chromium runs");

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom.find("data-check=\"").unwrap_or_else(|| panic!("no verdict in:\n{dom}"));
    let rest = &dom[start + "data-check=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A page holding the report in a `width` x `height` iframe, which copies the
/// report's verdict into its own `<body data-check>` once the report has
/// loaded. `srcdoc` keeps the two documents of one origin, so the outer one
/// may read the inner one.
fn framed(page: &Path, width: u32, height: u32) -> String {
    let html = std::fs::read_to_string(page).unwrap();
    let quoted = html.replace('&', "&amp;").replace('"', "&quot;");
    format!(
        "<!DOCTYPE html><html><body data-check=\"pending\" style=\"margin:0\">\
         <iframe style=\"width:{width}px;height:{height}px;border:0\" srcdoc=\"{quoted}\"></iframe>\
         <script>const frame = document.querySelector('iframe');\
         frame.addEventListener('load', () => {{\
           document.body.dataset.check = frame.contentDocument.body.dataset.check;\
         }});</script></body></html>"
    )
}

/// Nothing the page shows comes from elsewhere: no links to style sheets or
/// scripts, and no address a browser would fetch.
fn assert_self_contained(html: &str) {
    for outside in ["<link", "src=\"http", "src='http", "url(http", "@import", "<iframe"] {
        assert!(!html.contains(outside), "the report refers outside itself: {outside}");
    }
    assert!(!html.contains("<script src"), "the report loads a script");
}

#[test]
fn a_section_report_shows_every_figure_and_fits_a_laptop_and_a_phone() {
    let out = kept_dir("section-6.2");
    run_actlab(&["section", "6.2", "--device", "cpu"], &out);
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();

    assert_self_contained(&html);
    assert!(html.contains("Common activation functions and their gradients"));
    assert!(html.contains("Sigmoid gradient -&gt; 0 when |x| &gt; 5"), "what 6.2 printed");
    assert!(html.contains("Parity with the PyTorch reference was not checked"));
    assert!(html.contains("make test"));
    for size in [LAPTOP, PHONE] {
        let shot = screenshot(&page, size);
        eprintln!("screenshot: {}", shot.display());
        let expected = format!("figures=4/4 overflow=none width={}", size.1);
        assert_eq!(verdict(&page, size), expected, "at the {} size", size.0);
    }
}

/// A section whose output folder is taken by a file fails; the run goes on
/// to write a report that shows the error, and still exits 1.
#[test]
fn a_failed_item_is_shown_in_the_report_and_the_run_still_fails() {
    let out = kept_dir("failed-6.2");
    std::fs::write(out.join("6.2"), b"a file where the section's folder should be").unwrap();

    let output = actlab()
        .args(["section", "6.2", "--device", "cpu", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).expect("the report is written even so");
    assert!(html.contains("<section class=\"item failed\" id=\"item-6-2\">"));
    assert!(html.contains("<div class=\"error\" role=\"alert\">"));
    assert!(html.contains("cannot create output folder"), "the error itself is shown");
    assert!(html.contains("<span class=\"pill bad\">failed</span>"));
    screenshot(&page, PHONE);
    assert_eq!(verdict(&page, PHONE), "figures=0/0 overflow=none width=390");
}

/// Against a reference that differs from this run in one value of one
/// series, the report counts the rest identical and names that series with
/// its difference. The reference here is actlab's own results with one value
/// moved, so that the test needs no Python; tests/parity.rs compares with
/// the real PyTorch reference.
#[test]
fn parity_is_reported_series_by_series_against_a_reference() {
    let reference = tempfile::tempdir().unwrap();
    run_actlab(&["section", "6.2", "--device", "cpu"], reference.path());
    let mut results = read_results(reference.path(), "6.2");
    let total = results["series"].as_object().unwrap().len();
    let moved = results["series"]["tanh/grad"][10].as_f64().unwrap();
    results["series"]["tanh/grad"][10] = serde_json::json!(moved + 0.5);
    let file = reference.path().join("6.2").join("results.json");
    std::fs::write(&file, serde_json::to_string(&results).unwrap()).unwrap();

    let out = kept_dir("parity-6.2");
    let output = actlab()
        .args(["section", "6.2", "--device", "cpu", "--quiet", "--out"])
        .arg(&out)
        .arg("--reference")
        .arg(reference.path())
        .output()
        .unwrap();

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let expected = format!("{} of {total} series identical", total - 1);
    assert!(html.contains(&expected), "no \"{expected}\" in the report");
    assert!(html.contains("<td><code>tanh/grad</code></td><td>1 of 1000 values differ</td>"));
    assert!(html.contains("<td class=\"num\">5.000e-1</td>"), "the max |difference| is shown");
    assert!(!html.contains("was not checked"));
}

#[test]
fn a_reference_that_is_not_a_folder_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let output = actlab()
        .args(["section", "6.2", "--device", "cpu", "--reference", "/nonexistent/reference"])
        .arg("--out")
        .arg(out.path().join("o"))
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--reference /nonexistent/reference"));
    assert!(!out.path().join("o").exists(), "refused before anything is made");
}
