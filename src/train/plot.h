// Private to src/train: the drawing kit of the PNG figures (cairo image
// surfaces, the toy text API, PNG through write_file_atomically): a canvas,
// lines, text, "nice" ticks and a framed plot with grid, ticks, axis labels
// and a title, shared by the training figures (figures.cpp) and the anomaly
// figures (anomaly_figures.cpp).
#pragma once

#include <cairo.h>

#include <filesystem>
#include <memory>
#include <string>

namespace tinyae::plot {

// Colours as RGB in [0, 1].
struct Rgb {
  double r, g, b;
};
inline constexpr Rgb kBlack{0, 0, 0};
inline constexpr Rgb kWhite{1, 1, 1};
inline constexpr Rgb kGrid{0.88, 0.88, 0.88};
inline constexpr Rgb kBlue{0.12, 0.47, 0.71};
inline constexpr Rgb kOrange{1.00, 0.50, 0.05};
inline constexpr Rgb kRed{0.84, 0.15, 0.16};
inline constexpr Rgb kGreen{0.17, 0.63, 0.17};

using SurfacePtr = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;
using ContextPtr = std::unique_ptr<cairo_t, decltype(&cairo_destroy)>;

struct Canvas {
  SurfacePtr surface{nullptr, cairo_surface_destroy};
  ContextPtr cr{nullptr, cairo_destroy};
};

// A white width x height RGB canvas; `path` names it in errors.
Canvas make_canvas(int width, int height, const std::filesystem::path& path);
void set_colour(cairo_t* cr, Rgb c);
// One straight line from (x0, y0) to (x1, y1) in colour c.
void stroke_line(cairo_t* cr, Rgb c, double x0, double y0, double x1, double y1);
// Encodes the canvas as PNG and writes it atomically to `path`.
void write_png(const Canvas& canvas, const std::filesystem::path& path);

enum class Align { kLeft, kCenter, kRight };
// Draws `text` with its baseline's anchor at (x, y), or vertically centred on
// y when `middle` is set.
void draw_text(cairo_t* cr, const std::string& text, double x, double y, Align align, bool middle = false);

// Tick positions covering [lo, hi] with about `target` steps of 1, 2 or 5
// times a power of ten (at least `min_step`).
struct Ticks {
  double first = 0, step = 1;
  int count = 0;
  int decimals = 0;  // enough to tell adjacent labels apart
};
Ticks nice_ticks(double lo, double hi, int target, double min_step);

// A plot area inside a canvas and the data ranges it shows.
struct Frame {
  double left = 90, top = 50, width = 0, height = 0;  // pixels
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;      // data
  double px(double x) const { return left + (x - x_lo) / (x_hi - x_lo) * width; }
  double py(double y) const { return top + height - (y - y_lo) / (y_hi - y_lo) * height; }
};
// The frame of a canvas_width x canvas_height figure with the standard margins.
Frame standard_frame(int canvas_width, int canvas_height);

// Grid, ticks (x ticks at least x_min_step apart), the frame's border, axis
// labels and the title.
void draw_axes(cairo_t* cr, const Frame& frame, int canvas_height, double x_min_step, const std::string& x_label,
               const std::string& y_label, const std::string& title);

// A legend box of coloured line samples at (x, y), top left.
void draw_legend(cairo_t* cr, double x, double y, double width, const std::pair<std::string, Rgb>* entries, int count);

}  // namespace tinyae::plot
