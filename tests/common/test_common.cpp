// Crash-safe writes, bounded reads and SHA-256.
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <gtest/gtest.h>

#include "tinyae/common.h"

namespace fs = std::filesystem;
using tinyae::Error;

namespace {

fs::path fresh_dir(const std::string& name) {
  fs::path dir = fs::temp_directory_path() / ("tinyae_test_common_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::size_t count_entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}));
}

}  // namespace

TEST(Sha256, KnownVectors) {
  // FIPS 180-2 examples.
  EXPECT_EQ(tinyae::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(tinyae::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  tinyae::Sha256 pieces;
  pieces.update("a", 1);
  pieces.update("bc", 2);
  EXPECT_EQ(pieces.hex_digest(), tinyae::sha256_hex("abc"));
}

TEST(WriteFileAtomically, WritesAndReplaces) {
  const fs::path dir = fresh_dir("replace");
  const fs::path file = dir / "out.txt";
  tinyae::write_file_atomically(file, "first");
  tinyae::write_file_atomically(file, [](std::ostream& out) { out << "second " << 2; });
  EXPECT_EQ(tinyae::read_file(file, 100), "second 2");
  EXPECT_EQ(count_entries(dir), 1u) << "no temporary file may be left beside the output";
  fs::remove_all(dir);
}

TEST(WriteFileAtomically, ThrowingWriterLeavesOldFileAndNoTemporary) {
  const fs::path dir = fresh_dir("throw");
  const fs::path file = dir / "out.txt";
  tinyae::write_file_atomically(file, "kept");
  EXPECT_THROW(tinyae::write_file_atomically(file,
                                             [](std::ostream& out) {
                                               out << "half";
                                               throw std::runtime_error("writer failed");
                                             }),
               std::runtime_error);
  EXPECT_EQ(tinyae::read_file(file, 100), "kept");
  EXPECT_EQ(count_entries(dir), 1u);
  fs::remove_all(dir);
}

TEST(WriteFileAtomically, RemovesTemporariesOfKilledWritersOnly) {
  const fs::path dir = fresh_dir("stale");
  const fs::path file = dir / "model.safetensors";
  // A writer killed mid-write leaves "<name>.tmp.<pid>.<hex>"; 999999999 is
  // beyond any pid_max, so no such process runs. Our own pid is alive.
  tinyae::write_file_atomically(dir / "model.safetensors.tmp.999999999.1f", "half a checkpoint");
  const fs::path live = dir / ("model.safetensors.tmp." + std::to_string(::getpid()) + ".2e");
  tinyae::write_file_atomically(live, "a write in progress");
  tinyae::write_file_atomically(dir / "other.txt.tmp.999999999.3d", "not ours");
  tinyae::write_file_atomically(file, "whole");
  EXPECT_FALSE(fs::exists(dir / "model.safetensors.tmp.999999999.1f"));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(dir / "other.txt.tmp.999999999.3d")) << "only temporaries of the file being written go";
  fs::remove_all(dir);
}

// A full disk, without a full disk: RLIMIT_FSIZE makes every write past
// 4 KiB fail with EFBIG, as ENOSPC would (SIGXFSZ ignored, so the write
// returns the error instead of killing the process).
TEST(WriteFileAtomically, FailedWriteKeepsTheOldFileAndLeavesNoTemporary) {
  const fs::path dir = fresh_dir("full");
  const fs::path file = dir / "model.safetensors";
  tinyae::write_file_atomically(file, "the previous epoch");
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit small = saved;
  small.rlim_cur = 4096;
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string message;
  try {
    tinyae::write_file_atomically(file, std::string(1 << 20, 'x'));
  } catch (const Error& e) {
    message = e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_NE(message.find("model.safetensors"), std::string::npos)
      << "no error, or one not naming the file: " << message;
  EXPECT_EQ(tinyae::read_file(file, 100), "the previous epoch");
  EXPECT_EQ(count_entries(dir), 1u) << "the temporary must be removed";
  fs::remove_all(dir);
}

TEST(WriteFileAtomically, UnwritablePlacesGiveClearErrors) {
  const fs::path dir = fresh_dir("unwritable");
  // A regular file used as a folder: fails even for root.
  tinyae::write_file_atomically(dir / "plain", "x");
  try {
    tinyae::write_file_atomically(dir / "plain" / "out.txt", "y");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plain/out.txt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tinyae::write_file_atomically(dir, "z"), Error) << "a folder is not a file";
  EXPECT_THROW(tinyae::ensure_writable_directory(dir / "plain"), Error);
  EXPECT_THROW(tinyae::ensure_writable_directory(dir / "plain" / "sub"), Error);
  EXPECT_NO_THROW(tinyae::ensure_writable_directory(dir / "new" / "nested"));
  EXPECT_TRUE(fs::is_directory(dir / "new" / "nested"));
  EXPECT_EQ(count_entries(dir / "new" / "nested"), 0u) << "the write probe must be removed";
  fs::remove_all(dir);
}

TEST(ReadFile, RefusesMissingFoldersAndOversizedFiles) {
  const fs::path dir = fresh_dir("read");
  tinyae::write_file_atomically(dir / "ten", "0123456789");
  EXPECT_EQ(tinyae::read_file(dir / "ten", 10), "0123456789");
  EXPECT_THROW(tinyae::read_file(dir / "ten", 9), Error);
  EXPECT_THROW(tinyae::read_file(dir / "missing", 10), Error);
  EXPECT_THROW(tinyae::read_file(dir, 10), Error);
  fs::remove_all(dir);
}

TEST(ReadFile, RefusesPipesAndDevices) {
  const fs::path dir = fresh_dir("read-special");
  ASSERT_EQ(::mkfifo((dir / "pipe").c_str(), 0644), 0);
  // A pipe nobody writes to would block a plain read forever.
  try {
    tinyae::read_file(dir / "pipe", 10);
    ADD_FAILURE() << "read a pipe";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tinyae::read_file("/dev/zero", 10), Error);
  fs::remove_all(dir);
}

TEST(CheckMemoryFits, RefusesMoreThanThreeQuartersOfRam) {
  const auto ram =
      static_cast<std::uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  ASSERT_GT(ram, 0u);
  EXPECT_NO_THROW(tinyae::check_memory_fits(ram / 2, "half", "advice"));
  try {
    tinyae::check_memory_fits(ram, "all of it", "buy more");
    ADD_FAILURE() << "accepted all the RAM";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("all of it needs about ", 0), 0u) << message;
    EXPECT_NE(message.find("GiB; buy more"), std::string::npos) << message;
  }
}
