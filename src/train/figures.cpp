// The two figures of a run, drawn with cairo's image surfaces and toy text
// API and written as PNG through write_file_atomically.
//
// loss.png (kLossFigureWidth x kLossFigureHeight): training and validation
// loss per epoch on linear axes with "nice" ticks (1, 2 or 5 times a power
// of ten), a grid, axis labels, a legend and a title, like the tutorial's
// figure 6.
//
// reconstructions.png: one column per test image; rows are the original,
// (denoising) the corrupted input, its latent code as a near-square tile of
// grey levels and the reconstruction, like the tutorial's figure 9. Images are drawn pixel by pixel as filled
// squares, which keeps them sharp at any scale.
//
// generated.png (variational): a grid of images decoded from random codes.
#include "tinyae/figures.h"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <spdlog/fmt/fmt.h>

#include "plot.h"
#include "tinyae/common.h"
#include "tinyae/train.h"

namespace tinyae {
namespace {

namespace fs = std::filesystem;
using namespace plot;

// reconstructions.png layout (pixels): each image cell is 28 pixels x 3.
constexpr int kCellSize = 84;
constexpr int kCellGap = 8;
constexpr int kLabelWidth = 150;
constexpr int kTitleHeight = 44;
constexpr int kMargin = 12;
constexpr int kRows = 3;  // without the corrupted inputs' row

// Pixel value in [0, 1] as a grey square.
void draw_grey_square(cairo_t* cr, double value, double x, double y, double size) {
  const double v = std::clamp(value, 0.0, 1.0);
  cairo_set_source_rgb(cr, v, v, v);
  cairo_rectangle(cr, x, y, size, size);
  cairo_fill(cr);
}

// A square image of side*side values in [0, 1] at (x, y), kCellSize wide.
void draw_image(cairo_t* cr, const float* pixels, std::int64_t side, double x, double y) {
  const double px = static_cast<double>(kCellSize) / static_cast<double>(side);
  for (std::int64_t r = 0; r < side; ++r) {
    for (std::int64_t c = 0; c < side; ++c) {
      draw_grey_square(cr, pixels[r * side + c], x + static_cast<double>(c) * px, y + static_cast<double>(r) * px, px);
    }
  }
}

}  // namespace

TileShape latent_tile_shape(std::int64_t size) {
  if (size < 1) throw Error(fmt::format("latent tile: size must be >= 1, got {}", size));
  std::int64_t columns = 1;
  for (std::int64_t d = 1; d * d <= size; ++d) {
    if (size % d == 0) columns = d;
  }
  const std::int64_t rows = size / columns;
  if (rows <= 2 * columns) return {rows, columns};
  // No near-square divisor pair (e.g. a prime): a padded square-ish grid.
  columns = static_cast<std::int64_t>(std::ceil(std::sqrt(static_cast<double>(size))));
  return {(size + columns - 1) / columns, columns};
}

FigureSize reconstructions_figure_size(std::int64_t columns, bool noisy_row) {
  if (columns < 1 || columns > 1000) {
    throw Error(fmt::format("reconstructions figure: expected 1..1000 images, got {}", columns));
  }
  FigureSize size;
  size.width = kLabelWidth + static_cast<int>(columns) * (kCellSize + kCellGap) + kMargin;
  size.height = kTitleHeight + (kRows + (noisy_row ? 1 : 0)) * (kCellSize + kCellGap) + kMargin;
  return size;
}

void draw_loss_png(const fs::path& path, const std::vector<EpochResult>& history, const char* penalty,
                   const char* axis_label) {
  if (history.empty()) throw Error(fmt::format("{}: no epochs to plot", path.string()));
  Canvas canvas = make_canvas(kLossFigureWidth, kLossFigureHeight, path);
  cairo_t* cr = canvas.cr.get();

  // Data ranges; an epoch range of one point is widened so it sits mid-plot.
  double x_lo = static_cast<double>(history.front().epoch);
  double x_hi = static_cast<double>(history.back().epoch);
  if (x_hi - x_lo < 1) {
    x_lo -= 1;
    x_hi += 1;
  }
  const double x_pad = (x_hi - x_lo) * 0.03;  // keeps the end points' dots inside the frame
  x_lo -= x_pad;
  x_hi += x_pad;
  double y_lo = std::numeric_limits<double>::infinity(), y_hi = -y_lo;
  for (const EpochResult& r : history) {
    const std::size_t terms = penalty != nullptr ? 4 : 2;  // the series drawn below
    const double values[] = {r.loss, r.val_loss, r.loss - r.penalty, r.penalty};
    for (std::size_t i = 0; i < terms; ++i) {
      const double v = values[i];
      if (std::isfinite(v)) {
        y_lo = std::min(y_lo, v);
        y_hi = std::max(y_hi, v);
      }
    }
  }
  if (!std::isfinite(y_lo)) {
    y_lo = 0;
    y_hi = 1;
  }
  const double pad = std::max((y_hi - y_lo) * 0.08, std::max(std::abs(y_hi), 1e-6) * 0.02);
  y_lo -= pad;
  y_hi += pad;
  if (y_lo < 0 && y_lo + pad >= 0) y_lo = 0;  // a loss is never negative: don't show below 0 for padding's sake

  Frame frame = standard_frame(kLossFigureWidth, kLossFigureHeight);
  frame.x_lo = x_lo;
  frame.x_hi = x_hi;
  frame.y_lo = y_lo;
  frame.y_hi = y_hi;
  // A kind with a penalty minimises more than the MSE.
  const char* fallback_label = penalty != nullptr ? "Loss (MSE + penalty)" : "Loss (MSE)";
  draw_axes(cr, frame, kLossFigureHeight, 1.0, "Epoch", axis_label != nullptr ? axis_label : fallback_label,
            "Training and validation loss");
  const double left = frame.left, top = frame.top, width = frame.width, height = frame.height;
  auto px = [&](double epoch) { return frame.px(epoch); };
  auto py = [&](double loss) { return frame.py(loss); };

  // The two series: lines through finite points, a dot on each.
  cairo_save(cr);
  cairo_rectangle(cr, left, top, width, height);
  cairo_clip(cr);
  cairo_set_line_width(cr, 2);
  auto draw_series = [&](auto value_of, Rgb colour) {
    set_colour(cr, colour);
    bool drawing = false;
    for (const EpochResult& r : history) {
      const double v = value_of(r);
      if (!std::isfinite(v)) {
        drawing = false;
        continue;
      }
      const double x = px(static_cast<double>(r.epoch)), y = py(v);
      if (drawing)
        cairo_line_to(cr, x, y);
      else
        cairo_move_to(cr, x, y);
      drawing = true;
    }
    cairo_stroke(cr);
    for (const EpochResult& r : history) {
      const double v = value_of(r);
      if (!std::isfinite(v)) continue;
      cairo_arc(cr, px(static_cast<double>(r.epoch)), py(v), 3, 0, 2 * M_PI);
      cairo_fill(cr);
    }
  };
  draw_series([](const EpochResult& r) { return r.loss; }, kBlue);
  draw_series([](const EpochResult& r) { return r.val_loss; }, kOrange);
  if (penalty != nullptr) {
    draw_series([](const EpochResult& r) { return r.loss - r.penalty; }, kGreen);
    draw_series([](const EpochResult& r) { return r.penalty; }, kRed);
  }
  cairo_restore(cr);

  // Legend, top right inside the plot (losses fall, so that corner is free).
  const std::pair<std::string, Rgb> entries[] = {{"Training loss", kBlue},
                                                 {"Validation loss", kOrange},
                                                 {"Training reconstruction", kGreen},
                                                 {fmt::format("Training {}", penalty ? penalty : ""), kRed}};
  const double legend_width = penalty != nullptr ? 220 : 170;
  draw_legend(cr, left + width - legend_width - 10, top + 10, legend_width, entries, penalty != nullptr ? 4 : 2);
  write_png(canvas, path);
}

void draw_reconstructions_png(const fs::path& path, const torch::Tensor& originals, const torch::Tensor& latents,
                              const torch::Tensor& reconstructions, const torch::Tensor& noisy) {
  if (originals.dim() != 2 || latents.dim() != 2 || reconstructions.dim() != 2 ||
      originals.sizes() != reconstructions.sizes() || latents.size(0) != originals.size(0) ||
      (noisy.defined() && noisy.sizes() != originals.sizes())) {
    throw Error(fmt::format(
        "{}: expected originals (n, pixels), latents (n, latent), reconstructions (n, pixels) and noisy inputs "
        "(n, pixels) or none; got {}, {}, {}",
        path.string(), fmt::to_string(fmt::join(originals.sizes(), "x")),
        fmt::to_string(fmt::join(latents.sizes(), "x")), fmt::to_string(fmt::join(reconstructions.sizes(), "x"))));
  }
  const std::int64_t n = originals.size(0);
  const std::int64_t pixels = originals.size(1);
  const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(pixels))));
  if (side * side != pixels) {
    throw Error(fmt::format("{}: images of {} pixels are not square", path.string(), pixels));
  }
  const bool noisy_row = noisy.defined();
  const FigureSize size = reconstructions_figure_size(n, noisy_row);
  Canvas canvas = make_canvas(size.width, size.height, path);
  cairo_t* cr = canvas.cr.get();

  const torch::Tensor orig = originals.detach().to(torch::kFloat).contiguous();         // (n, pixels)
  const torch::Tensor recon = reconstructions.detach().to(torch::kFloat).contiguous();  // (n, pixels)
  const torch::Tensor codes = latents.detach().to(torch::kFloat).contiguous();          // (n, latent)
  const std::int64_t latent = codes.size(1);
  const TileShape tile = latent_tile_shape(latent);

  // One grey scale for the whole row of codes, so tiles can be compared.
  const double code_lo = codes.min().item<double>(), code_hi = codes.max().item<double>();
  const double code_range = code_hi - code_lo;
  const double code_px = static_cast<double>(kCellSize) / static_cast<double>(std::max(tile.rows, tile.columns));
  const double tile_w = code_px * static_cast<double>(tile.columns), tile_h = code_px * static_cast<double>(tile.rows);

  cairo_set_font_size(cr, 16);
  set_colour(cr, kBlack);
  draw_text(cr,
            fmt::format("First {} test images: originals, {}latent codes, reconstructions", n,
                        noisy_row ? "corrupted inputs, " : ""),
            size.width / 2.0, 28, Align::kCenter);
  cairo_set_font_size(cr, 13);
  std::vector<std::string> labels = {"original", fmt::format("latent code ({}x{})", tile.rows, tile.columns),
                                     "reconstruction"};
  if (noisy_row) labels.insert(labels.begin() + 1, "corrupted input");
  // Each row's top edge.
  auto row_y = [](std::size_t row) { return kTitleHeight + static_cast<double>(row) * (kCellSize + kCellGap); };
  for (std::size_t row = 0; row < labels.size(); ++row) {
    set_colour(cr, kBlack);
    draw_text(cr, labels[row], kLabelWidth - 10, row_y(row) + kCellSize / 2.0, Align::kRight, true);
  }
  const std::size_t code_row = noisy_row ? 2 : 1;
  const torch::Tensor corrupted =
      noisy_row ? noisy.detach().to(torch::kFloat).contiguous() : torch::Tensor();  // (n, pixels)

  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);  // pixels as crisp squares
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = kLabelWidth + static_cast<double>(i * (kCellSize + kCellGap));
    draw_image(cr, orig[i].data_ptr<float>(), side, x, kTitleHeight);
    if (noisy_row) draw_image(cr, corrupted[i].data_ptr<float>(), side, x, row_y(1));
    const float* code = codes[i].data_ptr<float>();  // (latent)
    const double tx = x + (kCellSize - tile_w) / 2, ty = row_y(code_row) + (kCellSize - tile_h) / 2;
    for (std::int64_t k = 0; k < latent; ++k) {
      const double grey = code_range > 0 ? (code[k] - code_lo) / code_range : 0.5;
      draw_grey_square(cr, grey, tx + static_cast<double>(k % tile.columns) * code_px,
                       ty + static_cast<double>(k / tile.columns) * code_px, code_px);
    }
    // A frame, so that a tile of zeros (black) still shows its extent.
    cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, std::floor(tx) - 0.5, std::floor(ty) - 0.5, tile_w + 1, tile_h + 1);
    cairo_stroke(cr);
    draw_image(cr, recon[i].data_ptr<float>(), side, x, row_y(code_row + 1));
  }
  write_png(canvas, path);
}

