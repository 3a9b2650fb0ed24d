//! Every figure actlab draws, described as plain data and rendered to PNG or SVG.
//!
//! The notebook draws with matplotlib; the sections describe the same figures here. A [`Figure`]
//! is a grid of [`Panel`]s, and a panel holds lines (with an optional shaded band), grouped bars
//! and histograms, plus the dashed reference lines the notebook draws through zero.
//! [`Figure::save`] renders them with plotters in matplotlib's default look: the tab10 color
//! cycle, a light grid, ticks at round numbers, a legend in the corner the data leave free. The
//! font, DejaVu Sans as matplotlib ships it, is built into the program, so drawing needs nothing
//! from the system. The figures are for reading; they are not meant to match the notebook's
//! pixel for pixel, and they keep matplotlib's plain white style rather than the seaborn
//! darkgrid one the notebook switches to.
//!
//! A diverging training run produces NaN and infinite values, and a log axis cannot show zero or
//! negative ones. Such points are left out and break their line, as they do in matplotlib.

use std::iter;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{bail, ensure, Context, Result};
use plotters::backend::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters::chart::{ChartBuilder, ChartContext};
use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, IntoDrawingArea};
use plotters::element::{DashedPathElement, PathElement, Polygon, Rectangle};
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{
    register_font, Color, FontDesc, FontFamily, FontStyle, RGBAColor, ShapeStyle, TextStyle, BLACK,
    TRANSPARENT, WHITE,
};

pub use plotters::style::RGBColor;

use crate::output;
use raster::Raster;

/// matplotlib's default color cycle (tab10), `'C0'` to `'C9'`.
pub const C0: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
pub const C1: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
pub const C2: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
pub const C3: RGBColor = RGBColor(0xd6, 0x27, 0x28);
pub const C4: RGBColor = RGBColor(0x94, 0x67, 0xbd);
pub const C5: RGBColor = RGBColor(0x8c, 0x56, 0x4b);
pub const C6: RGBColor = RGBColor(0xe3, 0x77, 0xc2);
pub const C7: RGBColor = RGBColor(0x7f, 0x7f, 0x7f);
pub const C8: RGBColor = RGBColor(0xbc, 0xbd, 0x22);
pub const C9: RGBColor = RGBColor(0x17, 0xbe, 0xcf);

/// matplotlib's named `'red'`, `'green'` and `'blue'`, which the notebook uses to set one
/// network against another. Its green is half bright, unlike plotters' `GREEN`.
pub const RED: RGBColor = RGBColor(0xff, 0x00, 0x00);
pub const GREEN: RGBColor = RGBColor(0x00, 0x80, 0x00);
pub const BLUE: RGBColor = RGBColor(0x00, 0x00, 0xff);

const CYCLE: [RGBColor; 10] = [C0, C1, C2, C3, C4, C5, C6, C7, C8, C9];

/// The `i`-th color of the default cycle, starting over after ten as matplotlib does.
pub fn cycle(i: usize) -> RGBColor {
    CYCLE[i % CYCLE.len()]
}

// Sizes are pixels at matplotlib's default 100 dpi, where a point is 100/72 pixel. A plotters
// font size is DejaVu's line height, 1.16 em, so matplotlib's 10 pt text is size 16.
const PX_PER_PT: f64 = 100.0 / 72.0;
const TEXT_SIZE: f64 = 16.0;
const TITLE_SIZE: f64 = 19.5;
const SUPTITLE_SIZE: f64 = 26.0;

const PAD: i32 = 12;
const TICK_LENGTH: i32 = 5;
const TITLE_GAP: i32 = 8;
const LABEL_GAP: i32 = 6;

// matplotlib's legend metrics, in its 10 pt em of 14 pixels.
const LEGEND_PAD: i32 = 6;
const LEGEND_ROW_GAP: i32 = 7;
const LEGEND_HANDLE: i32 = 28;
const LEGEND_HANDLE_GAP: i32 = 11;
const LEGEND_INSET: i32 = 7;
const LEGEND_EDGE: RGBColor = RGBColor(0xcc, 0xcc, 0xcc);

/// matplotlib's `axes.xmargin` and `axes.ymargin`: data keep 5% of the span clear of the frame.
const MARGIN: f64 = 0.05;
const GRID: RGBAColor = RGBAColor(0xb0, 0xb0, 0xb0, 0.3);
const BAR_ALPHA: f64 = 0.7;
const HIST_ALPHA: f64 = 0.4;
const BAND_ALPHA: f64 = 0.2;
const REFERENCE_ALPHA: f64 = 0.3;
const REFERENCE_WIDTH: f64 = 1.5;

/// A whole figure: a bold title over a grid of panels, like `plt.subplots(rows, cols)` with
/// `fig.suptitle(..., fontsize=16, fontweight='bold')`.
#[derive(Debug, Clone)]
pub struct Figure {
    /// The suptitle; empty for none.
    pub title: String,
    pub rows: usize,
    pub cols: usize,
    /// Size in pixels; matplotlib's `figsize=(14, 5)` at its default 100 dpi is 1400 x 500.
    pub width: u32,
    pub height: u32,
    /// The panels in row-major order, as `axes.flat` lists them; cells past the last stay blank.
    pub panels: Vec<Panel>,
}

/// One set of axes.
#[derive(Debug, Clone, Default)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// `set_yscale('log')`.
    pub log_y: bool,
    /// `set_xlim`; `None` fits the data with a 5% margin.
    pub x_range: Option<(f64, f64)>,
    /// `set_ylim`; `None` fits the data with a 5% margin, measured in decades on a log axis.
    pub y_range: Option<(f64, f64)>,
    pub lines: Vec<Line>,
    pub bars: Option<Bars>,
    pub hist: Vec<Histogram>,
    /// `axhline(y, color='k', linestyle='--', alpha=0.3)` at each value.
    pub hlines: Vec<f64>,
    /// `axvline(x, color='k', linestyle='--', alpha=0.3)` at each value.
    pub vlines: Vec<f64>,
    /// `legend()`: placed in the corner the data crowd least, as matplotlib's `loc='best'`.
    pub legend: bool,
}

/// `plot(xs, ys, label=..., color=..., linewidth=...)`.
#[derive(Debug, Clone)]
pub struct Line {
    /// The legend entry; empty for none.
    pub label: String,
    pub color: RGBColor,
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    /// `linestyle='--'`.
    pub dashed: bool,
    /// `linewidth`, in points like matplotlib's.
    pub width: u32,
    /// Lower and upper values at each x, shaded in the line's color: `fill_between(xs, lower,
    /// upper, alpha=0.2)`.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// Grouped bars, one cluster per category, each group's bars side by side within it.
#[derive(Debug, Clone)]
pub struct Bars {
    /// The tick label under each cluster (`set_xticklabels`).
    pub categories: Vec<String>,
    pub groups: Vec<BarGroup>,
    /// Writes each bar's value at its end, e.g. `|v| format!("{v:.1}%")`.
    pub value_labels: Option<fn(f64) -> String>,
}

/// One series of bars: `bar(x, values, width, label=..., color=..., alpha=0.7)`.
#[derive(Debug, Clone)]
pub struct BarGroup {
    pub label: String,
    pub color: RGBColor,
    /// One value per category; a negative one hangs down from zero.
    pub values: Vec<f64>,
    /// A color for each bar, overriding `color` (`bar(..., color=colors)`); empty for none.
    pub bar_colors: Vec<RGBColor>,
}

/// `hist(values, bins=..., alpha=0.4)`, counted over the panel's x range when it has one and
/// over the span of all the panel's histograms otherwise, so that they share their bins.
#[derive(Debug, Clone)]
pub struct Histogram {
    pub label: String,
    pub color: RGBColor,
    pub values: Vec<f64>,
    pub bins: usize,
}

impl Figure {
    pub fn new(
        title: impl Into<String>,
        (rows, cols): (usize, usize),
        (width, height): (u32, u32),
    ) -> Self {
        Figure { title: title.into(), rows, cols, width, height, panels: Vec::new() }
    }

    pub fn with_panel(mut self, panel: Panel) -> Self {
        self.panels.push(panel);
        self
    }

