// The safetensors layout (see include/tinyae/safetensors.h).
//
// The reader checks, in this order: the 8-byte length is there, the header
// length is within kMaxSafetensorsHeaderBytes and within the file, the header
// is a JSON object (parse_json: depth-limited), every entry's dtype, shape and
// offsets are well-formed and agree with each other, and the offsets tile the
// byte buffer exactly. Each check works on sizes already known to be in the
// file, so a hostile length or shape is refused before anything is allocated
// for it.
#include "tinyae/safetensors.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

constexpr std::size_t kLengthBytes = 8;  // the header length field
constexpr std::size_t kHeaderAlignment = 8;
constexpr const char* kMetadataKey = "__metadata__";

// safetensors' dtype names and their element sizes.
struct DtypeSize {
  const char* name;
  std::size_t bytes;
};
constexpr DtypeSize kDtypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
    {"BF16", 2}, {"I32", 4}, {"U32", 4}, {"F32", 4},     {"F64", 8},     {"I64", 8}, {"U64", 8},
};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + ")";
}

// Element count of `shape`, or uint64 max if it exceeds `limit` (the caller
// then refuses the shape without multiplying further).
std::uint64_t element_count(const std::vector<std::int64_t>& shape, std::uint64_t limit) {
  for (const auto d : shape) {
    if (d == 0) return 0;
  }
  std::uint64_t count = 1;
  for (const auto d : shape) {
    const auto size = static_cast<std::uint64_t>(d);
    if (count > limit / size) return std::numeric_limits<std::uint64_t>::max();
    count *= size;
  }
  return count;
}

std::uint64_t read_length(std::string_view bytes) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < kLengthBytes; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  return value;
}

// One tensor entry of the header; `data` is the whole buffer after it.
SafetensorsTensor parse_entry(const std::string& tensor_name, const nlohmann::json& value, std::string_view data,
                              const std::string& name, std::uint64_t& begin_out) {
  const JsonObject entry(value, name + ": tensor \"" + printable(tensor_name) + "\"");
  entry.refuse_unknown_keys({"dtype", "shape", "data_offsets"});
  SafetensorsTensor tensor;
  tensor.name = tensor_name;
  tensor.dtype = entry.string("dtype");
  const std::size_t element_bytes = safetensors_dtype_bytes(tensor.dtype);
  if (element_bytes == 0) {
    throw Error(entry.where() + ": unknown dtype \"" + printable(tensor.dtype) + "\"; expected one of F32, I64, ...");
  }
  const auto& shape = entry.array("shape");
  if (shape.size() > kMaxSafetensorsDims) {
    throw Error(entry.where() + ": " + std::to_string(shape.size()) + " dims, at most " +
                std::to_string(kMaxSafetensorsDims) + " are read");
  }
  for (std::size_t d = 0; d < shape.size(); ++d) {
    tensor.shape.push_back(json_integer(shape[d], entry.where() + ": shape[" + std::to_string(d) + "]", 0));
  }
  const auto& offsets = entry.array("data_offsets");
  if (offsets.size() != 2) {
    throw Error(entry.where() + ": \"data_offsets\" must be [begin, end], found " + json_excerpt(offsets));
  }
  const auto begin = static_cast<std::uint64_t>(json_integer(offsets[0], entry.where() + ": data_offsets[0]", 0));
  const auto end = static_cast<std::uint64_t>(json_integer(offsets[1], entry.where() + ": data_offsets[1]", 0));
  if (end < begin) {
    throw Error(entry.where() + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                "] end before they begin");
  }
  const std::uint64_t count = element_count(tensor.shape, std::numeric_limits<std::uint64_t>::max() / element_bytes);
  if (count == std::numeric_limits<std::uint64_t>::max() || count * element_bytes != end - begin) {
    throw Error(entry.where() + ": shape " + shape_text(tensor.shape) + " of " + tensor.dtype + " needs " +
                (count == std::numeric_limits<std::uint64_t>::max() ? std::string("more than 2^64")
                                                                    : std::to_string(count * element_bytes)) +
                " bytes, data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] hold " +
                std::to_string(end - begin));
  }
  if (end > data.size()) {
    throw Error(name + ": truncated: tensor \"" + printable(tensor_name) + "\" ends at byte " + std::to_string(end) +
                " of the data, which has " + std::to_string(data.size()) + " bytes");
  }
  tensor.data = data.substr(begin, end - begin);
  begin_out = begin;
  return tensor;
}

std::map<std::string, std::string> parse_metadata(const nlohmann::json& value, const std::string& name) {
  const JsonObject object(value, name + ": " + kMetadataKey);
  std::map<std::string, std::string> metadata;
  for (const auto& item : value.items()) metadata[item.key()] = object.string(item.key());
  return metadata;
}

}  // namespace

std::size_t safetensors_dtype_bytes(std::string_view dtype) {
  for (const auto& entry : kDtypes) {
    if (dtype == entry.name) return entry.bytes;
  }
  return 0;
}

