// The fixture of tests that write files: a fresh folder per test under the
// system's temporary folder, named after the test and this process, removed
// afterwards unless the test failed (then it is left for inspection).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

namespace tinyae::test {

// The MNIST folder the training tests read (data/fetch_mnist.sh fills it).
inline const std::filesystem::path kMnistDir = std::filesystem::path(TINYAE_SOURCE_DIR) / "data" / "mnist";

class TempDirTest : public ::testing::Test {
 protected:
  // `prefix` starts the folder's name ("tinyae-test-cli"); `needs_mnist`
  // fails the test at once, with the fix, if MNIST is not there.
  explicit TempDirTest(std::string prefix, bool needs_mnist = false)
      : prefix_(std::move(prefix)), needs_mnist_(needs_mnist) {}

  void SetUp() override {
    if (needs_mnist_) {
      ASSERT_TRUE(std::filesystem::exists(kMnistDir / "train-images-idx3-ubyte") ||
                  std::filesystem::exists(kMnistDir / "train-images-idx3-ubyte.gz"))
          << "MNIST is missing from " << kMnistDir << ": run data/fetch_mnist.sh first";
    }
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           (prefix_ + "-" + std::string(info->name()) + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "left " << dir_ << " for inspection\n";
    } else {
      std::filesystem::remove_all(dir_);
    }
  }

  std::filesystem::path dir_;

 private:
  std::string prefix_;
  bool needs_mnist_;
};

}  // namespace tinyae::test
