//! A plotters backend on an `OffscreenCanvas`, for the paint worker (`web::worker`), which has no
//! document and so no `HtmlCanvasElement` for `plotters-canvas`.
//!
//! It must draw what `plotters-canvas`'s `CanvasBackend` draws on the page, pixel for pixel: the
//! page shows the worker's chart and, when the worker is not there, its own. The same drawing calls
//! in the same order, including its half-pixel shift of horizontal and vertical lines; text sizes
//! come from plotters' default estimate, as there. `tests/web.rs` draws one view through both and
//! compares every pixel.

use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
    FontTransform,
};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{OffscreenCanvas, OffscreenCanvasRenderingContext2d};

/// A drawing call the canvas refused.
#[derive(Debug)]
pub struct OffscreenError(String);

impl std::fmt::Display for OffscreenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "offscreen canvas: {}", self.0)
    }
}

impl std::error::Error for OffscreenError {}

fn refused(e: JsValue) -> DrawingErrorKind<OffscreenError> {
    DrawingErrorKind::DrawingError(OffscreenError(
        e.as_string()
            .or_else(|| {
                e.dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
            })
            .unwrap_or_else(|| "a drawing call failed".into()),
    ))
}

/// Draws on an `OffscreenCanvas`'s 2D context.
#[derive(Debug)]
pub struct OffscreenBackend {
    size: (u32, u32),
    ctx: OffscreenCanvasRenderingContext2d,
}

impl OffscreenBackend {
    /// A backend on `canvas`, or `None` when it has no 2D context.
    pub fn new(canvas: &OffscreenCanvas) -> Option<OffscreenBackend> {
        let ctx = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        Some(OffscreenBackend {
            size: (canvas.width(), canvas.height()),
            ctx,
        })
    }

    fn stroke_with(&self, style: &impl BackendStyle) {
        self.ctx.set_stroke_style_str(&css(style.color()));
        self.ctx.set_line_width(style.stroke_width() as f64);
    }

    /// A path through `points`, not yet stroked or filled.
    fn trace(&self, points: impl IntoIterator<Item = BackendCoord>) -> bool {
        let mut points = points.into_iter();
        self.ctx.begin_path();
        let Some((x, y)) = points.next() else {
            return false;
        };
        self.ctx.move_to(f64::from(x), f64::from(y));
        for (x, y) in points {
            self.ctx.line_to(f64::from(x), f64::from(y));
        }
        true
    }
}

/// The CSS colour of a plotters colour (the form `plotters-canvas` writes).
fn css(c: BackendColor) -> String {
    let (r, g, b) = c.rgb;
    format!("rgba({r},{g},{b},{})", c.alpha)
}

/// A one-pixel horizontal or vertical line lands on a pixel's centre, not between two (where it
/// would be blurred over both): shifted by half a pixel, as `plotters-canvas` does.
fn crisp(from: BackendCoord, to: BackendCoord) -> ((f64, f64), (f64, f64)) {
    let (mut a, mut b) = (
        (f64::from(from.0), f64::from(from.1)),
        (f64::from(to.0), f64::from(to.1)),
    );
    if from.0 == to.0 {
        a.0 -= 0.5;
        b.0 -= 0.5;
    }
    if from.1 == to.1 {
        a.1 -= 0.5;
        b.1 -= 0.5;
    }
    (a, b)
}

impl DrawingBackend for OffscreenBackend {
    type ErrorType = OffscreenError;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<OffscreenError>> {
        Ok(())
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<OffscreenError>> {
        Ok(())
    }

    fn draw_pixel(
        &mut self,
        (x, y): BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if color.alpha == 0.0 {
            return Ok(());
        }
        self.ctx.set_fill_style_str(&css(color));
        self.ctx.fill_rect(f64::from(x), f64::from(y), 1.0, 1.0);
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let (a, b) = crisp(from, to);
        self.stroke_with(style);
        self.ctx.begin_path();
        self.ctx.move_to(a.0, a.1);
        self.ctx.line_to(b.0, b.1);
        self.ctx.stroke();
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        (x0, y0): BackendCoord,
        (x1, y1): BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let (x, y, w, h) = (
            f64::from(x0),
            f64::from(y0),
            f64::from(x1 - x0),
            f64::from(y1 - y0),
        );
        if fill {
            self.ctx.set_fill_style_str(&css(style.color()));
            self.ctx.fill_rect(x, y, w, h);
        } else {
            self.stroke_with(style);
            self.ctx.stroke_rect(x, y, w, h);
        }
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let mut path = path.into_iter().peekable();
        if path.peek().is_some() {
            self.stroke_with(style);
        }
        self.trace(path);
        self.ctx.stroke();
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        let mut vertices = vertices.into_iter().peekable();
        if vertices.peek().is_some() {
            self.ctx.set_fill_style_str(&css(style.color()));
        }
        if self.trace(vertices) {
            self.ctx.close_path();
        }
        self.ctx.fill();
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        (x, y): BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        if style.color().alpha == 0.0 {
            return Ok(());
        }
        if fill {
            self.ctx.set_fill_style_str(&css(style.color()));
        } else {
            self.stroke_with(style);
        }
        self.ctx.begin_path();
        self.ctx
            .arc(
                f64::from(x),
                f64::from(y),
                f64::from(radius),
                0.0,
                std::f64::consts::TAU,
            )
            .map_err(refused)?;
        if fill {
            self.ctx.fill();
        } else {
            self.ctx.stroke();
        }
        Ok(())
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        (x, y): BackendCoord,
    ) -> Result<(), DrawingErrorKind<OffscreenError>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let turns = match style.transform() {
            FontTransform::None => 0.0,
            FontTransform::Rotate90 => 0.25,
            FontTransform::Rotate180 => 0.5,
            FontTransform::Rotate270 => 0.75,
        };
        let (x, y) = if turns == 0.0 {
            (f64::from(x), f64::from(y))
        } else {
            self.ctx.save();
            self.ctx
                .translate(f64::from(x), f64::from(y))
                .map_err(refused)?;
            // The angle as plotters-canvas computes it (degrees / 180 × π), to the last bit.
            self.ctx
                .rotate(turns * 360.0 / 180.0 * std::f64::consts::PI)
                .map_err(refused)?;
            (0.0, 0.0)
        };
        self.ctx.set_text_baseline(match style.anchor().v_pos {
            VPos::Top => "top",
            VPos::Center => "middle",
            VPos::Bottom => "bottom",
        });
        self.ctx.set_text_align(match style.anchor().h_pos {
            HPos::Left => "start",
            HPos::Right => "end",
            HPos::Center => "center",
        });
        self.ctx.set_fill_style_str(&css(color));
        self.ctx.set_font(&format!(
            "{} {}px {}",
            style.style().as_str(),
            style.size(),
            style.family().as_str()
        ));
        self.ctx.fill_text(text, x, y).map_err(refused)?;
        if turns != 0.0 {
            self.ctx.restore();
        }
        Ok(())
    }
}