std::string write_safetensors(const std::vector<SafetensorsTensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  std::uint64_t offset = 0;
  for (const SafetensorsTensor& tensor : tensors) {
    const std::string what = "safetensors: tensor \"" + printable(tensor.name) + "\"";
    if (tensor.name == kMetadataKey || header.contains(tensor.name)) throw Error(what + ": duplicate or reserved name");
    const std::size_t element_bytes = safetensors_dtype_bytes(tensor.dtype);
    if (element_bytes == 0) throw Error(what + ": unknown dtype \"" + printable(tensor.dtype) + "\"");
    const std::uint64_t count = element_count(tensor.shape, std::numeric_limits<std::uint64_t>::max() / element_bytes);
    if (count * element_bytes != tensor.data.size()) {
      throw Error(what + ": shape " + shape_text(tensor.shape) + " of " + tensor.dtype + " needs " +
                  std::to_string(count * element_bytes) + " bytes, " + std::to_string(tensor.data.size()) + " given");
    }
    header[tensor.name] = {
        {"dtype", tensor.dtype}, {"shape", tensor.shape}, {"data_offsets", {offset, offset + tensor.data.size()}}};
    offset += tensor.data.size();
  }
  std::string text = header.dump();
  // Spaces up to a multiple of 8, as the reference writer pads, so that the
  // tensors start aligned for readers that map the file.
  text.append((kHeaderAlignment - text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');

  std::string out;
  out.reserve(kLengthBytes + text.size() + offset);
  for (std::size_t i = 0; i < kLengthBytes; ++i) out.push_back(static_cast<char>((text.size() >> (8 * i)) & 0xff));
  out += text;
  for (const SafetensorsTensor& tensor : tensors) out += tensor.data;
  return out;
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name) {
  // 1. The header's length and the header itself, both within the file.
  if (bytes.size() < kLengthBytes) {
    throw Error(name + ": truncated: expected at least " + std::to_string(kLengthBytes) +
                " bytes (the header length), file has " + std::to_string(bytes.size()));
  }
  const std::uint64_t header_bytes = read_length(bytes);
  if (header_bytes < 2 || header_bytes > kMaxSafetensorsHeaderBytes) {
    throw Error(name + ": not a safetensors file, or a corrupted one: header length " + std::to_string(header_bytes) +
                " (first bytes \"" + printable(bytes.substr(0, kLengthBytes)) + "\") is outside [2, " +
                std::to_string(kMaxSafetensorsHeaderBytes) + "]");
  }
  if (header_bytes > bytes.size() - kLengthBytes) {
    throw Error(name + ": truncated: expected a header of " + std::to_string(header_bytes) + " bytes, file has " +
                std::to_string(bytes.size() - kLengthBytes) + " after the header length");
  }
  const std::string_view text = bytes.substr(kLengthBytes, header_bytes);
  if (text.front() != '{') {
    throw Error(name + ": header must be a JSON object starting with '{', found \"" + printable(text.substr(0, 8)) +
                "\": not a safetensors file");
  }
  const nlohmann::json header = parse_json(text, name + ": safetensors header");
  const JsonObject object(header, name + ": safetensors header");

  // 2. Every entry, checked against the bytes after the header.
  SafetensorsFile file;
  file.data = bytes.substr(kLengthBytes + header_bytes);
  std::vector<std::pair<std::uint64_t, SafetensorsTensor>> by_offset;  // (begin, tensor)
  for (const auto& item : object.json().items()) {
    if (item.key() == kMetadataKey) {
      file.metadata = parse_metadata(item.value(), name);
      continue;
    }
    std::uint64_t begin = 0;
    SafetensorsTensor tensor = parse_entry(item.key(), item.value(), file.data, name, begin);
    by_offset.emplace_back(begin, std::move(tensor));
  }

  // 3. The offsets tile the buffer: in order, no overlap, no hole, no tail.
  std::stable_sort(by_offset.begin(), by_offset.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : a.second.data.size() < b.second.data.size();
  });
  std::uint64_t expected_begin = 0;
  for (auto& [begin, tensor] : by_offset) {
    if (begin != expected_begin) {
      throw Error(name + ": tensor \"" + printable(tensor.name) + "\" begins at byte " + std::to_string(begin) +
                  " of the data, expected " + std::to_string(expected_begin) +
                  (begin > expected_begin ? " (a hole)" : " (overlapping the previous tensor)"));
    }
    expected_begin = begin + tensor.data.size();
    file.tensors.push_back(std::move(tensor));
  }
  if (expected_begin != file.data.size()) {
    throw Error(name + ": " + std::to_string(file.data.size() - expected_begin) +
                " unexpected bytes after the last tensor: expected " + std::to_string(expected_begin) +
                " bytes of data, file has " + std::to_string(file.data.size()));
  }
  return file;
}

}  // namespace tinyae
