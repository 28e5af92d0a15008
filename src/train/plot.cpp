// The drawing kit of the PNG figures (see plot.h).
#include "plot.h"

#include <algorithm>
#include <cmath>
#include <ostream>

#include <spdlog/fmt/fmt.h>

#include "tinyae/common.h"

namespace tinyae::plot {
namespace {

namespace fs = std::filesystem;

// Margins of a standard frame (pixels).
constexpr double kPlotLeft = 90, kPlotRight = 30, kPlotTop = 50, kPlotBottom = 65;

// cairo_write_func_t that appends PNG bytes to a std::ostream.
cairo_status_t write_to_stream(void* closure, const unsigned char* data, unsigned int length) {
  auto* out = static_cast<std::ostream*>(closure);
  out->write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(length));
  return *out ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

}  // namespace

Canvas make_canvas(int width, int height, const fs::path& path) {
  Canvas canvas;
  canvas.surface.reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  if (cairo_surface_status(canvas.surface.get()) != CAIRO_STATUS_SUCCESS) {
    throw Error(fmt::format("{}: cannot create a {}x{} image: {}", path.string(), width, height,
                            cairo_status_to_string(cairo_surface_status(canvas.surface.get()))));
  }
  canvas.cr.reset(cairo_create(canvas.surface.get()));
  cairo_t* cr = canvas.cr.get();
  cairo_set_source_rgb(cr, kWhite.r, kWhite.g, kWhite.b);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  return canvas;
}

void set_colour(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

// One straight line from (x0, y0) to (x1, y1) in colour c.
void stroke_line(cairo_t* cr, Rgb c, double x0, double y0, double x1, double y1) {
  set_colour(cr, c);
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

void write_png(const Canvas& canvas, const fs::path& path) {
  cairo_surface_flush(canvas.surface.get());
  write_file_atomically(path, [&](std::ostream& out) {
    const cairo_status_t status = cairo_surface_write_to_png_stream(canvas.surface.get(), write_to_stream, &out);
    if (status != CAIRO_STATUS_SUCCESS) {
      throw Error(fmt::format("{}: cairo could not encode the PNG: {}", path.string(), cairo_status_to_string(status)));
    }
  });
}

// Draws `text` with its baseline's anchor at (x, y), or vertically centred on
// y when `middle` is set.
void draw_text(cairo_t* cr, const std::string& text, double x, double y, Align align, bool middle) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr, text.c_str(), &extents);
  double left = x - extents.x_bearing;
  if (align == Align::kCenter) left = x - extents.x_bearing - extents.width / 2;
  if (align == Align::kRight) left = x - extents.x_bearing - extents.width;
  const double baseline = middle ? y - extents.y_bearing - extents.height / 2 : y;
  cairo_move_to(cr, left, baseline);
  cairo_show_text(cr, text.c_str());
}

Ticks nice_ticks(double lo, double hi, int target, double min_step) {
  const double raw = std::max((hi - lo) / target, min_step);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * power;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  step = std::max(step, min_step);
  Ticks t;
  t.step = step;
  t.first = std::ceil(lo / step - 1e-9) * step;
  t.count = static_cast<int>(std::floor((hi - t.first) / step + 1e-9)) + 1;
  t.decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return t;
}

Frame standard_frame(int canvas_width, int canvas_height) {
  Frame frame;
  frame.left = kPlotLeft;
  frame.top = kPlotTop;
  frame.width = canvas_width - kPlotLeft - kPlotRight;
  frame.height = canvas_height - kPlotTop - kPlotBottom;
  return frame;
}

void draw_axes(cairo_t* cr, const Frame& f, int canvas_height, double x_min_step, const std::string& x_label,
               const std::string& y_label, const std::string& title) {
  cairo_set_font_size(cr, 12);
  cairo_set_line_width(cr, 1);
  const Ticks xt = nice_ticks(f.x_lo, f.x_hi, 10, x_min_step);
  for (int i = 0; i < xt.count; ++i) {
    const double value = xt.first + i * xt.step;
    const double x = std::round(f.px(value)) + 0.5;
    stroke_line(cr, kGrid, x, f.top, x, f.top + f.height);
    stroke_line(cr, kBlack, x, f.top + f.height, x, f.top + f.height + 5);  // tick
    draw_text(cr, fmt::format("{:.{}f}", value, xt.decimals), x, f.top + f.height + 20, Align::kCenter);
  }
  const Ticks yt = nice_ticks(f.y_lo, f.y_hi, 6, 0.0);
  for (int i = 0; i < yt.count; ++i) {
    const double value = yt.first + i * yt.step;
    const double y = std::round(f.py(value)) + 0.5;
    stroke_line(cr, kGrid, f.left, y, f.left + f.width, y);
    stroke_line(cr, kBlack, f.left - 5, y, f.left, y);  // tick
    draw_text(cr, fmt::format("{:.{}f}", value, yt.decimals), f.left - 8, y, Align::kRight, true);
  }
  set_colour(cr, kBlack);
  cairo_rectangle(cr, f.left + 0.5, f.top + 0.5, f.width, f.height);
  cairo_stroke(cr);

  cairo_set_font_size(cr, 14);
  draw_text(cr, x_label, f.left + f.width / 2, canvas_height - 18, Align::kCenter);
  cairo_save(cr);
  cairo_translate(cr, 22, f.top + f.height / 2);
  cairo_rotate(cr, -M_PI / 2);
  draw_text(cr, y_label, 0, 0, Align::kCenter, true);
  cairo_restore(cr);
  cairo_set_font_size(cr, 16);
  draw_text(cr, title, f.left + f.width / 2, 30, Align::kCenter);
}

void draw_legend(cairo_t* cr, double x, double y, double width, const std::pair<std::string, Rgb>* entries, int count) {
  cairo_set_font_size(cr, 13);
  set_colour(cr, kWhite);
  cairo_rectangle(cr, x, y, width, 8 + 21 * count);
  cairo_fill_preserve(cr);
  set_colour(cr, kGrid);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
  for (int i = 0; i < count; ++i) {
    const double row = y + 15 + i * 21;
    set_colour(cr, entries[i].second);
    cairo_set_line_width(cr, 2);
    cairo_move_to(cr, x + 10, row);
    cairo_line_to(cr, x + 40, row);
    cairo_stroke(cr);
    set_colour(cr, kBlack);
    draw_text(cr, entries[i].first, x + 50, row, Align::kLeft, true);
  }
}

}  // namespace tinyae::plot
