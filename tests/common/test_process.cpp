// The process runner (include/tinyae/process.h) against real programs
// (/bin/sh, coreutils): arguments byte for byte, exit codes, signals, the
// timeout that ends the whole process group, the output bound, the line
// callback, and a missing program named in the error.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/process.h"

namespace tinyae {
namespace {

namespace fs = std::filesystem;

ProcessResult shell(const std::string& script, ProcessOptions options = {}) {
  return run_process({"/bin/sh", "-c", script}, options);
}

// Alive and not a zombie (a zombie waits for a parent that may never reap it).
bool running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_text, name, state;
  if (!(stat >> pid_text >> name >> state)) return false;
  return state != "Z";
}

TEST(Process, ArgumentsReachTheProgramByteForByte) {
  const std::vector<std::string> args = {
      "a b",         "'single'", "\"double\"",      "$HOME",     "*",
      "back\\slash", "",         "semi;colon|pipe", "new\nline", std::string("\xff\x01\x7f", 3)};
  std::vector<std::string> argv = {"/bin/sh", "-c", "for a; do printf '%s\\037' \"$a\"; done", "sh"};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult r = run_process(argv);
  ASSERT_TRUE(r.ok()) << r.describe() << r.err;
  std::string expected;
  for (const std::string& a : args) expected += a + "\x1f";
  EXPECT_EQ(r.out, expected);
}

TEST(Process, ExitCodeSignalAndSeparateStreams) {
  const ProcessResult exited = shell("echo out; echo err >&2; exit 3");
  EXPECT_TRUE(exited.exited);
  EXPECT_EQ(exited.exit_code, 3);
  EXPECT_FALSE(exited.ok());
  EXPECT_EQ(exited.describe(), "exit 3");
  EXPECT_EQ(exited.out, "out\n");
  EXPECT_EQ(exited.err, "err\n");

  const ProcessResult killed = shell("kill -SEGV $$");
  EXPECT_FALSE(killed.exited);
  EXPECT_EQ(killed.signal, SIGSEGV);
  EXPECT_EQ(killed.describe(), "signal 11 (SIGSEGV)");

  ProcessOptions merged;
  merged.merge_stderr = true;
  EXPECT_EQ(shell("echo out; echo err >&2", merged).out, "out\nerr\n");
}

TEST(Process, TimeoutKillsTheWholeProcessGroup) {
  ProcessOptions options;
  options.timeout_seconds = 0.5;
  // The grandchild holds stdout open too: the runner must not wait for it.
  const ProcessResult r = shell("sleep 30 & echo $!; wait", options);
  EXPECT_TRUE(r.timed_out);
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.describe(), "timed out after 0.5 s");
  EXPECT_LT(r.seconds, 5.0);
  const pid_t grandchild = static_cast<pid_t>(std::stol(r.out));
  for (int i = 0; i < 100 && running(grandchild); ++i) ::usleep(10000);
  EXPECT_FALSE(running(grandchild)) << "the timeout left 'sleep 30' (pid " << grandchild << ") running";
}

TEST(Process, OutputIsBoundedAndTheCutIsSaid) {
  ProcessOptions options;
  options.max_output_bytes = 1000;
  const ProcessResult r = run_process({"head", "-c", "100000", "/dev/zero"}, options);
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.out.substr(0, 1000), std::string(1000, '\0'));
  EXPECT_EQ(r.out_dropped, 99000u);
  EXPECT_NE(r.out.find("99000 more bytes not kept"), std::string::npos) << r.out.substr(1000);
}

TEST(Process, LinesReachTheCallbackAsTheyCome) {
  std::vector<std::string> lines;
  ProcessOptions options;
  options.max_output_bytes = 0;  // the callback sees everything even so
  options.on_stdout_line = [&](std::string_view line) { lines.emplace_back(line); };
  const ProcessResult r = shell("printf 'a\\nb\\r\\n'; sleep 0.1; printf 'c'", options);
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r.out_dropped, 6u);
}

TEST(Process, WorkingFolderEnvironmentAndStdin) {
  const fs::path dir = fs::canonical(fs::temp_directory_path());
  ProcessOptions options;
  options.cwd = dir;
  options.env = {"TINYAE_PROCESS_TEST=yes", "PATH=/usr/bin:/bin"};
  const ProcessResult r = shell("pwd; echo \"$TINYAE_PROCESS_TEST\"; cat", options);  // cat: stdin is empty
  ASSERT_TRUE(r.ok()) << r.describe() << r.err;
  EXPECT_EQ(r.out, dir.string() + "\nyes\n");
}

TEST(Process, MissingProgramIsNamed) {
  try {
    run_process({"tinyae-no-such-program", "--flag"});
    FAIL() << "expected a tinyae::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tinyae-no-such-program"), std::string::npos) << e.what();
  }
  try {
    run_process({"/nonexistent/tinyae-tool"});
    FAIL() << "expected a tinyae::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tinyae-tool"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(find_in_path("tinyae-no-such-program").empty());
  EXPECT_FALSE(find_in_path("sh").empty());
}

TEST(Process, SpawnThenKillTheGroup) {
  Process child({"sleep", "30"});
  EXPECT_GT(child.pid(), 0);
  EXPECT_FALSE(child.poll());
  child.kill_group();
  const ProcessResult r = child.wait();
  EXPECT_FALSE(r.exited);
  EXPECT_EQ(r.signal, SIGKILL);
  EXPECT_EQ(r.describe(), "signal 9 (SIGKILL)");
}

TEST(Process, DescribeCommandQuotesWhatNeedsIt) {
  EXPECT_EQ(describe_command({"gcc", "-c", "a b.c", ""}), "gcc -c 'a b.c' ''");
}

}  // namespace
}  // namespace tinyae
