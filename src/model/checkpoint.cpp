// Checkpoint files (RUN/model.pt): the model, the Adamax state and the run's
// metadata in a format of our own, so that the loader can be fuzzed and can
// refuse a foreign, truncated or corrupted file before using any of it.
//
// Byte layout, all integers little-endian:
//   offset      size  field
//   0           8     magic "TINYAEC\0"
//   8           4     uint32 format version (kCheckpointFormatVersion = 1)
//   12          8     uint64 file size in bytes, this header and the hash included
//   20          8     uint64 metadata length L (<= kMaxCheckpointMetaBytes)
//   28          L     metadata, UTF-8 JSON (see meta_to_json)
//   28+L        4     uint32 tensor count
//   then per tensor:
//               2     uint16 name length n
//               n     name, e.g. "encoder.0.weight", "exp_avg.0"
//               1     uint8 ndim (<= kMaxDims)
//               8*ndim int64 dims
//               4*prod(dims)  float32 data, row-major
//   size-32     32    SHA-256 of every byte before it
//
// The loader checks, in this order: magic, version (so a newer layout is
// named as such), declared size against the real size (truncation), the
// SHA-256 (corruption), and only then parses the metadata and the tensors,
// still bounds-checking every length (a hostile file can carry a valid hash)
// and comparing every tensor against the shapes the model config implies
// before building the model.
#include "tinyae/checkpoint.h"

#include <cstring>
#include <mutex>
#include <set>
#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "json_excerpt.h"
#include "tinyae/common.h"

namespace tinyae {
namespace {

constexpr char kMagic[] = {'T', 'I', 'N', 'Y', 'A', 'E', 'C', '\0'};
constexpr std::size_t kMagicBytes = sizeof(kMagic);
constexpr std::size_t kHeaderBytes = kMagicBytes + 4 + 8 + 8;  // magic, version, file size, metadata length
constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kMaxDims = 8;

// ---------------------------------------------------------------- helpers

// A byte string as a reader can see it in a message: printable ASCII as is,
// everything else as \xNN, and no more than the first 80 bytes.
std::string printable(std::string_view bytes) {
  constexpr std::size_t kMaxShown = 80;
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (const char c : bytes.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      text += c;
    } else {
      text += "\\x";
      text += kHex[byte >> 4];
      text += kHex[byte & 15];
    }
  }
  if (bytes.size() > kMaxShown) text += "... (" + std::to_string(bytes.size()) + " bytes)";
  return text;
}

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + ")";
}

std::vector<std::int64_t> shape_of(const torch::Tensor& t) { return t.sizes().vec(); }

std::string hex_to_bytes(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

// The optimizer tensors of parameter i.
std::string exp_avg_name(std::size_t i) { return "exp_avg." + std::to_string(i); }
std::string exp_inf_name(std::size_t i) { return "exp_inf." + std::to_string(i); }

// Restores torch's global CPU generator when it goes out of scope: building
// a model draws initial weights from it, which loading must not disturb.
class GlobalGeneratorStateGuard {
 public:
  GlobalGeneratorStateGuard() : generator_(at::detail::getDefaultCPUGenerator()) {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    state_ = generator_.get_state();
  }
  ~GlobalGeneratorStateGuard() {
    std::lock_guard<std::mutex> lock(generator_.mutex());
    generator_.set_state(state_);
  }
  GlobalGeneratorStateGuard(const GlobalGeneratorStateGuard&) = delete;
  GlobalGeneratorStateGuard& operator=(const GlobalGeneratorStateGuard&) = delete;

 private:
  at::Generator generator_;
  torch::Tensor state_;  // (5056) uint8, the mt19937 state
};

// ---------------------------------------------------------------- writing

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void put_tensor(std::string& out, const std::string& name, const torch::Tensor& tensor) {
  if (tensor.scalar_type() != torch::kFloat32) {
    throw Error("checkpoint: tensor \"" + name + "\" must be float32, found " +
                std::string(c10::toString(tensor.scalar_type())));
  }
  if (name.size() > 0xffff) throw Error("checkpoint: tensor name longer than 65535 bytes: " + name);
  if (static_cast<std::size_t>(tensor.dim()) > kMaxDims) {
    throw Error("checkpoint: tensor \"" + name + "\" has " + std::to_string(tensor.dim()) + " dims, at most " +
                std::to_string(kMaxDims) + " are stored");
  }
  put_le(out, name.size(), 2);
  out += name;
  put_le(out, static_cast<std::uint64_t>(tensor.dim()), 1);
  for (const auto size : tensor.sizes()) put_le(out, static_cast<std::uint64_t>(size), 8);
  const torch::Tensor data = tensor.detach().to(torch::kCPU).contiguous();  // row-major copy if needed
  const float* values = data.data_ptr<float>();
  const auto count = static_cast<std::size_t>(data.numel());
  out.reserve(out.size() + 4 * count);
  for (std::size_t i = 0; i < count; ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &values[i], sizeof bits);  // float32 as its IEEE-754 bit pattern
    put_le(out, bits, 4);
  }
}

