// The runtime on its real target: it cross-compiles for Cortex-M4F and M7
// with the strict freestanding flags, stays under 2 KB of text at -Os, uses
// the multi-register assembly kernel there, needs nothing from the C library
// but expf/tanhf, and includes only <stdint.h>, <stddef.h> and <math.h>.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/process.h"

namespace {
namespace fs = std::filesystem;

const fs::path kRuntime = fs::path(TINYAE_SOURCE_DIR) / "src" / "runtime";
const std::vector<std::string> kStrict = {"-std=c99", "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-pedantic"};
const std::vector<std::string> kM4 = {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"};
const std::vector<std::string> kM7 = {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"};
constexpr long kMaxTextBytes = 2048;

struct Ran {
  int status = -1;
  std::string output;  // stdout and stderr
};

// Runs argv (found in PATH); a missing program is status -1 with the reason.
Ran run(const std::vector<std::string>& argv) {
  tinyae::ProcessOptions options;
  options.merge_stderr = true;
  options.timeout_seconds = 300;
  try {
    const tinyae::ProcessResult r = tinyae::run_process(argv, options);
    return {r.exited ? r.exit_code : -1, r.out};
  } catch (const tinyae::Error& e) {
    return {-1, e.what()};
  }
}

class Target : public ::testing::Test {
 protected:
  fs::path dir;
  void SetUp() override {
    dir = fs::temp_directory_path() / ("tinyae-runtime-target-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    if (run({"arm-none-eabi-gcc", "--version"}).status != 0) {
      FAIL() << "arm-none-eabi-gcc not found; sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi";
    }
  }
  void TearDown() override { fs::remove_all(dir); }

  // Compiles tinyae_f32.c; returns the object path.
  fs::path compile(const std::vector<std::string>& cpu, const std::string& opt, const std::string& name) {
    std::vector<std::string> argv = {"arm-none-eabi-gcc"};
    argv.insert(argv.end(), cpu.begin(), cpu.end());
    argv.insert(argv.end(), kStrict.begin(), kStrict.end());
    const fs::path object = dir / (name + ".o");
    argv.insert(argv.end(), {opt, "-c", (kRuntime / "tinyae_f32.c").string(), "-o", object.string()});
    const Ran r = run(argv);
    EXPECT_EQ(r.status, 0) << "compile failed:\n" << r.output;
    EXPECT_EQ(r.output, "") << "compiler printed diagnostics";
    return object;
  }
};

TEST_F(Target, CortexM4FTextAtOsIsAtMost2KB) {
  const fs::path object = compile(kM4, "-Os", "m4_os");
  const Ran size = run({"arm-none-eabi-size", object.string()});
  ASSERT_EQ(size.status, 0) << size.output;
  std::istringstream in(size.output);
  std::string header;
  std::getline(in, header);
  long text = -1, data = -1, bss = -1;
  in >> text >> data >> bss;
  std::printf("  runtime (tinyae_f32.c) on Cortex-M4F at -Os: text %ld B, data %ld B, bss %ld B\n", text, data, bss);
  EXPECT_GT(text, 0);
  EXPECT_LE(text, kMaxTextBytes);
  EXPECT_EQ(data, 0) << "the runtime must hold no writable globals";
  EXPECT_EQ(bss, 0) << "the runtime must hold no writable globals";
}

TEST_F(Target, CortexM4FAndM7UseTheMultiRegisterKernel) {
  for (const auto& [name, cpu] : {std::pair{"m4", kM4}, std::pair{"m7", kM7}}) {
    const fs::path object = compile(cpu, "-O2", std::string(name) + "_o2");
    const Ran dis = run({"arm-none-eabi-objdump", "-d", object.string()});
    ASSERT_EQ(dis.status, 0) << dis.output;
    EXPECT_NE(dis.output.find("vldmia\tr"), std::string::npos) << name << ": no multi-register load";
    EXPECT_NE(dis.output.find("vfma.f32"), std::string::npos) << name << ": no fused multiply-add";
  }
}

TEST_F(Target, NeedsOnlyExpfAndTanhfFromTheCLibrary) {
  const fs::path object = compile(kM4, "-O2", "m4_syms");
  const Ran nm = run({"arm-none-eabi-nm", "-u", object.string()});
  ASSERT_EQ(nm.status, 0) << nm.output;
  std::istringstream in(nm.output);
  std::string kind, symbol;
  const std::set<std::string> allowed = {"expf", "tanhf"};
  while (in >> kind >> symbol) EXPECT_TRUE(allowed.count(symbol) == 1) << "undefined symbol " << symbol;
}

TEST(RuntimeSource, IncludesOnlyFreestandingHeaders) {
  const std::set<std::string> allowed = {"<stddef.h>", "<stdint.h>", "<math.h>", "<arm_mve.h>", "\"tinyae.h\""};
  for (const char* file : {"tinyae.h", "tinyae_status.c", "tinyae_f32.c"}) {
    std::ifstream in(kRuntime / file);
    ASSERT_TRUE(in) << file;
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("#include", 0) != 0) continue;
      std::istringstream words(line);
      std::string directive, header;
      words >> directive >> header;
      EXPECT_TRUE(allowed.count(header) == 1) << file << " includes " << header;
    }
  }
}

}  // namespace
