// Host-side helpers shared by every stage: the error type, crash-safe file
// writes, hashing and C names. Nothing here depends on LibTorch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tinyae {

inline constexpr const char* kVersion = "0.1.0";

// Every host-side failure the user can cause (bad file, bad flag, bad model)
// is a tinyae::Error whose message names the thing, what was expected and what
// was found. main() catches it once, logs it and exits non-zero.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes a file crash-safely: the writer fills a temporary file next to
// `path`, which is flushed, fsync'ed and renamed over `path`. If the writer
// throws or any step fails, the temporary file is removed, `path` is left as
// it was, and a tinyae::Error naming the path is thrown. Temporaries of
// `path` left by writers that were killed (their pid no longer runs) are
// removed first, so a run killed mid-write is clean once it writes again.
void write_file_atomically(const std::filesystem::path& path, const std::function<void(std::ostream&)>& writer);
void write_file_atomically(const std::filesystem::path& path, std::string_view contents);

// Creates `dir` (and parents) if needed and checks that a file can be created
// in it; throws tinyae::Error with the reason otherwise.
void ensure_writable_directory(const std::filesystem::path& dir);

// Reads a whole file; throws tinyae::Error naming the file if it cannot.
// Refuses files larger than max_bytes before allocating.
std::string read_file(const std::filesystem::path& path, std::uint64_t max_bytes);

// Throws tinyae::Error "<what> needs about X GiB, more than 3/4 of this
// machine's Y GiB; <advice>" when `bytes` exceeds 3/4 of the physical
// memory: a clean refusal instead of the OOM killer's SIGKILL. Does nothing
// if the memory size cannot be read.
void check_memory_fits(std::uint64_t bytes, const std::string& what, const std::string& advice);

// SHA-256 as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);
std::string sha256_file_hex(const std::filesystem::path& path);

// Incremental SHA-256, for data that arrives in pieces.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void* context_;  // EVP_MD_CTX*
};

}  // namespace tinyae