nlohmann::json meta_to_json(const CheckpointMeta& meta, const Adamax* optimizer,
                            const std::vector<std::int64_t>& steps) {
  nlohmann::json optimizer_json = nullptr;
  if (optimizer != nullptr) {
    const auto& options = static_cast<const AdamaxOptions&>(optimizer->defaults());
    optimizer_json = {{"name", "adamax"},
                      {"lr", options.lr()},
                      {"beta1", options.beta1()},
                      {"beta2", options.beta2()},
                      {"eps", options.eps()},
                      {"weight_decay", options.weight_decay()},
                      {"steps", steps}};
  }
  return {{"model", meta.model.to_json()},
          {"train_options", meta.options.to_json()},
          {"epoch", meta.epoch},
          {"data_checksum", meta.data_checksum},
          {"tool_version", meta.tool_version},
          {"torch_version", meta.torch_version},
          {"history", meta.history},
          {"optimizer", optimizer_json}};
}

// ---------------------------------------------------------------- reading

// Reads the body of a checkpoint whose size and hash have been checked;
// every length is still bounds-checked against `end` (the hash's offset).
class BodyReader {
 public:
  BodyReader(std::string_view bytes, std::string_view name, std::size_t begin, std::size_t end)
      : bytes_(bytes), name_(name), pos_(begin), end_(end) {}

  std::uint64_t le(int count, const std::string& what) {
    require(static_cast<std::uint64_t>(count), what);
    std::uint64_t value = 0;
    for (int i = 0; i < count; ++i) {
      value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
    }
    pos_ += static_cast<std::size_t>(count);
    return value;
  }

  std::string_view take(std::uint64_t count, const std::string& what) {
    require(count, what);
    const auto view = bytes_.substr(pos_, static_cast<std::size_t>(count));
    pos_ += static_cast<std::size_t>(count);
    return view;
  }

  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return end_ - pos_; }

 private:
  void require(std::uint64_t count, const std::string& what) const {
    if (count > end_ - pos_) {
      throw Error(std::string(name_) + ": malformed checkpoint: " + what + " needs " + std::to_string(count) +
                  " bytes at offset " + std::to_string(pos_) + ", only " + std::to_string(end_ - pos_) +
                  " remain before the checksum");
    }
  }

  std::string_view bytes_;
  std::string_view name_;
  std::size_t pos_;
  std::size_t end_;
};