    /// Renders the figure to `path`: PNG for a `.png` name, SVG for `.svg`. The file appears
    /// whole or not at all.
    pub fn save(&self, path: &Path) -> Result<()> {
        let format = Format::of(path)?;
        self.check().with_context(|| format!("cannot draw {}", path.display()))?;
        ensure!(fonts_registered(), "the built-in DejaVu Sans font could not be loaded");

        let size = (self.width, self.height);
        match format {
            Format::Png => output::write_atomic_with(path, |tmp| {
                let root = Raster::new(BitMapBackend::new(tmp, size))?.into_drawing_area();
                self.render(&root)?;
                root.present().context("cannot encode the PNG")
            }),
            Format::Svg => {
                let svg =
                    self.to_svg().with_context(|| format!("cannot draw {}", path.display()))?;
                output::write_atomic(path, svg.as_bytes())
            }
        }
    }

    /// Renders the figure as the text of an SVG document, for pages that embed it.
    pub fn to_svg(&self) -> Result<String> {
        self.check()?;
        ensure!(fonts_registered(), "the built-in DejaVu Sans font could not be loaded");

        let mut svg = String::new();
        {
            let root =
                SVGBackend::with_string(&mut svg, (self.width, self.height)).into_drawing_area();
            self.render(&root)?;
            root.present()?;
        }
        Ok(svg)
    }

    fn check(&self) -> Result<()> {
        ensure!(
            self.rows > 0 && self.cols > 0,
            "a {} x {} grid has no cells",
            self.rows,
            self.cols
        );
        ensure!(
            self.panels.len() <= self.rows.saturating_mul(self.cols),
            "{} panels do not fit a {} x {} grid",
            self.panels.len(),
            self.rows,
            self.cols
        );

        // Below this a panel's labels leave no room for its data.
        let (cell_w, cell_h) = (self.width as usize / self.cols, self.height as usize / self.rows);
        ensure!(
            cell_w >= 160 && cell_h >= 120,
            "{} x {} pixels is too small for a {} x {} grid",
            self.width,
            self.height,
            self.rows,
            self.cols
        );
        Ok(())
    }

    fn render<DB: DrawingBackend<ErrorType: 'static>>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<()> {
        root.fill(&WHITE)?;

        let body =
            if self.title.is_empty() { root.clone() } else { draw_suptitle(root, &self.title)? };

        let cells = body.split_evenly((self.rows, self.cols));
        for (panel, cell) in self.panels.iter().zip(&cells) {
            draw_panel(cell, panel).with_context(|| format!("panel {:?}", panel.title))?;
        }
        Ok(())
    }
}

impl Panel {
    pub fn new(
        title: impl Into<String>,
        x_label: impl Into<String>,
        y_label: impl Into<String>,
    ) -> Self {
        Panel {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            ..Panel::default()
        }
    }

    pub fn with_line(mut self, line: Line) -> Self {
        self.lines.push(line);
        self
    }

    pub fn with_bars(mut self, bars: Bars) -> Self {
        self.bars = Some(bars);
        self
    }

    pub fn with_hist(mut self, hist: Histogram) -> Self {
        self.hist.push(hist);
        self
    }

    pub fn with_hline(mut self, y: f64) -> Self {
        self.hlines.push(y);
        self
    }

    pub fn with_vline(mut self, x: f64) -> Self {
        self.vlines.push(x);
        self
    }

    pub fn with_log_y(mut self) -> Self {
        self.log_y = true;
        self
    }

    pub fn with_legend(mut self) -> Self {
        self.legend = true;
        self
    }

    pub fn with_x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }
}

impl Line {
    /// A solid line two points wide, the notebook's `linewidth=2`.
    pub fn new(
        label: impl Into<String>,
        color: RGBColor,
        xs: impl Into<Vec<f64>>,
        ys: impl Into<Vec<f64>>,
    ) -> Self {
        Line {
            label: label.into(),
            color,
            xs: xs.into(),
            ys: ys.into(),
            dashed: false,
            width: 2,
            band: None,
        }
    }

    /// `plot(ys)`: the values against their index 0, 1, 2, ..., as training curves are drawn
    /// against the epoch.
    pub fn series(label: impl Into<String>, color: RGBColor, ys: impl Into<Vec<f64>>) -> Self {
        let ys = ys.into();
        let xs: Vec<f64> = (0..ys.len()).map(|i| i as f64).collect();
        Line::new(label, color, xs, ys)
    }

    pub fn with_dashes(mut self) -> Self {
        self.dashed = true;
        self
    }

    pub fn with_width(mut self, width: u32) -> Self {
        self.width = width;
        self
    }

    pub fn with_band(mut self, lower: impl Into<Vec<f64>>, upper: impl Into<Vec<f64>>) -> Self {
        self.band = Some((lower.into(), upper.into()));
        self
    }

    fn stroke(&self) -> (ShapeStyle, Option<(f64, f64)>) {
        let width = f64::from(self.width);
        let style = self.color.stroke_width(points_to_px(width));
        (style, self.dashed.then(|| dash_pattern(width)))
    }
}

impl Bars {
    pub fn new(categories: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let categories = categories.into_iter().map(Into::into).collect();
        Bars { categories, groups: Vec::new(), value_labels: None }
    }

    pub fn with_group(mut self, group: BarGroup) -> Self {
        self.groups.push(group);
        self
    }

    pub fn with_value_labels(mut self, format: fn(f64) -> String) -> Self {
        self.value_labels = Some(format);
        self
    }

    /// The number of clusters: one per category, or per value where a group has more.
    fn slots(&self) -> usize {
        let longest = self.groups.iter().map(|group| group.values.len()).max().unwrap_or(0);
        self.categories.len().max(longest)
    }

    /// A lone group's bars take matplotlib's default width of 0.8; several share 0.75 of each
    /// category, which gives the notebook's 0.25 for three.
    fn bar_width(&self) -> f64 {
        match self.groups.len() {
            0 | 1 => 0.8,
            n => 0.75 / n as f64,
        }
    }
}

impl BarGroup {
    pub fn new(label: impl Into<String>, color: RGBColor, values: impl Into<Vec<f64>>) -> Self {
        BarGroup { label: label.into(), color, values: values.into(), bar_colors: Vec::new() }
    }

    pub fn with_bar_colors(mut self, colors: impl Into<Vec<RGBColor>>) -> Self {
        self.bar_colors = colors.into();
        self
    }
}

impl Histogram {
    pub fn new(
        label: impl Into<String>,
        color: RGBColor,
        values: impl Into<Vec<f64>>,
        bins: usize,
    ) -> Self {
        Histogram { label: label.into(), color, values: values.into(), bins }
    }
}

enum Format {
    Png,
    Svg,
}

impl Format {
    fn of(path: &Path) -> Result<Format> {
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => bail!("cannot save {}: a figure is saved as .png or .svg", path.display()),
        }
    }
}

/// Registers DejaVu Sans under the family name plotters asks for, once per process.
fn fonts_registered() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        let family = FontFamily::SansSerif.as_str();
        register_font(family, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(family, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    })
}

fn font(size: f64, style: FontStyle) -> FontDesc<'static> {
    FontDesc::new(FontFamily::SansSerif, size, style)
}

fn text_style(size: f64, style: FontStyle, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from(font(size, style)).pos(Pos::new(h, v))
}

fn text_size(font: &FontDesc, text: &str) -> Result<(i32, i32)> {
    let (width, height) = font.box_size(text)?;
    Ok((width as i32, height as i32))
}

fn points_to_px(points: f64) -> u32 {
    (points * PX_PER_PT).round().max(1.0) as u32
}

/// matplotlib's `'--'`: dashes of 3.7 and gaps of 1.6 line widths.
fn dash_pattern(width_pt: f64) -> (f64, f64) {
    (3.7 * width_pt * PX_PER_PT, 1.6 * width_pt * PX_PER_PT)
}

fn draw_suptitle<DB: DrawingBackend<ErrorType: 'static>>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>> {
    let (_, height) = text_size(&font(SUPTITLE_SIZE, FontStyle::Bold), title)?;
    let (head, body) = root.split_vertically(height + 2 * PAD);

    let (width, head_height) = head.dim_in_pixel();
    let style = text_style(SUPTITLE_SIZE, FontStyle::Bold, HPos::Center, VPos::Center);
    head.draw_text(title, &style, (width as i32 / 2, head_height as i32 / 2))?;
    Ok(body)
}

type Coords = Cartesian2d<Axis, Axis>;