void draw_generated_png(const fs::path& path, const torch::Tensor& images, std::int64_t columns) {
  const std::int64_t pixels = images.dim() == 2 ? images.size(1) : 0;
  const auto side = static_cast<std::int64_t>(std::lround(std::sqrt(static_cast<double>(pixels))));
  if (images.dim() != 2 || images.size(0) < 1 || side * side != pixels || columns < 1) {
    throw Error(fmt::format("{}: expected square images (n >= 1, pixels) and columns >= 1, got {} and {}",
                            path.string(), fmt::to_string(fmt::join(images.sizes(), "x")), columns));
  }
  const std::int64_t n = images.size(0);
  const std::int64_t rows = (n + columns - 1) / columns;
  const int width = 2 * kMargin + static_cast<int>(columns) * (kCellSize + kCellGap);
  const int height = kTitleHeight + static_cast<int>(rows) * (kCellSize + kCellGap) + kMargin;
  Canvas canvas = make_canvas(width, height, path);
  cairo_t* cr = canvas.cr.get();
  cairo_set_font_size(cr, 16);
  set_colour(cr, kBlack);
  draw_text(cr, fmt::format("{} images decoded from random codes z ~ N(0, I)", n), width / 2.0, 28, Align::kCenter);
  // Pixels as crisp squares.
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  const torch::Tensor values = images.detach().to(torch::kFloat).contiguous();  // (n, pixels)
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = kMargin + static_cast<double>((i % columns) * (kCellSize + kCellGap));
    const double y = kTitleHeight + static_cast<double>((i / columns) * (kCellSize + kCellGap));
    draw_image(cr, values[i].data_ptr<float>(), side, x, y);
  }
  write_png(canvas, path);
}

}  // namespace tinyae
