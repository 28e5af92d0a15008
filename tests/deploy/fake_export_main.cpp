// tinyae_fake_export DIR [tutorial|small] [golden_count] [seed]: writes a
// random-weight export folder (see fake_export.h). Used by
// tools/bench/bench_runtime.sh when no real export is given.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>

#include "fake_export.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::cerr << "usage: tinyae_fake_export DIR [tutorial|small] [golden_count] [seed]\n";
    return 2;
  }
  const std::string shape = argc > 2 ? argv[2] : "tutorial";
  tinyae::test::FakeExportOptions options;
  if (argc > 3) options.golden_count = std::atoi(argv[3]);
  if (argc > 4) options.seed = static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10));
  std::vector<tinyae::test::FakeModel> models;
  if (shape == "tutorial") {
    models = tinyae::test::tutorial_models();
  } else if (shape == "small") {
    models = {{"tiny", {8, 6, 4}, {1, 2}}};
  } else {
    std::cerr << "tinyae_fake_export: unknown shape '" << shape << "' (tutorial, small)\n";
    return 2;
  }
  try {
    tinyae::test::write_fake_export(argv[1], models, options, TINYAE_SOURCE_DIR "/src/runtime");
  } catch (const std::exception& e) {
    std::cerr << "tinyae_fake_export: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