fn draw_panel<DB: DrawingBackend<ErrorType: 'static>>(
    cell: &DrawingArea<DB, Shift>,
    panel: &Panel,
) -> Result<()> {
    let (cell_w, cell_h) = cell.dim_in_pixel();
    let axes = Axes::fit(panel, (cell_w, cell_h))?;
    let room = Room::measure(panel, &axes)?;
    ensure!(room.fits((cell_w, cell_h)), "the panel is too small for its labels");

    let mut chart = ChartBuilder::on(cell)
        .margin_top(room.top)
        .margin_right(room.right)
        .margin_bottom(PAD)
        .margin_left(PAD)
        .x_label_area_size(room.x_labels)
        .y_label_area_size(room.y_labels)
        .build_cartesian_2d(axes.x.clone(), axes.y.clone())?;
    draw_mesh(&mut chart, panel, &axes)?;

    let plot = chart.plotting_area();
    let base = plot.get_base_pixel();
    let to_px = |p: (f64, f64)| {
        let (x, y) = plot.map_coordinate(&p);
        (x - base.0, y - base.1)
    };
    let area = plot.strip_coord_spec();
    let scene = Scene::build(panel, &axes);
    scene.draw(&area, &to_px)?;

    // Plotters draws the left and bottom axis lines just outside the plot; the frame's own left
    // and bottom edges go over them rather than beside them.
    let bounds = axes.bounds();
    let ((left, top), (right, bottom)) =
        (to_px((bounds.x0, bounds.y1)), to_px((bounds.x1, bounds.y0)));
    let frame = [(left - 1, top), (right, bottom + 1)];
    area.draw(&Rectangle::new(frame, BLACK.stroke_width(1)))?;

    let entries = legend_entries(panel);
    if panel.legend && !entries.is_empty() {
        draw_legend(&area, &entries, &scene, bounds)?;
    }
    draw_title(cell, &area, &panel.title)
}

fn draw_mesh<DB: DrawingBackend<ErrorType: 'static>>(
    chart: &mut ChartContext<'_, DB, Coords>,
    panel: &Panel,
    axes: &Axes,
) -> Result<()> {
    let x_label = |v: &f64| axes.x.label_at(*v);
    let y_label = |v: &f64| axes.y.label_at(*v);
    let text = text_style(TEXT_SIZE, FontStyle::Normal, HPos::Center, VPos::Center);

    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.stroke_width(1))
        .set_all_tick_mark_size(TICK_LENGTH)
        .x_labels(axes.x.ticks.len())
        .y_labels(axes.y.ticks.len())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(text.clone())
        .axis_desc_style(text)
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str());
    // The notebook grids its bar panels along y only (`grid(True, axis='y')`).
    if panel.bars.is_some() {
        mesh.disable_x_mesh();
    }
    mesh.draw()?;
    Ok(())
}

/// Centres the title over the plot rather than over the cell, as matplotlib does.
fn draw_title<DB: DrawingBackend<ErrorType: 'static>>(
    cell: &DrawingArea<DB, Shift>,
    plot: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<()> {
    if title.is_empty() {
        return Ok(());
    }

    let (cell_x, cell_y) = cell.get_base_pixel();
    let (xs, ys) = plot.get_pixel_range();
    let at = ((xs.start + xs.end) / 2 - cell_x, ys.start - cell_y - TITLE_GAP);
    let style = text_style(TITLE_SIZE, FontStyle::Normal, HPos::Center, VPos::Bottom);
    cell.draw_text(title, &style, at)?;
    Ok(())
}

/// The pixels a panel sets aside around its plot for the title, tick labels and axis labels.
struct Room {
    top: i32,
    right: i32,
    x_labels: i32,
    y_labels: i32,
}

impl Room {
    fn measure(panel: &Panel, axes: &Axes) -> Result<Room> {
        let text = font(TEXT_SIZE, FontStyle::Normal);
        let widest = |labels: &[String]| -> Result<i32> {
            labels.iter().try_fold(0, |widest, label| Ok(widest.max(text_size(&text, label)?.0)))
        };
        let (_, text_h) = text_size(&text, "0")?;
        let axis_label = |label: &str| if label.is_empty() { 0 } else { LABEL_GAP + text_h };
        let title = match panel.title.as_str() {
            "" => 0,
            title => text_size(&font(TITLE_SIZE, FontStyle::Normal), title)?.1 + TITLE_GAP,
        };

        // Plotters sets tick labels twice the tick length away from the axis.
        let tick_labels = 2 * TICK_LENGTH;
        Ok(Room {
            top: PAD + title.max(text_h / 2),
            right: PAD.max(widest(&axes.x.labels)? / 2 + 4),
            x_labels: tick_labels + text_h + axis_label(&panel.x_label) + 4,
            y_labels: tick_labels + widest(&axes.y.labels)? + axis_label(&panel.y_label) + 2,
        })
    }

    fn fits(&self, (width, height): (u32, u32)) -> bool {
        let plot_w = width as i32 - PAD - self.y_labels - self.right;
        let plot_h = height as i32 - PAD - self.x_labels - self.top;
        plot_w >= 40 && plot_h >= 40
    }
}

/// A panel's two axes: their limits, and the ticks with their labels. On a log axis every
/// value is held as its base-10 logarithm, so the drawing code sees only linear axes.
struct Axes {
    x: Axis,
    y: Axis,
    log_y: bool,
    hists: Vec<Vec<Bin>>,
}

#[derive(Clone)]
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    labels: Vec<String>,
}

struct Bin {
    left: f64,
    right: f64,
    count: f64,
}

impl Axes {
    fn fit(panel: &Panel, (cell_w, cell_h): (u32, u32)) -> Result<Axes> {
        let (x_lo, x_hi) = x_limits(panel)?;
        let hist_span = match panel.x_range {
            Some(range) => range,
            None => hist_extent(panel),
        };
        let hists = panel.hist.iter().map(|hist| bin(hist, hist_span)).collect::<Vec<_>>();
        let (y_lo, y_hi) = y_limits(panel, &hists)?;

        // matplotlib allows an x tick per three font sizes of axis and a y tick per two, and
        // never more than nine intervals (`MaxNLocator('auto')`).
        let max_x_ticks = tick_budget(f64::from(cell_w) - 110.0, 3.0);
        let max_y_ticks = tick_budget(f64::from(cell_h) - 100.0, 2.0);
        let x = match &panel.bars {
            Some(bars) => Axis::categorical(bars, x_lo, x_hi),
            None => Axis::linear(x_lo, x_hi, max_x_ticks),
        };
        let y = if panel.log_y {
            Axis::log(y_lo, y_hi, max_y_ticks)
        } else {
            Axis::linear(y_lo, y_hi, max_y_ticks)
        };
        Ok(Axes { x, y, log_y: panel.log_y, hists })
    }

    fn y(&self, v: f64) -> Option<f64> {
        axis_value(v, self.log_y)
    }

    fn point(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        Some((finite(x)?, self.y(y)?))
    }

    /// Where bars and histogram bins stand: zero, or the bottom of a log axis.
    fn baseline(&self) -> f64 {
        if self.log_y {
            self.y.lo
        } else {
            0.0
        }
    }