std::uint64_t read_le(std::string_view bytes, std::size_t offset, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) {
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

// Magic, version, declared size and hash; throws with the first problem.
void check_envelope(std::string_view bytes, const std::string& name) {
  const std::string_view magic(kMagic, kMagicBytes);
  if (bytes.empty()) throw Error(name + ": empty file, not a tinyae checkpoint");
  const auto prefix = bytes.substr(0, kMagicBytes);
  if (prefix != magic.substr(0, prefix.size())) {
    std::string hint;
    if (bytes.substr(0, 4) == std::string_view("PK\x03\x04", 4)) {
      hint = "; this is a zip archive, as torch::save writes, not a tinyae checkpoint";
    }
    throw Error(name + ": not a tinyae checkpoint (magic \"" + printable(magic) + "\" expected, found \"" +
                printable(prefix) + "\"" + hint + ")");
  }
  // The smallest file: the header, a tensor count and the hash.
  const auto truncated_header = [&] {
    return Error(name + ": truncated: expected at least " + std::to_string(kHeaderBytes + 4 + kHashBytes) +
                 " bytes, file has " + std::to_string(bytes.size()));
  };
  if (bytes.size() < kMagicBytes + 4) throw truncated_header();
  const auto version = read_le(bytes, kMagicBytes, 4);
  if (version > kCheckpointFormatVersion) {
    throw Error(name + ": written by a newer tinyae: version " + std::to_string(version) + ", this reads " +
                std::to_string(kCheckpointFormatVersion));
  }
  if (version != kCheckpointFormatVersion) {
    throw Error(name + ": unsupported checkpoint format version " + std::to_string(version) + ", this reads " +
                std::to_string(kCheckpointFormatVersion));
  }
  if (bytes.size() < kMagicBytes + 4 + 8) throw truncated_header();
  const auto declared = read_le(bytes, kMagicBytes + 4, 8);
  if (declared < kHeaderBytes + 4 + kHashBytes || declared > kMaxCheckpointBytes) {
    throw Error(name + ": malformed checkpoint: declared size " + std::to_string(declared) + " bytes is outside [" +
                std::to_string(kHeaderBytes + 4 + kHashBytes) + ", " + std::to_string(kMaxCheckpointBytes) + "]");
  }
  if (bytes.size() < declared) {
    throw Error(name + ": truncated: expected " + std::to_string(declared) + " bytes, file has " +
                std::to_string(bytes.size()));
  }
  if (bytes.size() > declared) {
    throw Error(name + ": " + std::to_string(bytes.size() - declared) +
                " unexpected bytes after the end of the checkpoint: expected " + std::to_string(declared) +
                " bytes, file has " + std::to_string(bytes.size()));
  }
  const auto body = bytes.substr(0, bytes.size() - kHashBytes);
  const auto stored = bytes.substr(bytes.size() - kHashBytes);
  const std::string computed = hex_to_bytes(sha256_hex(body));
  if (stored != computed) {
    std::string stored_hex;
    for (const char c : stored) {
      static const char kHex[] = "0123456789abcdef";
      stored_hex += kHex[static_cast<unsigned char>(c) >> 4];
      stored_hex += kHex[static_cast<unsigned char>(c) & 15];
    }
    throw Error(name + ": checksum mismatch: the file is corrupted (SHA-256 stored " + stored_hex + ", computed " +
                sha256_hex(body) + ")");
  }
}

// The JSON value of a required key of `object`, with its expected kind.
const nlohmann::json& require_key(const nlohmann::json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw Error(where + ": missing key \"" + key + "\"");
  return *it;
}

std::string require_string(const nlohmann::json& object, const char* key, const std::string& where) {
  const auto& value = require_key(object, key, where);
  if (!value.is_string())
    throw Error(where + ": \"" + key + "\" must be a string, found " + detail::json_excerpt(value));
  return value.get<std::string>();
}

double require_number(const nlohmann::json& object, const char* key, const std::string& where) {
  const auto& value = require_key(object, key, where);
  if (!value.is_number())
    throw Error(where + ": \"" + key + "\" must be a number, found " + detail::json_excerpt(value));
  return value.get<double>();
}

void refuse_unknown_keys(const nlohmann::json& object, const std::set<std::string>& known, const std::string& where) {
  for (const auto& item : object.items()) {
    if (known.count(item.key()) == 0) throw Error(where + ": unknown key \"" + printable(item.key()) + "\"");
  }
}

struct ParsedMeta {
  CheckpointMeta meta;
  bool has_optimizer = false;
  AdamaxOptions optimizer_options;
  std::vector<std::int64_t> optimizer_steps;
};

ParsedMeta parse_meta(std::string_view text, const std::string& name) {
  const std::string where = name + ": metadata";
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + " is not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(where + ": expected a JSON object, found " + std::string(j.type_name()));
  refuse_unknown_keys(
      j, {"model", "train_options", "epoch", "data_checksum", "tool_version", "torch_version", "history", "optimizer"},
      where);
  ParsedMeta parsed;
  CheckpointMeta& meta = parsed.meta;
  // ModelConfig and TrainOptions say what is wrong but not where; add the file.
  try {
    meta.model = ModelConfig::from_json(require_key(j, "model", where));
    meta.options = TrainOptions::from_json(require_key(j, "train_options", where));
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  const auto& epoch = require_key(j, "epoch", where);
  if (!epoch.is_number_integer() || epoch.get<std::int64_t>() < 0) {
    throw Error(where + ": \"epoch\" must be an integer >= 0, found " + detail::json_excerpt(epoch));
  }
  meta.epoch = epoch.get<std::int64_t>();
  meta.data_checksum = require_string(j, "data_checksum", where);
  meta.tool_version = require_string(j, "tool_version", where);
  meta.torch_version = require_string(j, "torch_version", where);

  // History rows are flat objects of scalars (a NaN loss is stored as null);
  // refusing anything deeper keeps hostile nesting out of code that later
  // walks or dumps it.
  const auto& history = require_key(j, "history", where);
  if (!history.is_array())
    throw Error(where + ": \"history\" must be an array, found " + detail::json_excerpt(history));
  for (const auto& row : history) {
    if (!row.is_object())
      throw Error(where + ": each history row must be an object, found " + detail::json_excerpt(row));
    for (const auto& item : row.items()) {
      if (item.value().is_structured()) {
        throw Error(where + ": history values must be numbers, strings, booleans or null, found " +
                    detail::json_excerpt(item.value()));
      }
    }
  }
  meta.history = history;

  const auto& optimizer = require_key(j, "optimizer", where);
  if (!optimizer.is_null()) {
    const std::string owhere = where + " \"optimizer\"";
    if (!optimizer.is_object())
      throw Error(owhere + ": expected an object or null, found " + detail::json_excerpt(optimizer));
    refuse_unknown_keys(optimizer, {"name", "lr", "beta1", "beta2", "eps", "weight_decay", "steps"}, owhere);
    const auto optimizer_name = require_string(optimizer, "name", owhere);
    if (optimizer_name != "adamax") {
      throw Error(owhere + ": expected name \"adamax\", found \"" + printable(optimizer_name) + "\"");
    }
    AdamaxOptions options;
    options.lr(require_number(optimizer, "lr", owhere));
    options.beta1(require_number(optimizer, "beta1", owhere));
    options.beta2(require_number(optimizer, "beta2", owhere));
    options.eps(require_number(optimizer, "eps", owhere));
    options.weight_decay(require_number(optimizer, "weight_decay", owhere));
    try {
      validate(options);
    } catch (const Error& e) {
      throw Error(owhere + ": " + e.what());
    }
    const auto& steps = require_key(optimizer, "steps", owhere);
    if (!steps.is_array()) throw Error(owhere + ": \"steps\" must be an array, found " + detail::json_excerpt(steps));
    const auto parameter_count = meta.model.parameter_shapes().size();
    if (steps.size() != parameter_count) {
      throw Error(owhere + ": expected " + std::to_string(parameter_count) +
                  " step counts (one per model parameter), found " + std::to_string(steps.size()));
    }
    for (const auto& step : steps) {
      if (!step.is_number_integer() || step.get<std::int64_t>() < 0) {
        throw Error(owhere + ": each step count must be an integer >= 0, found " + detail::json_excerpt(step));
      }
      parsed.optimizer_steps.push_back(step.get<std::int64_t>());
    }
    parsed.has_optimizer = true;
    parsed.optimizer_options = options;
  }
  return parsed;
}

torch::Tensor read_tensor_data(BodyReader& reader, const std::string& tensor_name,
                               const std::vector<std::int64_t>& shape, std::uint64_t count) {
  const auto data = reader.take(count * 4, "data of tensor \"" + tensor_name + "\"");
  torch::Tensor tensor = torch::empty(shape, torch::kFloat32);  // shape, row-major
  float* values = tensor.data_ptr<float>();
  for (std::uint64_t i = 0; i < count; ++i) {
    std::uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) {
      bits |= static_cast<std::uint32_t>(static_cast<unsigned char>(data[4 * i + b])) << (8 * b);
    }
    std::memcpy(&values[i], &bits, sizeof bits);
  }
  return tensor;
}

}  // namespace

