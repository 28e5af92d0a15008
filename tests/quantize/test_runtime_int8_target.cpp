// tinyae_int8.c on its real targets: it cross-compiles without a diagnostic
// under the strict freestanding flags for Cortex-M cores with the DSP
// extension (M4F, M7, M33: the SXTB16/SMLAD path; M55: that and Helium) and
// without it (M0, M3: portable C), holds no writable globals, needs nothing from the C library
// but roundf (plus the compiler's own __aeabi_* helpers on cores without
// the instructions), and includes only the freestanding headers.
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../export/export_support.h"
#include "tinyae/process.h"

namespace tinyae::test {
namespace {

const fs::path kRuntime = fs::path(TINYAE_SOURCE_DIR) / "src" / "runtime";
const std::vector<std::string> kStrict = {"-std=c99", "-ffreestanding", "-Wall", "-Wextra", "-Werror", "-pedantic"};
// At -Os with the DSP kernel (the float runtime's limit is 2048): inference,
// float <-> int8, and raw-reading scaling plus the integer anomaly score
// (about 310 bytes of the total).
constexpr long kMaxTextBytes = 3072;

struct Core {
  const char* name;
  std::vector<std::string> flags;
  bool dsp;
  long max_text_bytes = kMaxTextBytes;
};
const std::vector<Core> kCores = {
    {"m4f", {"-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"}, true},
    {"m7", {"-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"}, true},
    {"m33", {"-mcpu=cortex-m33", "-mthumb"}, true},
    // The Helium kernel comes on top of the DSP one (which still runs a
    // one-layer model whose input and output share memory).
    {"m55", {"-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"}, true, kMaxTextBytes + 512},
    {"m3", {"-mcpu=cortex-m3", "-mthumb"}, false},
    {"m0", {"-mcpu=cortex-m0", "-mthumb"}, false},
};

class Int8Target : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fresh_dir("quantize-target");
    if (find_in_path("arm-none-eabi-gcc").empty()) {
      GTEST_FAIL() << "arm-none-eabi-gcc not found; sudo apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi";
    }
  }
  // Compiles tinyae_int8.c for `core` at `opt`; returns the object path.
  fs::path compile(const Core& core, const std::string& opt) {
    const fs::path object = dir_ / (std::string(core.name) + opt + ".o");
    std::vector<std::string> argv = {"arm-none-eabi-gcc"};
    argv.insert(argv.end(), core.flags.begin(), core.flags.end());
    argv.insert(argv.end(), kStrict.begin(), kStrict.end());
    argv.insert(argv.end(),
                {opt, "-I", kRuntime.string(), "-c", (kRuntime / "tinyae_int8.c").string(), "-o", object.string()});
    const CommandResult r = run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << core.name << " " << opt << ":\n" << r.output;
    EXPECT_EQ(r.output, "") << core.name << " " << opt << ": the compiler printed diagnostics";
    return object;
  }
  fs::path dir_;
};

TEST_F(Int8Target, DspCoresUseSmladAndOthersPortableC) {
  for (const Core& core : kCores) {
    for (const char* opt : {"-O0", "-O2", "-Os"}) {
      const fs::path object = compile(core, opt);
      const CommandResult dis = run_command({"arm-none-eabi-objdump", "-d", object.string()});
      ASSERT_EQ(dis.exit_code, 0) << dis.output;
      const bool smlad = dis.output.find("smlad") != std::string::npos;
      const bool sxtb16 = dis.output.find("sxtb16") != std::string::npos;
      EXPECT_EQ(smlad && sxtb16, core.dsp) << core.name << " " << opt;
    }
  }
}

// objdump does not decode Helium instructions; the compiler's assembly names them.
TEST_F(Int8Target, CortexM55UsesHelium) {
  const fs::path assembly = dir_ / "m55.s";
  std::vector<std::string> argv = {"arm-none-eabi-gcc", "-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"};
  argv.insert(argv.end(), kStrict.begin(), kStrict.end());
  argv.insert(argv.end(),
              {"-O2", "-I", kRuntime.string(), "-S", (kRuntime / "tinyae_int8.c").string(), "-o", assembly.string()});
  const CommandResult r = run_command(argv);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(read_text(assembly).find("vmladava.s8"), std::string::npos) << "no VMLADAVA.S8 in the Cortex-M55 code";
}

TEST_F(Int8Target, NoGlobalsSmallTextOnlyRoundfFromTheLibrary) {
  for (const Core& core : kCores) {
    const fs::path object = compile(core, "-Os");
    const CommandResult size = run_command({"arm-none-eabi-size", object.string()});
    ASSERT_EQ(size.exit_code, 0) << size.output;
    std::istringstream in(size.output);
    std::string header;
    std::getline(in, header);
    long text = -1, data = -1, bss = -1;
    in >> text >> data >> bss;
    std::cout << "  tinyae_int8.c on " << core.name << " at -Os: text " << text << " B\n";
    EXPECT_LE(text, core.max_text_bytes) << core.name;
    EXPECT_EQ(data, 0) << core.name << ": the runtime must hold no writable globals";
    EXPECT_EQ(bss, 0) << core.name << ": the runtime must hold no writable globals";
    const CommandResult nm = run_command({"arm-none-eabi-nm", "-u", object.string()});
    ASSERT_EQ(nm.exit_code, 0) << nm.output;
    std::istringstream symbols(nm.output);
    std::string kind, symbol;
    while (symbols >> kind >> symbol) {
      EXPECT_TRUE(symbol == "roundf" || symbol.rfind("__aeabi_", 0) == 0)
          << core.name << ": undefined symbol " << symbol << " (memset/memcpy calls are not allowed)";
    }
  }
}

TEST(Int8RuntimeSource, IncludesOnlyFreestandingHeaders) {
  const std::set<std::string> allowed = {"<stddef.h>",   "<stdint.h>",  "<math.h>",
                                         "<arm_acle.h>", "<arm_mve.h>", "\"tinyae.h\""};
  std::ifstream in(kRuntime / "tinyae_int8.c");
  ASSERT_TRUE(in);
  std::string line;
  int includes = 0;
  while (std::getline(in, line)) {
    if (line.rfind("#include", 0) != 0) continue;
    std::istringstream words(line);
    std::string directive, header;
    words >> directive >> header;
    EXPECT_TRUE(allowed.count(header) == 1) << "tinyae_int8.c includes " << header;
    ++includes;
  }
  EXPECT_GE(includes, 2);
}

}  // namespace
}  // namespace tinyae::test