    fn bounds(&self) -> Bounds {
        Bounds { x0: self.x.lo, x1: self.x.hi, y0: self.y.lo, y1: self.y.hi }
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn axis_value(v: f64, log: bool) -> Option<f64> {
    finite(if log { v.log10() } else { v })
}

fn tick_budget(axis_px: f64, font_sizes: f64) -> usize {
    let axis_pt = axis_px / PX_PER_PT;
    ((axis_pt / (10.0 * font_sizes)).floor() as usize).clamp(1, 9)
}

fn checked_range(name: &str, (lo, hi): (f64, f64), log: bool) -> Result<(f64, f64)> {
    match (axis_value(lo, log), axis_value(hi, log)) {
        (Some(a), Some(b)) if a < b => Ok((a, b)),
        _ if log => bail!("{name} ({lo}, {hi}) must be two increasing positive numbers"),
        _ => bail!("{name} ({lo}, {hi}) must be two increasing finite numbers"),
    }
}

fn x_limits(panel: &Panel) -> Result<(f64, f64)> {
    if let Some(range) = panel.x_range {
        return checked_range("x_range", range, false);
    }
    if let Some(bars) = &panel.bars {
        return Ok((-0.5, bars.slots().max(1) as f64 - 0.5));
    }

    let mut extent = Extent::default();
    for line in &panel.lines {
        for (&x, &y) in line.xs.iter().zip(&line.ys) {
            if axis_value(y, panel.log_y).is_some() {
                extent.include(finite(x));
            }
        }
    }
    for hist in &panel.hist {
        hist.values.iter().for_each(|&v| extent.include(finite(v)));
    }
    panel.vlines.iter().for_each(|&x| extent.include(finite(x)));
    Ok(extent.padded(MARGIN))
}

fn hist_extent(panel: &Panel) -> (f64, f64) {
    let mut extent = Extent::default();
    for hist in &panel.hist {
        hist.values.iter().for_each(|&v| extent.include(finite(v)));
    }
    extent.padded(0.0)
}

/// Counts like `numpy.histogram`: equal bins over `lo..=hi`, the last one closed.
fn bin(hist: &Histogram, (lo, hi): (f64, f64)) -> Vec<Bin> {
    let bins = hist.bins.max(1);
    let width = (hi - lo) / bins as f64;

    let mut counts = vec![0_usize; bins];
    for &v in hist.values.iter().filter(|v| (lo..=hi).contains(*v)) {
        let i = ((v - lo) / width) as usize;
        counts[i.min(bins - 1)] += 1;
    }

    let edge = |i: usize| lo + i as f64 * width;
    let bins = counts.into_iter().enumerate();
    bins.map(|(i, count)| Bin { left: edge(i), right: edge(i + 1), count: count as f64 }).collect()
}

fn y_limits(panel: &Panel, hists: &[Vec<Bin>]) -> Result<(f64, f64)> {
    if let Some(range) = panel.y_range {
        return checked_range("y_range", range, panel.log_y);
    }

    let y = |v: f64| axis_value(v, panel.log_y);
    let mut extent = Extent::default();
    for line in &panel.lines {
        let mut columns = vec![&line.ys];
        if let Some((lower, upper)) = &line.band {
            columns.extend([lower, upper]);
        }
        for ys in columns {
            let drawn = line.xs.iter().zip(ys.iter()).filter(|(x, _)| x.is_finite());
            drawn.for_each(|(_, &v)| extent.include(y(v)));
        }
    }
    let bars = panel.bars.iter().flat_map(|bars| &bars.groups);
    bars.flat_map(|group| &group.values).for_each(|&v| extent.include(y(v)));
    hists.iter().flatten().for_each(|bin| extent.include(y(bin.count)));
    panel.hlines.iter().for_each(|&h| extent.include(y(h)));

    // Bars and bins stand on zero, so a linear axis ends there rather than a margin beyond,
    // as matplotlib's sticky edges do.
    let sticky = !panel.log_y && (panel.bars.is_some() || !hists.is_empty());
    if sticky {
        extent.include(Some(0.0));
    }
    let (mut lo, mut hi) = extent.padded(MARGIN);
    if sticky && extent.lo >= 0.0 && extent.hi > 0.0 {
        lo = 0.0;
    }
    if sticky && extent.hi <= 0.0 && extent.lo < 0.0 {
        hi = 0.0;
    }
    if sticky && extent.lo == 0.0 && extent.hi == 0.0 {
        (lo, hi) = (0.0, 1.0);
    }

    // Value labels sit beyond the bar ends, so the axis makes room for them.
    if let Some(bars) = panel.bars.as_ref().filter(|bars| bars.value_labels.is_some()) {
        let room = 0.08 * (hi - lo);
        let values = || bars.groups.iter().flat_map(|group| &group.values).filter_map(|&v| y(v));
        if values().any(|v| v > 0.0 || panel.log_y) {
            hi += room;
        }
        if !panel.log_y && values().any(|v| v < 0.0) {
            lo -= room;
        }
    }
    Ok((lo, hi))
}

/// The smallest and largest of some values; empty while `lo > hi`.
#[derive(Clone, Copy)]
struct Extent {
    lo: f64,
    hi: f64,
}

impl Default for Extent {
    fn default() -> Self {
        Extent { lo: f64::INFINITY, hi: f64::NEG_INFINITY }
    }
}

impl Extent {
    fn include(&mut self, v: Option<f64>) {
        if let Some(v) = v {
            self.lo = self.lo.min(v);
            self.hi = self.hi.max(v);
        }
    }

    /// The extent widened by `fraction` of its span on each side. A single value is first
    /// widened around itself, and no value at all gives 0..1, so that an axis always has span.
    fn padded(self, fraction: f64) -> (f64, f64) {
        if self.lo > self.hi {
            return (0.0, 1.0);
        }
        let (lo, hi) = if self.lo < self.hi {
            (self.lo, self.hi)
        } else {
            let half = if self.lo == 0.0 { 0.5 } else { 0.1 * self.lo.abs() };
            (self.lo - half, self.hi + half)
        };

        // Spans beyond f64 (data near its limits) get no margin rather than an infinite one.
        let margin = fraction * (hi - lo);
        if margin.is_finite() {
            (lo - margin, hi + margin)
        } else {
            (lo, hi)
        }
    }
}

impl Axis {
    fn label_at(&self, v: f64) -> String {
        let tick = self.ticks.iter().position(|&t| t == v);
        tick.map(|i| self.labels[i].clone()).unwrap_or_default()
    }

    fn categorical(bars: &Bars, lo: f64, hi: f64) -> Axis {
        let slots = 0..bars.slots();
        let ticks = slots.clone().map(|i| i as f64).collect();
        let labels = slots.map(|i| bars.categories.get(i).cloned().unwrap_or_default()).collect();
        Axis { lo, hi, ticks, labels }
    }

    fn linear(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        let (ticks, step) = linear_ticks(lo, hi, max_ticks);
        let labels = number_labels(&ticks, step);
        Axis { lo, hi, ticks, labels }
    }

    /// Ticks at whole decades, labelled as powers of ten. An axis holding fewer than two whole
    /// decades gets ticks at 1-9 (or 1, 2, 5) times a power of ten instead, and one too short
    /// even for those falls back to round numbers.
    fn log(lo: f64, hi: f64, max_ticks: usize) -> Axis {
        let first = (lo - 1e-9).ceil() as i32;
        let last = (hi + 1e-9).floor() as i32;
        let within = |t: f64| t >= lo - 1e-9 && t <= hi + 1e-9;

        let mut ticks: Vec<(f64, String)> = if last > first {
            let decades = (last - first + 1) as usize;
            let stride = decades.div_ceil(max_ticks.max(1)) as i32;
            let decades = (first..=last).filter(|k| k.rem_euclid(stride) == 0);
            decades.map(|k| (f64::from(k), power_label(1, k))).collect()
        } else {
            let decades = (lo.floor() as i32)..=(hi.ceil() as i32);
            let multiples: Vec<(f64, u32, i32)> = decades
                .flat_map(|k| (1..=9).map(move |m| (f64::from(m).log10() + f64::from(k), m, k)))
                .filter(|&(t, _, _)| within(t))
                .collect();
            let sparse = multiples.len() > max_ticks;
            let kept = multiples.into_iter().filter(|(_, m, _)| !sparse || [1, 2, 5].contains(m));
            kept.map(|(t, m, k)| (t, power_label(m, k))).collect()
        };

        if ticks.len() < 2 {
            let plain = Axis::linear(10f64.powf(lo), 10f64.powf(hi), max_ticks);
            ticks = plain.ticks.iter().map(|t| t.log10()).zip(plain.labels).collect();
        }
        let (ticks, labels) = ticks.into_iter().unzip();
        Axis { lo, hi, ticks, labels }
    }
}

/// Lets plotters draw the grid and tick labels at the ticks chosen here rather than its own.
impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, (start, end): (i32, i32)) -> i32 {
        let fraction = (value - self.lo) / (self.hi - self.lo);
        start.saturating_add((f64::from(end - start) * fraction).round() as i32)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // matplotlib's grid has no minor lines.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

/// Ticks at multiples of the smallest round step (1, 2, 2.5 or 5 times a power of ten) that
/// keeps to `max_ticks` intervals, as matplotlib's `MaxNLocator` places them.
fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> (Vec<f64>, f64) {
    let span = hi - lo;
    let intervals = max_ticks.max(1) as f64;
    if !(span.is_finite() && span > 0.0) {
        return (Vec::new(), 1.0);
    }

    let magnitude = 10f64.powf((span / intervals).log10().floor());
    let steps = [1.0, 2.0, 2.5, 5.0, 10.0].map(|m| m * magnitude);
    let step = steps.into_iter().find(|s| span / s <= intervals + 1e-9).unwrap_or(steps[4]);

    let first = (lo / step - 1e-9).ceil();
    let count = ((hi / step + 1e-9).floor() - first + 1.0).clamp(0.0, 100.0) as usize;
    ((0..count).map(|i| (first + i as f64) * step).collect(), step)
}

/// Labels with as many decimals as the step needs, so that a column of them lines up. Very
/// large or very fine numbers are written in scientific notation instead.
fn number_labels(ticks: &[f64], step: f64) -> Vec<String> {
    let largest = ticks.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
    if largest >= 1e6 || step < 1e-4 {
        let exponent = largest.max(step).log10().floor();
        let digits = decimals(step / 10f64.powf(exponent));
        return ticks.iter().map(|t| minus_sign(&format!("{t:.digits$e}"))).collect();
    }

    let digits = decimals(step);
    ticks.iter().map(|t| minus_sign(&format!("{t:.digits$}"))).collect()
}

fn decimals(step: f64) -> usize {
    let exact = |d: usize| {
        let scaled = step * 10f64.powi(d as i32);
        (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
    };
    (0..12).find(|&d| exact(d)).unwrap_or(12)
}

/// Rasters a minus as matplotlib does, with U+2212, and drops the sign of a zero.
fn minus_sign(text: &str) -> String {
    let unsigned = text.trim_start_matches('-');
    if unsigned.chars().take_while(|c| *c != 'e').all(|c| c == '0' || c == '.') {
        return unsigned.replace('-', "\u{2212}");
    }
    text.replace('-', "\u{2212}")
}

/// `m×10ᵏ` with the exponent in superscript, or plain `10ᵏ` when `m` is 1.
fn power_label(m: u32, k: i32) -> String {
    const SUPERSCRIPTS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let exponent: String = k
        .to_string()
        .chars()
        .map(|c| c.to_digit(10).map_or('⁻', |d| SUPERSCRIPTS[d as usize]))
        .collect();
    if m == 1 {
        format!("10{exponent}")
    } else {
        format!("{m}×10{exponent}")
    }
}

/// A rectangle in axis coordinates, used to clip what a panel draws to its frame.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Bounds {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

type Point = (f64, f64);

impl Bounds {
    fn contains(&self, (x, y): Point) -> bool {
        (self.x0..=self.x1).contains(&x) && (self.y0..=self.y1).contains(&y)
    }

    fn clip_rect(&self, [(xa, ya), (xb, yb)]: [Point; 2]) -> Option<[Point; 2]> {
        let (x0, x1) = (xa.min(xb).max(self.x0), xa.max(xb).min(self.x1));
        let (y0, y1) = (ya.min(yb).max(self.y0), ya.max(yb).min(self.y1));
        (x0 < x1 && y0 < y1).then_some([(x0, y0), (x1, y1)])
    }

    /// The part of the segment from `p` to `q` inside the bounds (Liang-Barsky).
    fn clip_segment(&self, p: Point, q: Point) -> Option<(Point, Point)> {
        let (dx, dy) = (q.0 - p.0, q.1 - p.1);
        let edges =
            [(-dx, p.0 - self.x0), (dx, self.x1 - p.0), (-dy, p.1 - self.y0), (dy, self.y1 - p.1)];

        let (mut enter, mut leave) = (0.0_f64, 1.0_f64);
        for (direction, room) in edges {
            if direction == 0.0 {
                if room < 0.0 {
                    return None;
                }
                continue;
            }
            let t = room / direction;
            if direction < 0.0 {
                enter = enter.max(t);
            } else {
                leave = leave.min(t);
            }
        }

        let at = |t: f64| (p.0 + t * dx, p.1 + t * dy);
        (enter <= leave).then(|| (at(enter), at(leave)))
    }

    /// The pieces of a polyline inside the bounds; a missing point (`None`) breaks the line.
    fn clip_polyline(&self, points: impl Iterator<Item = Option<Point>>) -> Vec<Vec<Point>> {
        let mut pieces = Vec::new();
        let mut piece: Vec<Point> = Vec::new();
        let mut finish = |piece: &mut Vec<Point>| {
            if piece.len() > 1 {
                pieces.push(std::mem::take(piece));
            }
            piece.clear();
        };

        let mut previous = None;
        for point in points {
            match (previous, point) {
                (Some(p), Some(q)) => match self.clip_segment(p, q) {
                    Some((start, end)) => {
                        if piece.last() != Some(&start) {
                            finish(&mut piece);
                            piece.push(start);
                        }
                        piece.push(end);
                    }
                    None => finish(&mut piece),
                },
                _ => finish(&mut piece),
            }
            previous = point;
        }
        finish(&mut piece);
        pieces
    }

    /// The part of a polygon inside the bounds (Sutherland-Hodgman, one edge at a time).
    fn clip_polygon(&self, polygon: Vec<Point>) -> Vec<Point> {
        let edges =
            [(0, self.x0, true), (0, self.x1, false), (1, self.y0, true), (1, self.y1, false)];
        edges.into_iter().fold(polygon, |polygon, (axis, limit, above)| {
            clip_half_plane(&polygon, axis, limit, above)
        })
    }
}

fn clip_half_plane(polygon: &[Point], axis: usize, limit: f64, above: bool) -> Vec<Point> {
    let coord = |p: Point| if axis == 0 { p.0 } else { p.1 };
    let inside = |p: Point| if above { coord(p) >= limit } else { coord(p) <= limit };
    let crossing = |p: Point, q: Point| {
        let t = (limit - coord(p)) / (coord(q) - coord(p));
        (p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1))
    };

    let mut clipped = Vec::with_capacity(polygon.len() + 2);
    let previous = polygon.iter().cycle().skip(polygon.len().saturating_sub(1));
    for (&p, &q) in previous.zip(polygon) {
        match (inside(p), inside(q)) {
            (true, true) => clipped.push(q),
            (true, false) => clipped.push(crossing(p, q)),
            (false, true) => clipped.extend([crossing(p, q), q]),
            (false, false) => {}
        }
    }
    clipped
}

/// What a panel draws inside its frame, in axis coordinates and already clipped to it.
#[derive(Default)]
struct Scene {
    patches: Vec<Patch>,
    bands: Vec<(Vec<Point>, RGBAColor)>,
    strokes: Vec<Stroke>,
    values: Vec<ValueLabel>,
}

struct Patch {
    corners: [Point; 2],
    color: RGBAColor,
}

struct Stroke {
    points: Vec<Point>,
    style: ShapeStyle,
    dash: Option<(f64, f64)>,
}

struct ValueLabel {
    at: Point,
    text: String,
    below: bool,
}

impl Scene {
    /// Lays out the panel in matplotlib's drawing order: patches under shading under lines.
    fn build(panel: &Panel, axes: &Axes) -> Scene {
        let bounds = axes.bounds();
        let mut scene = Scene::default();

        for (hist, bins) in panel.hist.iter().zip(&axes.hists) {
            let color = hist.color.mix(HIST_ALPHA);
            for bin in bins.iter().filter(|bin| bin.count > 0.0) {
                let Some(top) = axes.y(bin.count) else { continue };
                let corners = [(bin.left, axes.baseline()), (bin.right, top)];
                scene.add_patch(&bounds, corners, color);
            }
        }
        if let Some(bars) = &panel.bars {
            scene.add_bars(bars, axes);
        }
        for line in &panel.lines {
            if let Some((lower, upper)) = &line.band {
                scene.add_band(line, lower, upper, axes);
            }
        }
        for line in &panel.lines {
            let (style, dash) = line.stroke();
            let points = line.xs.iter().zip(&line.ys).map(|(&x, &y)| axes.point(x, y));
            scene.add_stroke(&bounds, points, style, dash);
        }

        let style = BLACK.mix(REFERENCE_ALPHA).stroke_width(points_to_px(REFERENCE_WIDTH));
        let dash = Some(dash_pattern(REFERENCE_WIDTH));
        for y in panel.hlines.iter().filter_map(|&y| axes.y(y)) {
            let across = [Some((bounds.x0, y)), Some((bounds.x1, y))];
            scene.add_stroke(&bounds, across.into_iter(), style, dash);
        }
        for x in panel.vlines.iter().filter_map(|&x| finite(x)) {
            let across = [Some((x, bounds.y0)), Some((x, bounds.y1))];
            scene.add_stroke(&bounds, across.into_iter(), style, dash);
        }
        scene
    }

    fn add_patch(&mut self, bounds: &Bounds, corners: [Point; 2], color: RGBAColor) {
        if let Some(corners) = bounds.clip_rect(corners) {
            self.patches.push(Patch { corners, color });
        }
    }

    fn add_stroke(
        &mut self,
        bounds: &Bounds,
        points: impl Iterator<Item = Option<Point>>,
        style: ShapeStyle,
        dash: Option<(f64, f64)>,
    ) {
        for points in bounds.clip_polyline(points) {
            self.strokes.push(Stroke { points, style, dash });
        }
    }

    fn add_bars(&mut self, bars: &Bars, axes: &Axes) {
        let bounds = axes.bounds();
        let width = bars.bar_width();
        let groups = bars.groups.len() as f64;

        for (j, group) in bars.groups.iter().enumerate() {
            let offset = (j as f64 - (groups - 1.0) / 2.0) * width;
            for (i, &value) in group.values.iter().enumerate() {
                let Some(end) = axes.y(value) else { continue };
                let x = i as f64 + offset;
                let color = group.bar_colors.get(i).unwrap_or(&group.color).mix(BAR_ALPHA);
                let corners = [(x - width / 2.0, axes.baseline()), (x + width / 2.0, end)];
                self.add_patch(&bounds, corners, color);

                if let Some(format) = bars.value_labels.filter(|_| bounds.contains((x, end))) {
                    let label =
                        ValueLabel { at: (x, end), text: format(value), below: value < 0.0 };
                    self.values.push(label);
                }
            }
        }
    }

    /// Shades between `lower` and `upper`, one polygon per stretch of drawable points.
    fn add_band(&mut self, line: &Line, lower: &[f64], upper: &[f64], axes: &Axes) {
        let bounds = axes.bounds();
        let color = line.color.mix(BAND_ALPHA);
        let columns = line.xs.iter().zip(lower).zip(upper);
        let points = columns.map(|((&x, &lo), &hi)| Some((finite(x)?, axes.y(lo)?, axes.y(hi)?)));

        let mut stretch = Vec::new();
        for point in points.chain(iter::once(None)) {
            if let Some(point) = point {
                stretch.push(point);
                continue;
            }
            if stretch.len() > 1 {
                let top = stretch.iter().map(|&(x, _, hi)| (x, hi));
                let bottom = stretch.iter().rev().map(|&(x, lo, _)| (x, lo));
                let outline = bounds.clip_polygon(top.chain(bottom).collect());
                if outline.len() > 2 {
                    self.bands.push((outline, color));
                }
            }
            stretch.clear();
        }
    }

    fn draw<DB: DrawingBackend<ErrorType: 'static>>(
        &self,
        area: &DrawingArea<DB, Shift>,
        to_px: &impl Fn(Point) -> (i32, i32),
    ) -> Result<()> {
        for patch in &self.patches {
            let corners = patch.corners.map(to_px);
            area.draw(&Rectangle::new(corners, patch.color.filled()))?;
        }
        for (outline, color) in &self.bands {
            let outline: Vec<_> = outline.iter().map(|&p| to_px(p)).collect();
            area.draw(&Polygon::new(outline, color.filled()))?;
        }
        for stroke in &self.strokes {
            let points = stroke.points.iter().map(|&p| to_px(p)).collect();
            draw_stroke(area, points, stroke.style, stroke.dash)?;
        }

        let above = text_style(TEXT_SIZE, FontStyle::Normal, HPos::Center, VPos::Bottom);
        let below = text_style(TEXT_SIZE, FontStyle::Normal, HPos::Center, VPos::Top);
        for label in &self.values {
            let (x, y) = to_px(label.at);
            let (style, y) = if label.below { (&below, y + 5) } else { (&above, y - 5) };
            area.draw_text(&label.text, style, (x, y))?;
        }
        Ok(())
    }

    /// How much of the scene a legend over `area` would hide: the line segments crossing it,
    /// the bars under it and the value labels in it.
    fn crowding(&self, area: &Bounds) -> usize {
        let segments = self.strokes.iter().flat_map(|stroke| stroke.points.windows(2));
        let crossing = segments.filter(|pair| area.clip_segment(pair[0], pair[1]).is_some());
        let covered = self.patches.iter().filter(|patch| area.clip_rect(patch.corners).is_some());
        let hidden = self.values.iter().filter(|label| area.contains(label.at));
        crossing.count() + covered.count() + hidden.count()
    }
}

fn draw_stroke<DB: DrawingBackend<ErrorType: 'static>>(
    area: &DrawingArea<DB, Shift>,
    points: Vec<(i32, i32)>,
    style: ShapeStyle,
    dash: Option<(f64, f64)>,
) -> Result<()> {
    match dash {
        Some((on, off)) => area.draw(&DashedPathElement::new(points, on, off, style))?,
        None => area.draw(&PathElement::new(points, style))?,
    }
    Ok(())
}

