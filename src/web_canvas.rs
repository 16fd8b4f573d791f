//! `plotters-canvas`'s backend with its one hot path moved to JavaScript: a path (a curve) is handed
//! over as one `Float64Array` of coordinates and stroked by a few lines of JS, instead of one
//! `lineTo` call across the Wasm boundary per point (300,000 calls a frame for 1,000 curves of
//! 300 points, most of a redraw's time). Everything else is `CanvasBackend`'s own drawing.

use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};
use plotters_canvas::CanvasBackend;
use wasm_bindgen::prelude::*;
use web_sys::CanvasRenderingContext2d;

#[wasm_bindgen(inline_js = "
export function statscope_path(ctx, xy, color, width, fill) {
  const n = xy.length;
  if (n < 2) return;
  ctx.beginPath();
  ctx.moveTo(xy[0], xy[1]);
  for (let i = 2; i < n; i += 2) ctx.lineTo(xy[i], xy[i + 1]);
  if (fill) { ctx.closePath(); ctx.fillStyle = color; ctx.fill(); }
  else { ctx.strokeStyle = color; ctx.lineWidth = width; ctx.stroke(); }
}")]
extern "C" {
    fn statscope_path(
        ctx: &CanvasRenderingContext2d,
        xy: &[f64],
        color: &str,
        width: f64,
        fill: bool,
    );
}

/// A [`CanvasBackend`] whose paths and polygons are drawn in one call each.
pub(crate) struct FastCanvas {
    inner: CanvasBackend,
    ctx: CanvasRenderingContext2d,
    xy: Vec<f64>,
}

impl FastCanvas {
    pub(crate) fn new(inner: CanvasBackend, ctx: CanvasRenderingContext2d) -> FastCanvas {
        FastCanvas {
            inner,
            ctx,
            xy: Vec::new(),
        }
    }

    fn path(
        &mut self,
        path: impl IntoIterator<Item = BackendCoord>,
        color: BackendColor,
        width: f64,
        fill: bool,
    ) {
        self.xy.clear();
        for (x, y) in path {
            self.xy.push(f64::from(x));
            self.xy.push(f64::from(y));
        }
        let (r, g, b) = color.rgb;
        let css = format!("rgba({r},{g},{b},{})", color.alpha);
        statscope_path(&self.ctx, &self.xy, &css, width, fill);
    }
}

type Error = <CanvasBackend as DrawingBackend>::ErrorType;

impl DrawingBackend for FastCanvas {
    type ErrorType = Error;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        if style.color().alpha > 0.0 {
            self.path(path, style.color(), f64::from(style.stroke_width()), false);
        }
        Ok(())
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Error>> {
        if style.color().alpha > 0.0 {
            self.path(vert, style.color(), 0.0, true);
        }
        Ok(())
    }
    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.draw_text(text, style, pos)
    }
    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        style: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<Error>> {
        self.inner.estimate_text_size(text, style)
    }
    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Error>> {
        self.inner.blit_bitmap(pos, size, src)
    }
}