// ---------------------------------------------------------------- TrainOptions / meta

nlohmann::json TrainOptions::to_json() const {
  return {{"epochs", epochs}, {"batch_size", batch_size}, {"lr", lr},
          {"seed", seed},     {"threads", threads},       {"train_limit", train_limit}};
}

TrainOptions TrainOptions::from_json(const nlohmann::json& j) {
  const std::string where = "train options";
  if (!j.is_object()) throw Error(where + ": expected a JSON object, found " + detail::json_excerpt(j));
  refuse_unknown_keys(j, {"epochs", "batch_size", "lr", "seed", "threads", "train_limit"}, where);
  const auto integer = [&](const char* key, std::int64_t minimum) {
    const auto& value = require_key(j, key, where);
    if (!value.is_number_integer() || (value.is_number_unsigned() && value.get<std::uint64_t>() > INT64_MAX) ||
        value.get<std::int64_t>() < minimum) {
      throw Error(where + ": \"" + key + "\" must be an integer >= " + std::to_string(minimum) + ", found " +
                  detail::json_excerpt(value));
    }
    return value.get<std::int64_t>();
  };
  TrainOptions options;
  options.epochs = integer("epochs", 0);
  options.batch_size = integer("batch_size", 1);
  options.lr = require_number(j, "lr", where);
  if (!(options.lr >= 0)) throw Error(where + ": \"lr\" must be >= 0, found " + require_key(j, "lr", where).dump());
  const auto& seed = require_key(j, "seed", where);
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<std::int64_t>() >= 0)) {
    throw Error(where + ": \"seed\" must be an unsigned integer, found " + detail::json_excerpt(seed));
  }
  options.seed = seed.get<std::uint64_t>();
  const auto threads = integer("threads", 0);
  if (threads > 4096) throw Error(where + ": \"threads\" must be <= 4096, found " + std::to_string(threads));
  options.threads = static_cast<int>(threads);
  options.train_limit = integer("train_limit", 0);
  return options;
}