struct Entry {
    label: String,
    swatch: Swatch,
}

enum Swatch {
    Stroke(ShapeStyle, Option<(f64, f64)>),
    Patch(RGBAColor),
}

/// Lines first, then bars and histograms, the order in which matplotlib lists them.
fn legend_entries(panel: &Panel) -> Vec<Entry> {
    let lines = panel.lines.iter().map(|line| {
        let (style, dash) = line.stroke();
        (&line.label, Swatch::Stroke(style, dash))
    });
    let bars = panel.bars.iter().flat_map(|bars| &bars.groups);
    let bars = bars.map(|group| (&group.label, Swatch::Patch(group.color.mix(BAR_ALPHA))));
    let hists = panel.hist.iter().map(|h| (&h.label, Swatch::Patch(h.color.mix(HIST_ALPHA))));

    let entries = lines.chain(bars).chain(hists).filter(|(label, _)| !label.is_empty());
    entries.map(|(label, swatch)| Entry { label: label.clone(), swatch }).collect()
}

/// Draws the legend where it hides least of the scene.
fn draw_legend<DB: DrawingBackend<ErrorType: 'static>>(
    area: &DrawingArea<DB, Shift>,
    entries: &[Entry],
    scene: &Scene,
    bounds: Bounds,
) -> Result<()> {
    let text = font(TEXT_SIZE, FontStyle::Normal);
    let (_, text_h) = text_size(&text, "0")?;
    let mut widest = 0;
    for entry in entries {
        widest = widest.max(text_size(&text, &entry.label)?.0);
    }
    let rows = entries.len() as i32;
    let size = (
        2 * LEGEND_PAD + LEGEND_HANDLE + LEGEND_HANDLE_GAP + widest,
        2 * LEGEND_PAD + rows * text_h + (rows - 1) * LEGEND_ROW_GAP,
    );

    let (x, y) = quietest_corner(area.dim_in_pixel(), size, scene, bounds);
    let frame = [(x, y), (x + size.0, y + size.1)];
    area.draw(&Rectangle::new(frame, WHITE.mix(0.8).filled()))?;
    area.draw(&Rectangle::new(frame, LEGEND_EDGE.stroke_width(1)))?;

    let label_style = text_style(TEXT_SIZE, FontStyle::Normal, HPos::Left, VPos::Center);
    let handle_x = x + LEGEND_PAD;
    for (row, entry) in (0..).zip(entries) {
        let middle = y + LEGEND_PAD + row * (text_h + LEGEND_ROW_GAP) + text_h / 2;
        match entry.swatch {
            Swatch::Stroke(style, dash) => {
                let ends = vec![(handle_x, middle), (handle_x + LEGEND_HANDLE, middle)];
                draw_stroke(area, ends, style, dash)?;
            }
            Swatch::Patch(color) => {
                let corners = [(handle_x, middle - 5), (handle_x + LEGEND_HANDLE, middle + 5)];
                area.draw(&Rectangle::new(corners, color.filled()))?;
            }
        }
        let label_x = handle_x + LEGEND_HANDLE + LEGEND_HANDLE_GAP;
        area.draw_text(&entry.label, &label_style, (label_x, middle))?;
    }
    Ok(())
}

