// The export folder as a package for every build system (export --package,
// default all):
//  - every manifest holds the fields its documentation requires
//    (check_packages.py), and the version changes with the model;
//  - a small firmware (package_consumer/) takes the folder in through the
//    plain CMake package, by add_subdirectory and by find_package after
//    cmake --install, for the host (and runs: the golden vectors within the
//    device tolerance) and for the Cortex-M4F with a toolchain file;
//  - the Arduino example does not wait for ever for a serial monitor.
#include <algorithm>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "export_support.h"

namespace tinyae::test {
namespace {

const fs::path kConsumer = fs::path(TINYAE_SOURCE_DIR) / "tests" / "export" / "package_consumer";

class ExportPackage : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!mnist_missing_message().empty()) return;
    dir_ = fresh_dir("package");
    write_checkpoint(dir_ / "model.safetensors");
    export_ = run_export("--model " + quoted(dir_ / "model.safetensors") + " --out " + quoted(dir_ / "pkg") +
                         " --data " + quoted(mnist_dir()) + " --golden 2 --json");
  }
  void SetUp() override {
    const std::string missing = mnist_missing_message();
    if (!missing.empty()) GTEST_FAIL() << missing;
    ASSERT_EQ(export_.exit_code, 0) << export_.output;
  }

  // cmake with `args`; fails the test with its output.
  static void cmake(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {TINYAE_CMAKE};
    argv.insert(argv.end(), args.begin(), args.end());
    const CommandResult r = run_command(argv);
    ASSERT_EQ(r.exit_code, 0) << "cmake " << args.front() << " ...:\n" << r.output;
  }

  // Configures and builds the consumer into `build`; `extra` are -D options.
  static void build_consumer(const fs::path& build, const std::vector<std::string>& extra) {
    std::vector<std::string> configure = {"-S", kConsumer.string(), "-B", build.string()};
    configure.insert(configure.end(), extra.begin(), extra.end());
    cmake(configure);
    cmake({"--build", build.string()});
  }

  static fs::path dir_;
  static CommandResult export_;
};
fs::path ExportPackage::dir_;
CommandResult ExportPackage::export_;

std::string version_of(const fs::path& library_properties) {
  const std::string text = read_text(library_properties);
  const std::size_t at = text.find("\nversion=") + 9;
  return text.substr(at, text.find('\n', at) - at);
}

}  // namespace

TEST_F(ExportPackage, EveryManifestHoldsItsRequiredFieldsAndTheVersionFollowsTheModel) {
  const fs::path pkg = dir_ / "pkg";
  const nlohmann::json report = nlohmann::json::parse(export_.output.substr(export_.output.find('{')));
  for (const char* file :
       {"library.properties", "keywords.txt", "library.json", "CMakeLists.txt", "idf_component.yml",
        "zephyr/module.yml", "zephyr/CMakeLists.txt", "zephyr/Kconfig", "cmake/tinyae_modelsConfig.cmake",
        "src/tinyae.h", "src/model_autoencoder.h", "extras/footprint.json", "manifest.json",
        "examples/tinyae_autoencoder/tinyae_autoencoder.ino"}) {
    EXPECT_TRUE(fs::is_regular_file(pkg / file)) << file;
    EXPECT_NE(std::find(report["files"].begin(), report["files"].end(), file), report["files"].end())
        << file << " is not in export --json's list";
  }
  const CommandResult checked =
      run_command({TINYAE_PYTHON3, (kConsumer.parent_path() / "check_packages.py").string(), pkg.string()});
  std::cout << checked.output;
  EXPECT_EQ(checked.exit_code, 0) << checked.output;

  // Another model (trained one step further), another version; the same model, the same version.
  write_checkpoint(dir_ / "other.safetensors", 1, 64);
  for (const auto& [model, out] : {std::pair{"other.safetensors", "other"}, std::pair{"model.safetensors", "again"}}) {
    const CommandResult r = run_export("--model " + quoted(dir_ / model) + " --out " + quoted(dir_ / out) + " --data " +
                                       quoted(mnist_dir()) + " --golden 2 --package arduino");
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  const std::string version = version_of(pkg / "library.properties");
  EXPECT_NE(version_of(dir_ / "other" / "library.properties"), version);
  EXPECT_EQ(version_of(dir_ / "again" / "library.properties"), version);
  EXPECT_FALSE(fs::exists(dir_ / "again" / "library.json")) << "--package arduino wrote PlatformIO's manifest";
}

TEST_F(ExportPackage, ACMakeConsumerBuildsForTheHostAndTheCortexM4F) {
  const fs::path pkg = dir_ / "pkg";
  // Host, add_subdirectory: built and run.
  build_consumer(dir_ / "host-subdir", {"-DTINYAE_PACKAGE_DIR=" + pkg.string()});
  const CommandResult subdir = run_command(quoted(dir_ / "host-subdir" / "consumer"));
  std::cout << subdir.output;
  EXPECT_EQ(subdir.exit_code, 0) << subdir.output;

  // Host, find_package after cmake --install: built and run.
  cmake({"-S", pkg.string(), "-B", (dir_ / "pkg-build").string()});
  cmake({"--build", (dir_ / "pkg-build").string()});
  cmake({"--install", (dir_ / "pkg-build").string(), "--prefix", (dir_ / "prefix").string()});
  EXPECT_TRUE(fs::is_regular_file(dir_ / "prefix" / "include" / "tinyae_models" / "model_autoencoder.h"));
  build_consumer(dir_ / "host-installed", {"-DCMAKE_PREFIX_PATH=" + (dir_ / "prefix").string()});
  const CommandResult installed = run_command(quoted(dir_ / "host-installed" / "consumer"));
  EXPECT_EQ(installed.exit_code, 0) << installed.output;

  // Cortex-M4F, both ways: built (an ELF for ARM).
  const std::string toolchain = "-DCMAKE_TOOLCHAIN_FILE=" + (kConsumer / "cortex_m4f.cmake").string();
  build_consumer(dir_ / "m4f-subdir", {toolchain, "-DTINYAE_PACKAGE_DIR=" + pkg.string()});
  cmake({"-S", pkg.string(), "-B", (dir_ / "pkg-m4f").string(), toolchain});
  cmake({"--build", (dir_ / "pkg-m4f").string()});
  cmake({"--install", (dir_ / "pkg-m4f").string(), "--prefix", (dir_ / "prefix-m4f").string()});
  build_consumer(dir_ / "m4f-installed", {toolchain, "-DCMAKE_PREFIX_PATH=" + (dir_ / "prefix-m4f").string()});
  for (const char* build : {"m4f-subdir", "m4f-installed"}) {
    const std::string elf = read_text(dir_ / build / "consumer").substr(0, 20);
    ASSERT_EQ(elf.size(), 20u) << build;
    EXPECT_EQ(elf.substr(1, 3), "ELF") << build;
    EXPECT_EQ(static_cast<unsigned char>(elf[18]), 40u) << build << ": e_machine is not EM_ARM";
  }
}

TEST_F(ExportPackage, TheExampleSketchRunsWithTheSerialMonitorClosed) {
  const fs::path sketch = build_arduino_sketch(TINYAE_TEST_CC, TINYAE_TEST_CXX, dir_ / "pkg", dir_ / "sketch-build",
                                               NumberFormat::kFloat32);
  const CommandResult run = run_command("TINYAE_SHIM_SERIAL_CLOSED=1 " + quoted(sketch));
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("Self-test passed"), std::string::npos) << run.output;
}

}  // namespace tinyae::test