bool TrainOptions::operator==(const TrainOptions& other) const {
  return epochs == other.epochs && batch_size == other.batch_size && lr == other.lr && seed == other.seed &&
         threads == other.threads && train_limit == other.train_limit;
}

bool CheckpointMeta::operator==(const CheckpointMeta& other) const {
  return model == other.model && options == other.options && epoch == other.epoch &&
         data_checksum == other.data_checksum && tool_version == other.tool_version &&
         torch_version == other.torch_version && history == other.history;
}

// ---------------------------------------------------------------- save

std::string serialize_checkpoint(const CheckpointMeta& meta, Autoencoder& model, const Adamax* optimizer) {
  if (meta.model != model->config()) {
    throw Error("checkpoint: meta.model " + meta.model.to_json().dump() + " differs from the model's config " +
                model->config().to_json().dump());
  }
  const auto named = model->named_parameters(/*recurse=*/true);
  const auto parameters = model->parameters();

  // Optimizer state per parameter index; step 0 = none yet.
  std::vector<std::int64_t> steps;
  std::vector<const AdamaxParamState*> states;
  if (optimizer != nullptr) {
    const auto optimized = optimizer->all_parameters();
    if (optimized.size() != parameters.size()) {
      throw Error("checkpoint: the optimizer holds " + std::to_string(optimized.size()) +
                  " parameters, the model has " + std::to_string(parameters.size()));
    }
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      // State is keyed by tensor identity, so it is only meaningful for the
      // model's own parameters.
      if (!optimized[i].is_same(parameters[i])) {
        throw Error("checkpoint: optimizer parameter " + std::to_string(i) + " is not the model's parameter \"" +
                    named.keys()[i] + "\"");
      }
      const AdamaxParamState* state = optimizer->state_of(parameters[i]);
      states.push_back(state);
      steps.push_back(state == nullptr ? 0 : state->step());
    }
  }

  std::string out;
  out.append(kMagic, kMagicBytes);
  put_le(out, kCheckpointFormatVersion, 4);
  const std::size_t size_offset = out.size();
  put_le(out, 0, 8);  // file size, patched below
  const std::string json = meta_to_json(meta, optimizer, steps).dump();
  put_le(out, json.size(), 8);
  out += json;

  std::uint64_t tensor_count = named.size();
  for (const auto step : steps) tensor_count += step > 0 ? 2 : 0;
  put_le(out, tensor_count, 4);
  for (const auto& item : named) put_tensor(out, item.key(), item.value());
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (states[i] == nullptr) continue;
    put_tensor(out, exp_avg_name(i), states[i]->exp_avg());
    put_tensor(out, exp_inf_name(i), states[i]->exp_inf());
  }

  const std::uint64_t file_size = out.size() + kHashBytes;
  for (int i = 0; i < 8; ++i) out[size_offset + i] = static_cast<char>((file_size >> (8 * i)) & 0xff);
  out += hex_to_bytes(sha256_hex(out));
  return out;
}