/// The top-left pixel of a legend of `size` in the plot corner where it hides least, trying the
/// corners in matplotlib's order (upper right, upper left, lower left, lower right) and keeping
/// the first on a tie.
fn quietest_corner(
    (plot_w, plot_h): (u32, u32),
    size: (i32, i32),
    scene: &Scene,
    bounds: Bounds,
) -> (i32, i32) {
    let (plot_w, plot_h) = (plot_w as i32, plot_h as i32);
    let (left, right) = (LEGEND_INSET, plot_w - LEGEND_INSET - size.0);
    let (top, bottom) = (LEGEND_INSET, plot_h - LEGEND_INSET - size.1);
    let corners = [(right, top), (left, top), (left, bottom), (right, bottom)];

    let x_at = |px: i32| bounds.x0 + f64::from(px) / f64::from(plot_w) * (bounds.x1 - bounds.x0);
    let y_at = |py: i32| bounds.y1 - f64::from(py) / f64::from(plot_h) * (bounds.y1 - bounds.y0);
    let covered = |(x, y): (i32, i32)| Bounds {
        x0: x_at(x),
        x1: x_at(x + size.0),
        y0: y_at(y + size.1),
        y1: y_at(y),
    };
    let crowding = corners.map(|corner| scene.crowding(&covered(corner)));
    let quietest = (0..corners.len()).min_by_key(|&i| crowding[i]).unwrap_or(0);
    corners[quietest]
}

