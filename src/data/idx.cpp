// IDX reader for raw and gzip-compressed files.
//
// The header is read and checked before anything is allocated, so a file that
// claims billions of images is refused at once; then exactly the announced
// number of bytes must follow, and nothing after them.
#include <zlib.h>

#include <cstring>
#include <functional>
#include <sstream>

#include "tinyae/common.h"
#include "tinyae/data.h"

namespace tinyae {
namespace {

// Reads up to n bytes into dst; returns how many were read (0 at the end).
using ReadFn = std::function<std::size_t(std::uint8_t* dst, std::size_t n)>;

std::string hex32(std::uint32_t v) {
  char text[11];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

std::string describe_magic(std::uint32_t magic) {
  if ((magic >> 16) != 0) return "not an IDX file";
  const unsigned type = (magic >> 8) & 0xff;
  const unsigned dims = magic & 0xff;
  std::string name = type == 0x08   ? "uint8"
                     : type == 0x09 ? "int8"
                     : type == 0x0B ? "int16"
                     : type == 0x0C ? "int32"
                     : type == 0x0D ? "float32"
                     : type == 0x0E ? "float64"
                                    : "unknown type " + hex32(type);
  return name + ", " + std::to_string(dims) + " dimension" + (dims == 1 ? "" : "s");
}

std::string join_dims(const std::vector<std::uint32_t>& dims) {
  std::ostringstream out;
  for (std::size_t i = 0; i < dims.size(); ++i) out << (i ? " x " : "") << dims[i];
  return out.str();
}

// Reads exactly n bytes or reports how many there were.
std::size_t read_fully(const ReadFn& read, std::uint8_t* dst, std::size_t n) {
  std::size_t done = 0;
  while (done < n) {
    const std::size_t got = read(dst + done, n - done);
    if (got == 0) break;
    done += got;
  }
  return done;
}

std::uint32_t big_endian32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

IdxArray parse_idx_stream(const ReadFn& read, std::uint32_t expected_magic, std::string_view name) {
  const std::string file(name);
  std::uint8_t word[4];
  if (read_fully(read, word, 4) != 4) {
    throw Error(file + ": not an IDX file: too short for the 4-byte magic number (empty or truncated file)");
  }
  const std::uint32_t magic = big_endian32(word);
  if (magic != expected_magic) {
    throw Error(file + ": wrong IDX magic " + hex32(magic) + " (" + describe_magic(magic) + "), expected " +
                hex32(expected_magic) + " (" + describe_magic(expected_magic) + ")");
  }
  IdxArray array;
  const unsigned ndims = expected_magic & 0xff;
  std::uint64_t payload = 1;
  for (unsigned d = 0; d < ndims; ++d) {
    if (read_fully(read, word, 4) != 4) {
      throw Error(file + ": truncated IDX header: expected " + std::to_string(ndims) + " dimensions, found " +
                  std::to_string(d));
    }
    const std::uint32_t size = big_endian32(word);
    if (size == 0) throw Error(file + ": IDX dimension " + std::to_string(d) + " is 0: the file holds no data");
    payload *= size;  // cannot overflow: checked against the limit after every factor
    if (payload > kMaxIdxPayloadBytes) {
      throw Error(file + ": IDX header announces more than " + std::to_string(kMaxIdxPayloadBytes) +
                  " bytes of data (dimensions so far: " + join_dims(array.dims) + (d ? " x " : "") +
                  std::to_string(size) + "); refusing to allocate it");
    }
    array.dims.push_back(size);
  }
  // The buffer grows as data arrives, in chunks of at most kReadChunkBytes:
  // a short file claiming a huge payload costs what it holds, not what it
  // claims (an 18-byte header announcing 537 MB must not allocate 537 MB).
  constexpr std::size_t kReadChunkBytes = std::size_t{1} << 20;
  std::size_t got = 0;
  while (got < payload) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(payload - got, kReadChunkBytes));
    if (array.data.capacity() < got + want) {
      array.data.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(payload, 2 * (got + want))));
    }
    array.data.resize(got + want);
    const std::size_t n = read_fully(read, array.data.data() + got, want);
    got += n;
    if (n < want) break;
  }
  if (got != payload) {
    throw Error(file + ": truncated: the header (" + join_dims(array.dims) + ") announces " + std::to_string(payload) +
                " bytes of data, the file has " + std::to_string(got));
  }
  std::uint8_t extra[1];
  if (read(extra, 1) != 0) {
    throw Error(file + ": corrupt: more data than the header (" + join_dims(array.dims) + ") announces (" +
                std::to_string(payload) + " bytes)");
  }
  return array;
}

}  // namespace

IdxArray parse_idx(std::string_view bytes, std::uint32_t expected_magic, std::string_view name) {
  std::size_t offset = 0;
  const ReadFn read = [&](std::uint8_t* dst, std::size_t n) {
    const std::size_t take = std::min(n, bytes.size() - offset);
    std::memcpy(dst, bytes.data() + offset, take);
    offset += take;
    return take;
  };
  return parse_idx_stream(read, expected_magic, name);
}

IdxArray read_idx_file(const std::filesystem::path& path, std::uint32_t expected_magic) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Error(path.string() + ": " + (std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"));
  }
  // gzopen reads gzip-compressed and plain files alike.
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) throw Error(path.string() + ": cannot open: " + std::strerror(errno));
  gzbuffer(gz, 1 << 17);
  const ReadFn read = [&](std::uint8_t* dst, std::size_t n) -> std::size_t {
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n, 1u << 30));
    const int got = gzread(gz, dst, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(gz, &code);
      throw Error(path.string() + ": corrupt gzip data: " + (message ? message : "unknown zlib error"));
    }
    return static_cast<std::size_t>(got);
  };
  try {
    IdxArray array = parse_idx_stream(read, expected_magic, path.string());
    gzclose(gz);
    return array;
  } catch (...) {
    gzclose(gz);
    throw;
  }
}

}  // namespace tinyae