void save_checkpoint(const std::filesystem::path& path, const CheckpointMeta& meta, Autoencoder& model,
                     const Adamax* optimizer) {
  write_file_atomically(path, serialize_checkpoint(meta, model, optimizer));
}

// ---------------------------------------------------------------- load

Checkpoint parse_checkpoint(std::string_view bytes, std::string_view name_view) {
  const std::string name(name_view);
  if (bytes.size() > kMaxCheckpointBytes) {
    throw Error(name + ": " + std::to_string(bytes.size()) + " bytes is larger than the " +
                std::to_string(kMaxCheckpointBytes) + " bytes a checkpoint may have");
  }
  check_envelope(bytes, name);

  BodyReader reader(bytes, name, kMagicBytes + 4 + 8, bytes.size() - kHashBytes);
  const auto meta_length = reader.le(8, "metadata length");
  if (meta_length > kMaxCheckpointMetaBytes) {
    throw Error(name + ": malformed checkpoint: metadata length " + std::to_string(meta_length) +
                " exceeds the limit of " + std::to_string(kMaxCheckpointMetaBytes) + " bytes");
  }
  ParsedMeta parsed = parse_meta(reader.take(meta_length, "metadata"), name);
  const ModelConfig& config = parsed.meta.model;

  // Every tensor the file must hold, with its shape, before allocating any.
  std::map<std::string, std::vector<std::int64_t>> expected;
  const auto parameter_shapes = config.parameter_shapes();
  for (const auto& parameter : parameter_shapes) expected[parameter.name] = parameter.shape;
  for (std::size_t i = 0; i < parsed.optimizer_steps.size(); ++i) {
    if (parsed.optimizer_steps[i] == 0) continue;
    expected[exp_avg_name(i)] = parameter_shapes[i].shape;
    expected[exp_inf_name(i)] = parameter_shapes[i].shape;
  }

  const auto tensor_count = reader.le(4, "tensor count");
  if (tensor_count != expected.size()) {
    throw Error(name + ": expected " + std::to_string(expected.size()) + " tensors for model " + config.describe() +
                (parsed.has_optimizer ? " with optimizer state" : "") + ", found " + std::to_string(tensor_count));
  }
  std::map<std::string, torch::Tensor> tensors;
  for (std::uint64_t t = 0; t < tensor_count; ++t) {
    const std::string what = "tensor " + std::to_string(t);
    const auto name_length = reader.le(2, what + " name length");
    const std::string tensor_name(reader.take(name_length, what + " name"));
    const auto it = expected.find(tensor_name);
    if (it == expected.end()) {
      throw Error(name + ": unexpected tensor \"" + printable(tensor_name) + "\" for model " + config.describe());
    }
    if (tensors.count(tensor_name) != 0) {
      throw Error(name + ": tensor \"" + tensor_name + "\" appears twice");
    }
    const auto ndim = reader.le(1, "dims of tensor \"" + tensor_name + "\"");
    if (ndim > kMaxDims) {
      throw Error(name + ": tensor \"" + tensor_name + "\" has " + std::to_string(ndim) + " dims, at most " +
                  std::to_string(kMaxDims) + " are allowed");
    }
    std::vector<std::int64_t> shape;
    for (std::uint64_t d = 0; d < ndim; ++d) {
      shape.push_back(static_cast<std::int64_t>(reader.le(8, "shape of tensor \"" + tensor_name + "\"")));
    }
    // The shape must be the expected one; since expected shapes come from a
    // validated config (sizes <= 65535), the element count cannot overflow.
    if (shape != it->second) {
      throw Error(name + ": tensor \"" + tensor_name + "\" has shape " + shape_text(shape) + ", expected " +
                  shape_text(it->second) + " for model " + config.describe());
    }
    std::uint64_t count = 1;
    for (const auto size : shape) count *= static_cast<std::uint64_t>(size);
    if (count * 4 > reader.remaining()) {
      throw Error(name + ": malformed checkpoint: data of tensor \"" + tensor_name + "\" needs " +
                  std::to_string(count * 4) + " bytes at offset " + std::to_string(reader.position()) + ", only " +
                  std::to_string(reader.remaining()) + " remain before the checksum");
    }
    tensors[tensor_name] = read_tensor_data(reader, tensor_name, shape, count);
  }
  if (reader.remaining() != 0) {
    throw Error(name + ": malformed checkpoint: " + std::to_string(reader.remaining()) +
                " unexpected bytes after the last tensor");
  }
  // The count matched and no name repeated or was unknown, so every expected
  // tensor is present.

  Checkpoint checkpoint;
  checkpoint.meta = std::move(parsed.meta);
  {
    GlobalGeneratorStateGuard keep_generator;
    checkpoint.model = Autoencoder(checkpoint.meta.model);
  }
  torch::NoGradGuard no_grad;
  for (auto& item : checkpoint.model->named_parameters(/*recurse=*/true)) {
    const auto found = tensors.find(item.key());
    if (found == tensors.end() || shape_of(found->second) != shape_of(item.value())) {
      // parameter_shapes() and the module disagree: a bug here, not in the file.
      throw Error(name + ": internal error: model parameter \"" + item.key() + "\" " +
                  shape_text(shape_of(item.value())) + " does not match ModelConfig::parameter_shapes()");
    }
    item.value().copy_(found->second);
  }
  for (std::size_t i = 0; i < parsed.optimizer_steps.size(); ++i) {
    if (parsed.optimizer_steps[i] == 0) continue;
    checkpoint.optimizer_state[exp_avg_name(i)] = tensors.at(exp_avg_name(i));
    checkpoint.optimizer_state[exp_inf_name(i)] = tensors.at(exp_inf_name(i));
  }
  checkpoint.optimizer_steps = std::move(parsed.optimizer_steps);
  checkpoint.optimizer_options = parsed.optimizer_options;
  checkpoint.sha256 = sha256_hex(bytes);
  return checkpoint;
}

