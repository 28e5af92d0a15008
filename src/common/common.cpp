// Crash-safe file writes, bounded file reads and SHA-256 (OpenSSL's libcrypto).
#include "tinyae/common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include <openssl/evp.h>

#include "tinyae/text.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

// Writes all of `contents` to fd, retrying short writes.
bool write_all(int fd, std::string_view contents) {
  const char* p = contents.data();
  std::size_t left = contents.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return true;
}

// A name beside `path` that no other writer picks: "<name>.tmp.<pid>.<random>".
fs::path temporary_sibling(const fs::path& path) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::ostringstream name;
  name << path.filename().string() << ".tmp." << ::getpid() << "." << std::hex << rng();
  return path.parent_path() / name.str();
}

// Removes "<name>.tmp.<pid>.<hex>" files beside `path` left by writers that
// were killed mid-write (SIGKILL, power loss): their pid no longer runs.
// Temporaries of live writers are left alone.
void remove_stale_temporaries(const fs::path& path) {
  const std::string prefix = path.filename().string() + ".tmp.";
  std::error_code ec;
  for (const fs::directory_entry& entry :
       fs::directory_iterator(path.parent_path().empty() ? "." : path.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // "<pid>.<hex>"
    const std::size_t dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || rest.find_first_not_of("0123456789") != dot) continue;
    const long pid = std::strtol(rest.substr(0, dot).c_str(), nullptr, 10);
    if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
      std::error_code ignored;
      fs::remove(entry.path(), ignored);
    }
  }
}

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);  // best effort: makes the rename itself durable
    ::close(fd);
  }
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view contents) {
  if (path.filename().empty()) throw Error("cannot write '" + path.string() + "': not a file name");
  if (fs::is_directory(path)) {
    throw Error("cannot write '" + path.string() + "': it is a directory");
  }
  remove_stale_temporaries(path);
  const fs::path tmp = temporary_sibling(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Error("cannot write '" + path.string() + "': " + errno_text());
  }
  const bool ok = write_all(fd, contents) && ::fsync(fd) == 0;
  const std::string why = ok ? "" : errno_text();
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = ok ? errno_text() : why;
    ::unlink(tmp.c_str());
    throw Error("cannot write '" + path.string() + "': " + reason);
  }
  fsync_directory(path.parent_path());
}

void write_file_atomically(const fs::path& path, const std::function<void(std::ostream&)>& writer) {
  // Rendered in memory first: a writer that throws leaves nothing on disk.
  std::ostringstream buffer;
  writer(buffer);
  if (!buffer) throw Error("cannot write '" + path.string() + "': formatting failed");
  write_file_atomically(path, std::string_view(buffer.str()));
}

void ensure_writable_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw Error("output folder '" + dir.string() + "' exists and is not a folder");
  }
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create output folder '" + dir.string() + "': " + ec.message());
  const fs::path probe = temporary_sibling(dir / ".tinyae-write-test");
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw Error("output folder '" + dir.string() + "' is not writable: " + errno_text());
  ::close(fd);
  ::unlink(probe.c_str());
}

void check_memory_fits(std::uint64_t bytes, const std::string& what, const std::string& advice) {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return;
  const std::uint64_t ram = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  if (bytes > ram / 4 * 3) {
    char figures[96];
    std::snprintf(figures, sizeof figures, "about %.1f GiB, more than 3/4 of this machine's %.1f GiB",
                  static_cast<double>(bytes) / (1u << 30), static_cast<double>(ram) / (1u << 30));
    throw Error(what + " needs " + figures + "; " + advice);
  }
}

std::string read_file(const fs::path& path, std::uint64_t max_bytes) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error("'" + path.string() + "': no such file");
  if (fs::is_directory(path, ec)) throw Error("'" + path.string() + "' is a folder, expected a file");
  // A pipe or device has no size to check and may never end.
  if (!fs::is_regular_file(path, ec)) throw Error("'" + path.string() + "' is not a regular file");
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw Error("cannot read '" + path.string() + "': " + ec.message());
  if (size > max_bytes) {
    throw Error("'" + path.string() + "' is " + std::to_string(size) + " bytes, more than the " +
                std::to_string(max_bytes) + " accepted");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path.string() + "': " + errno_text());
  std::string bytes(static_cast<std::size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) {
    throw Error("cannot read '" + path.string() + "': it changed size while being read");
  }
  return bytes;
}

Sha256::Sha256() : context_(EVP_MD_CTX_new()) {
  if (context_ == nullptr || EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(context_), EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_));
    throw Error("SHA-256: OpenSSL could not initialise a digest");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(context_)); }

void Sha256::update(const void* data, std::size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(context_), data, size);
}

std::string Sha256::hex_digest() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(context_), digest.data(), &length);
  return hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.hex_digest();
}

std::string sha256_file_hex(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path.string() + "' to hash it");
  Sha256 hash;
  std::array<char, 1 << 16> chunk{};
  while (in) {
    in.read(chunk.data(), chunk.size());
    hash.update(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  return hash.hex_digest();
}

}  // namespace tinyae
