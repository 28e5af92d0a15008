// Private to src/train: the progress bar of a training epoch.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tinyae {

// "Epoch 3/50 [=========>          ] 120/235" on stderr, redrawn in place.
class ProgressBar {
 public:
  ProgressBar(bool enabled, std::int64_t epoch, std::int64_t epochs, std::int64_t batches)
      : enabled_(enabled && isatty(STDERR_FILENO) == 1), epoch_(epoch), epochs_(epochs), batches_(batches) {}

  void update(std::int64_t done) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    // Redrawing 235 times an epoch is cheap, but a terminal over ssh is not.
    if (done != batches_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * done / batches_);
    std::string bar(static_cast<std::size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\rEpoch %lld/%lld [%s] %lld/%lld", static_cast<long long>(epoch_),
                 static_cast<long long>(epochs_), bar.c_str(), static_cast<long long>(done),
                 static_cast<long long>(batches_));
    std::fflush(stderr);
    drawn_ = true;
  }

  void clear() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r\033[K");  // back to column 0, erase the line
    std::fflush(stderr);
    drawn_ = false;
  }

  ~ProgressBar() { clear(); }

 private:
  bool enabled_;
  std::int64_t epoch_, epochs_, batches_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace tinyae