Checkpoint load_checkpoint(const std::filesystem::path& path) {
  const std::string bytes = read_file(path, kMaxCheckpointBytes);
  return parse_checkpoint(bytes, path.string());
}

// ---------------------------------------------------------------- optimizer

void restore_optimizer(const Checkpoint& checkpoint, Adamax& optimizer) {
  if (!checkpoint.has_optimizer()) {
    throw Error("restore_optimizer: the checkpoint holds no optimizer state (saved without an optimizer)");
  }
  const auto parameters = optimizer.all_parameters();
  if (parameters.size() != checkpoint.optimizer_steps.size()) {
    throw Error("restore_optimizer: the checkpoint has state for " + std::to_string(checkpoint.optimizer_steps.size()) +
                " parameters, the optimizer holds " + std::to_string(parameters.size()));
  }
  // Check everything before changing anything.
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (checkpoint.optimizer_steps[i] == 0) continue;
    for (const auto& key : {exp_avg_name(i), exp_inf_name(i)}) {
      const auto found = checkpoint.optimizer_state.find(key);
      if (found == checkpoint.optimizer_state.end()) {
        throw Error("restore_optimizer: the checkpoint has no \"" + key + "\" for parameter " + std::to_string(i) +
                    " (step " + std::to_string(checkpoint.optimizer_steps[i]) + ")");
      }
      if (shape_of(found->second) != shape_of(parameters[i]) ||
          found->second.scalar_type() != parameters[i].scalar_type()) {
        throw Error("restore_optimizer: parameter " + std::to_string(i) + " has shape " +
                    shape_text(shape_of(parameters[i])) + ", the checkpoint's \"" + key + "\" has " +
                    shape_text(shape_of(found->second)) + " (or another dtype)");
      }
    }
  }
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    if (checkpoint.optimizer_steps[i] == 0) {
      optimizer.set_state_of(parameters[i], nullptr);
      continue;
    }
    auto restored = std::make_unique<AdamaxParamState>();
    restored->step(checkpoint.optimizer_steps[i]);
    // Clones: the optimizer updates its state in place, the checkpoint stays as loaded.
    restored->exp_avg(checkpoint.optimizer_state.at(exp_avg_name(i)).clone());
    restored->exp_inf(checkpoint.optimizer_state.at(exp_inf_name(i)).clone());
    optimizer.set_state_of(parameters[i], std::move(restored));
  }
}

}  // namespace tinyae