/// The PNG backend's own text and thick lines, in a module of its own because plotters-backend's
/// style traits would otherwise clash with the `Color` methods used everywhere else in this file.
mod raster {
    use ab_glyph::{point, Font, FontRef, Glyph, PxScale, ScaleFont};
    use anyhow::{Context, Result};
    use plotters::backend::DrawingBackend;
    use plotters::style::text_anchor::{HPos, VPos};
    use plotters::style::FontStyle;
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };

    /// A bitmap backend that draws text and thick lines itself. Plotters' ab_glyph text drops
    /// each glyph's side bearing and rounds the pen to whole pixels, which opens uneven gaps
    /// inside words, and its thick polylines thin out where they run steep. SVG needs neither
    /// fix: the viewer sets its text and strokes its lines.
    pub(super) struct Raster<B> {
        inner: B,
        regular: FontRef<'static>,
        bold: FontRef<'static>,
    }

    type Drawn<E> = Result<(), DrawingErrorKind<E>>;

    impl<B> Raster<B> {
        pub(super) fn new(inner: B) -> Result<Self> {
            let parse = |bytes| {
                FontRef::try_from_slice(bytes)
                    .context("the built-in DejaVu Sans font is unreadable")
            };
            Ok(Raster {
                inner,
                regular: parse(dejavu::sans::regular())?,
                bold: parse(dejavu::sans::bold())?,
            })
        }
    }

    impl<B: DrawingBackend> DrawingBackend for Raster<B> {
        type ErrorType = B::ErrorType;

        fn get_size(&self) -> (u32, u32) {
            self.inner.get_size()
        }

        fn ensure_prepared(&mut self) -> Drawn<B::ErrorType> {
            self.inner.ensure_prepared()
        }

        fn present(&mut self) -> Drawn<B::ErrorType> {
            self.inner.present()
        }

        fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn<B::ErrorType> {
            self.inner.draw_pixel(point, color)
        }

        fn draw_line<S: BackendStyle>(
            &mut self,
            from: BackendCoord,
            to: BackendCoord,
            style: &S,
        ) -> Drawn<B::ErrorType> {
            self.inner.draw_line(from, to, style)
        }

        fn draw_rect<S: BackendStyle>(
            &mut self,
            upper_left: BackendCoord,
            bottom_right: BackendCoord,
            style: &S,
            fill: bool,
        ) -> Drawn<B::ErrorType> {
            self.inner.draw_rect(upper_left, bottom_right, style, fill)
        }

        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            style: &S,
        ) -> Drawn<B::ErrorType> {
            let width = style.stroke_width();
            if width < 2 || style.color().alpha == 0.0 {
                return self.inner.draw_path(path, style);
            }

            // Each segment is its own quadrilateral, with round joins.
            let color = style.color();
            let half = f64::from(width) / 2.0;
            let points: Vec<BackendCoord> = path.into_iter().collect();
            for pair in points.windows(2) {
                let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
                let (dx, dy) = (f64::from(x1 - x0), f64::from(y1 - y0));
                let length = dx.hypot(dy);
                if length == 0.0 {
                    continue;
                }
                let (nx, ny) = (-dy / length * half, dx / length * half);
                let corner = |(x, y): BackendCoord, side: f64| {
                    (
                        (f64::from(x) + side * nx).round() as i32,
                        (f64::from(y) + side * ny).round() as i32,
                    )
                };
                let quad = [
                    corner(pair[0], 1.0),
                    corner(pair[1], 1.0),
                    corner(pair[1], -1.0),
                    corner(pair[0], -1.0),
                ];
                self.inner.fill_polygon(quad, &color)?;
            }
            for &joint in points.iter().skip(1).take(points.len().saturating_sub(2)) {
                self.inner.draw_circle(joint, width / 2, &color, true)?;
            }
            Ok(())
        }

        fn draw_circle<S: BackendStyle>(
            &mut self,
            center: BackendCoord,
            radius: u32,
            style: &S,
            fill: bool,
        ) -> Drawn<B::ErrorType> {
            self.inner.draw_circle(center, radius, style, fill)
        }

        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            vertices: I,
            style: &S,
        ) -> Drawn<B::ErrorType> {
            self.inner.fill_polygon(vertices, style)
        }

        fn blit_bitmap(
            &mut self,
            pos: BackendCoord,
            size: (u32, u32),
            src: &[u8],
        ) -> Drawn<B::ErrorType> {
            self.inner.blit_bitmap(pos, size, src)
        }

        fn draw_text<S: BackendTextStyle>(
            &mut self,
            text: &str,
            style: &S,
            pos: BackendCoord,
        ) -> Drawn<B::ErrorType> {
            let color = style.color();
            if color.alpha == 0.0 {
                return Ok(());
            }

            let font =
                if matches!(style.style(), FontStyle::Bold) { &self.bold } else { &self.regular };
            let font = font.as_scaled(PxScale::from(style.size() as f32));
            let glyphs = set_line(&font, text);

            // Anchor by the box plotters measures text with, so that its layout and this agree, and
            // centre the capitals in that box.
            let width = glyphs.last().map_or(0.0, |g| g.position.x + font.h_advance(g.id));
            let height = (style.size() / 1.24) as f32;
            let cap =
                font.outline_glyph(font.scaled_glyph('H')).map_or(height, |h| -h.px_bounds().min.y);
            let dx = match style.anchor().h_pos {
                HPos::Left => 0.0,
                HPos::Center => -width / 2.0,
                HPos::Right => -width,
            };
            let top = match style.anchor().v_pos {
                VPos::Top => 0.0,
                VPos::Center => -height / 2.0,
                VPos::Bottom => -height,
            };
            let baseline = top + (height + cap) / 2.0;

            let turn = style.transform();
            for mut glyph in glyphs {
                glyph.position = point(glyph.position.x + dx, baseline);
                let Some(outline) = font.outline_glyph(glyph) else { continue };
                let corner = outline.px_bounds().min;
                let mut coverage = Vec::new();
                outline.draw(|x, y, c| coverage.push((x as i32, y as i32, c)));

                for (x, y, c) in coverage {
                    let (x, y) = turn.transform(corner.x as i32 + x, corner.y as i32 + y);
                    let alpha = color.alpha * f64::from(c.min(1.0));
                    self.inner.draw_pixel(
                        (pos.0 + x, pos.1 + y),
                        BackendColor { alpha, rgb: color.rgb },
                    )?;
                }
            }
            Ok(())
        }
    }

    /// Lays `text` out on one line from the origin, kerned, with the baseline at y = 0.
    fn set_line<F: Font, S: ScaleFont<F>>(font: &S, text: &str) -> Vec<Glyph> {
        let mut pen = 0.0;
        let mut previous = None;
        let mut glyphs = Vec::with_capacity(text.len());
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                pen += font.kern(previous, id);
            }
            glyphs.push(id.with_scale_and_position(font.scale(), point(pen, 0.0)));
            pen += font.h_advance(id);
            previous = Some(id);
        }
        glyphs
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;

    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

    /// Saves `figure` as both formats in a fresh folder and checks each is a real file of its
    /// kind, with nothing else left behind.
    fn save_both(figure: &Figure) {
        let dir = tempfile::tempdir().unwrap();
        let (png, svg) = (dir.path().join("figure.png"), dir.path().join("figure.svg"));

        figure.save(&png).unwrap();
        figure.save(&svg).unwrap();

        assert!(fs::read(&png).unwrap().starts_with(PNG_SIGNATURE));
        let text = fs::read_to_string(&svg).unwrap();
        assert!(text.contains("<svg"));
        assert!(text.contains(&figure.title));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "temporary files left behind");
    }

    fn figure(title: &str, panels: Vec<Panel>) -> Figure {
        let cols = panels.len();
        Figure { title: title.into(), rows: 1, cols, width: 700 * cols as u32, height: 500, panels }
    }

    fn ramp(n: usize, f: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<f64>) {
        let xs: Vec<f64> = (0..n).map(|i| -5.0 + 10.0 * i as f64 / (n - 1) as f64).collect();
        let ys = xs.iter().map(|&x| f(x)).collect();
        (xs, ys)
    }

    #[test]
    fn lines_with_reference_lines_and_legend() {
        let (xs, relu) = ramp(200, |x| x.max(0.0));
        let (_, leaky) = ramp(200, |x| if x > 0.0 { x } else { 0.1 * x });
        let panel = Panel::new("Activation Functions", "x", "f(x)")
            .with_line(Line::new("ReLU", cycle(0), xs.clone(), relu).with_dashes())
            .with_line(Line::new("Leaky ReLU (α=0.1)", cycle(1), xs, leaky))
            .with_hline(0.0)
            .with_vline(0.0)
            .with_legend();
        let gradients = Panel::new("Gradients", "x", "df/dx")
            .with_line(Line::new(
                "ReLU",
                cycle(0),
                vec![-5.0, 0.0, 0.0, 5.0],
                vec![0.0, 0.0, 1.0, 1.0],
            ))
            .with_y_range(-0.5, 1.5)
            .with_legend();

        save_both(&figure("ReLU Family", vec![panel, gradients]));
    }

    #[test]
    fn band_around_a_mean() {
        let mean: Vec<f64> = (0..30).map(|e| 1.0 / (1.0 + e as f64)).collect();
        let lower: Vec<f64> = mean.iter().map(|m| m * 0.8).collect();
        let upper: Vec<f64> = mean.iter().map(|m| m * 1.2).collect();
        let line = Line::series("mean ± std", C2, mean).with_band(lower, upper);

        save_both(&figure("Seeds", vec![Panel::new("Loss", "Epoch", "Loss").with_line(line)]));
    }

    #[test]
    fn log_scale_skips_values_it_cannot_show() {
        let losses = vec![0.7, 0.3, 0.05, 0.0, 1e-3, -1.0, 2e-4, 1e-5];
        let panel = Panel::new("Training Loss", "Epoch", "Loss (MSE)")
            .with_line(Line::series("Linear (NO activation)", RED, vec![0.25; 8]))
            .with_line(Line::series("Non-linear (ReLU)", GREEN, losses))
            .with_log_y()
            .with_legend();

        save_both(&figure("XOR Problem", vec![panel]));
    }

    #[test]
    fn grouped_bars_with_value_labels_and_negative_values() {
        let bars = Bars::new(["(0,0)", "(0,1)", "(1,0)", "(1,1)"])
            .with_group(BarGroup::new("True", BLUE, vec![0.0, 1.0, 1.0, 0.0]))
            .with_group(BarGroup::new("Linear", RED, vec![0.5, 0.5, 0.5, 0.5]))
            .with_group(BarGroup::new("Non-linear", GREEN, vec![-0.02, 0.98, 1.01, 0.03]))
            .with_value_labels(|v| format!("{v:.2}"));
        let panel = Panel::new("Predictions", "Input", "Output").with_bars(bars).with_legend();

        save_both(&figure("Predictions", vec![panel]));
    }

    #[test]
    fn one_colored_bar_per_category() {
        let names = ["RELU", "LEAKY_RELU", "GELU", "SILU", "TANH", "SIGMOID"];
        let accuracy = vec![97.1, 97.4, 97.9, 97.6, 95.2, 88.0];
        let group =
            BarGroup::new("", C0, accuracy).with_bar_colors((0..6).map(cycle).collect::<Vec<_>>());
        let bars = Bars::new(names).with_group(group).with_value_labels(|v| format!("{v:.1}%"));
        let panel = Panel::new("Final Performance", "", "Final Accuracy (%)").with_bars(bars);

        save_both(&figure("Final Performance", vec![panel]));
    }

    #[test]
    fn histograms_share_their_bins() {
        let spread =
            |scale: f64| (0..500).map(|i| scale * ((i as f64) * 0.37).sin()).collect::<Vec<_>>();
        let panel = Panel::new("Activation distribution", "activation", "count")
            .with_hist(Histogram::new("ReLU", C0, spread(1.0), 30))
            .with_hist(Histogram::new("Tanh", C1, spread(0.5), 30))
            .with_legend();

        save_both(&figure("Distributions", vec![panel]));
    }

    #[test]
    fn non_finite_values_are_skipped() {
        let nan = f64::NAN;
        let ys = vec![1.0, 2.0, nan, 4.0, f64::INFINITY, 3.0, f64::NEG_INFINITY, 1.0];
        let xs = vec![0.0, 1.0, 2.0, nan, 4.0, 5.0, 6.0, 7.0];
        let line = Line::new("diverged", C3, xs, ys.clone()).with_band(ys.clone(), ys.clone());
        let bars = Bars::new(["a", "b"]).with_group(BarGroup::new("g", C0, vec![nan, 1.0]));
        let panels = vec![
            Panel::new("Loss", "Epoch", "Loss").with_line(line).with_hline(nan).with_legend(),
            Panel::new("Log", "Epoch", "Loss").with_line(Line::series("nan", C1, ys)).with_log_y(),
            Panel::new("Bars", "", "").with_bars(bars),
            Panel::new("Hist", "", "").with_hist(Histogram::new("h", C2, vec![nan, nan], 10)),
            Panel::new("Empty", "", ""),
        ];

        save_both(&figure("Diverging run", panels));
    }

    #[test]
    fn unknown_extension_is_refused_before_writing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("figure.jpg");

        let error = figure("x", vec![Panel::default()]).save(&path).unwrap_err().to_string();

        assert!(error.contains(".png") && error.contains(".svg"), "{error}");
        assert!(error.contains("figure.jpg"), "{error}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn panels_beyond_the_grid_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let mut fig = figure("x", vec![Panel::default(), Panel::default()]);
        fig.cols = 1;

        assert!(fig.save(&dir.path().join("figure.png")).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_empty_range_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let panel = Panel::new("p", "", "").with_log_y().with_y_range(0.0, 1.0);

        let error = figure("x", vec![panel]).save(&dir.path().join("figure.svg")).unwrap_err();

        assert!(format!("{error:#}").contains("y_range"), "{error:#}");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn linear_ticks_fall_on_round_numbers() {
        let axis = Axis::linear(-0.6, 1.6, 9);
        assert_eq!(
            axis.labels,
            [
                "\u{2212}0.50",
                "\u{2212}0.25",
                "0.00",
                "0.25",
                "0.50",
                "0.75",
                "1.00",
                "1.25",
                "1.50"
            ]
        );

        let axis = Axis::linear(-1.45, 30.45, 9);
        assert_eq!(axis.labels, ["0", "5", "10", "15", "20", "25", "30"]);
    }

    #[test]
    fn log_ticks_are_powers_of_ten() {
        let axis = Axis::log(-5.2, 0.1, 9);
        assert_eq!(axis.labels, ["10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"]);

        let axis = Axis::log((0.15f64).log10(), (0.8f64).log10(), 9);
        assert_eq!(
            axis.labels,
            ["2×10⁻¹", "3×10⁻¹", "4×10⁻¹", "5×10⁻¹", "6×10⁻¹", "7×10⁻¹", "8×10⁻¹"]
        );
    }

    #[test]
    fn legend_moves_away_from_the_data() {
        let bounds = Bounds { x0: 0.0, x1: 1.0, y0: 0.0, y1: 1.0 };
        let mut scene = Scene::default();
        let across_upper_right = [Some((0.5, 0.9)), Some((1.0, 0.9))];
        scene.add_stroke(&bounds, across_upper_right.into_iter(), C0.stroke_width(1), None);

        let corner = quietest_corner((400, 300), (100, 40), &scene, bounds);

        assert_eq!(corner, (LEGEND_INSET, LEGEND_INSET), "expected the upper left corner");
    }

    #[test]
    fn clipping_keeps_the_part_inside() {
        let bounds = Bounds { x0: 0.0, x1: 1.0, y0: 0.0, y1: 1.0 };

        assert_eq!(bounds.clip_segment((-1.0, 0.5), (2.0, 0.5)), Some(((0.0, 0.5), (1.0, 0.5))));
        assert_eq!(bounds.clip_segment((-1.0, 2.0), (2.0, 2.0)), None);

        let points = [Some((0.2, 0.2)), Some((0.4, 0.4)), None, Some((0.5, 0.5)), Some((0.5, 3.0))];
        let pieces = bounds.clip_polyline(points.into_iter());
        assert_eq!(pieces, vec![vec![(0.2, 0.2), (0.4, 0.4)], vec![(0.5, 0.5), (0.5, 1.0)]]);

        let square = vec![(-1.0, -1.0), (2.0, -1.0), (2.0, 2.0), (-1.0, 2.0)];
        let clipped = bounds.clip_polygon(square);
        assert_eq!(clipped.len(), 4);
        assert!(clipped.iter().all(|&p| bounds.contains(p)));
    }
}
