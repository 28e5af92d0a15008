// Checkpoints: LibTorch tensors and the run's metadata in the safetensors
// layout (see include/tinyae/checkpoint.h for what the file holds).
//
// The loader checks, in this order: the file is not one of the formats a
// user may hand over by mistake (empty, tinyae's earlier "TINYAEC" format, a
// torch::save zip archive), the safetensors layout (parse_safetensors: every
// length bounded by the file), the metadata keys, the SHA-256 of the tensor
// bytes (corruption), the metadata document, and then every tensor's name,
// dtype and shape against what the model config implies, all before the model
// is built.
#include "tinyae/checkpoint.h"

#include <cstring>
#include <mutex>

#include <ATen/CPUGeneratorImpl.h>

#include "checkpoint_meta.h"
#include "tinyae/common.h"
#include "tinyae/json_reader.h"
#include "tinyae/safetensors.h"

namespace tinyae {
namespace {

constexpr const char* kMetaKey = "tinyae";
constexpr const char* kHashKey = "tensors_sha256";
constexpr const char* kDtype = "F32";

// The first bytes of files a user may pass instead of a checkpoint.
constexpr std::string_view kEarlierFormatMagic("TINYAEC\0", 8);
constexpr std::string_view kZipMagic("PK\x03\x04", 4);

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + ")";
}

std::vector<std::int64_t> shape_of(const torch::Tensor& t) { return t.sizes().vec(); }

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

// `tensor` as float32 little-endian bytes, row-major.
std::string f32_bytes(const std::string& name, const torch::Tensor& tensor) {
  if (tensor.scalar_type() != torch::kFloat32) {
    throw Error("checkpoint: tensor \"" + name + "\" must be float32, found " +
                std::string(c10::toString(tensor.scalar_type())));
  }
  static_assert(sizeof(float) == 4, "float32 tensors");
  const torch::Tensor data = tensor.detach().to(torch::kCPU).contiguous();  // row-major copy if needed
  std::string bytes(static_cast<std::size_t>(data.numel()) * 4, '\0');
  const float* values = data.data_ptr<float>();
  for (std::size_t i = 0; i < static_cast<std::size_t>(data.numel()); ++i) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, &values[i], sizeof bits);  // float32 as its IEEE-754 bit pattern
    for (int b = 0; b < 4; ++b) bytes[4 * i + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return bytes;
}

// The optimizer's options and per-parameter state, checked against the
// model; nullopt (and no states) if there is no optimizer.
std::optional<OptimizerMeta> optimizer_meta(Autoencoder& model, const Adamax* optimizer,
                                            std::vector<const AdamaxParamState*>& states) {
  if (optimizer == nullptr) return std::nullopt;
  const auto named = model->named_parameters(/*recurse=*/true);
  const auto parameters = model->parameters();
  const auto optimized = optimizer->all_parameters();
  if (optimized.size() != parameters.size()) {
    throw Error("checkpoint: the optimizer holds " + std::to_string(optimized.size()) + " parameters, the model has " +
                std::to_string(parameters.size()));
  }
  OptimizerMeta meta;
  meta.options = static_cast<const AdamaxOptions&>(optimizer->defaults());
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    // State is keyed by tensor identity, so it is only meaningful for the
    // model's own parameters.
    if (!optimized[i].is_same(parameters[i])) {
      throw Error("checkpoint: optimizer parameter " + std::to_string(i) + " is not the model's parameter \"" +
                  named.keys()[i] + "\"");
    }
    const AdamaxParamState* state = optimizer->state_of(parameters[i]);
    states.push_back(state);
    meta.steps.push_back(state == nullptr ? 0 : state->step());
  }
  return meta;
}

// ---------------------------------------------------------------- reading

// Refuses, by name, the files a user is likely to pass instead of a checkpoint.
void refuse_other_formats(std::string_view bytes, const std::string& name) {
  if (bytes.empty()) throw Error(name + ": empty file, not a tinyae checkpoint");
  if (bytes.substr(0, kEarlierFormatMagic.size()) == kEarlierFormatMagic) {
    throw Error(name +
                ": a checkpoint in tinyae's earlier format (magic \"TINYAEC\\x00\", model.pt), which this "
                "tinyae does not read: it reads model.safetensors, in the safetensors layout. Train the run "
                "again with `tinyae train`, or export it with the tinyae that wrote it");
  }
  if (bytes.substr(0, kZipMagic.size()) == kZipMagic) {
    throw Error(name +
                ": not a tinyae checkpoint: this is a zip archive, as torch::save writes (found \"PK\\x03\\x04\"); "
                "tinyae reads model.safetensors as `tinyae train` writes it");
  }
}

// The SHA-256 stored in the metadata against the tensor bytes'.
void check_tensor_hash(const SafetensorsFile& file, const std::string& name) {
  const auto stored = file.metadata.find(kHashKey);
  if (stored == file.metadata.end()) throw Error(name + ": the metadata has no \"" + std::string(kHashKey) + "\"");
  const std::string computed = sha256_hex(file.data);
  if (stored->second != computed) {
    throw Error(name + ": checksum mismatch: the tensor data is corrupted (SHA-256 stored " +
                printable(stored->second) + ", computed " + computed + ")");
  }
}

// Every tensor the file must hold and its shape, from the metadata alone.
std::map<std::string, std::vector<std::int64_t>> expected_tensors(const StoredMeta& stored) {
  std::map<std::string, std::vector<std::int64_t>> expected;
  const auto parameter_shapes = stored.meta.model.parameter_shapes();
  for (const auto& parameter : parameter_shapes) expected[parameter.name] = parameter.shape;
  if (!stored.optimizer) return expected;
  for (std::size_t i = 0; i < stored.optimizer->steps.size(); ++i) {
    if (stored.optimizer->steps[i] == 0) continue;
    expected[exp_avg_tensor_name(i)] = parameter_shapes[i].shape;
    expected[exp_inf_tensor_name(i)] = parameter_shapes[i].shape;
  }
  return expected;
}

// The file's tensors, checked against `expected` by name, dtype and shape.
std::map<std::string, std::string_view> match_tensors(const SafetensorsFile& file, const StoredMeta& stored,
                                                      const std::string& name) {
  const auto expected = expected_tensors(stored);
  const std::string model = stored.meta.model.describe();
  std::map<std::string, std::string_view> found;
  for (const SafetensorsTensor& tensor : file.tensors) {
    const auto it = expected.find(tensor.name);
    if (it == expected.end()) {
      throw Error(name + ": unexpected tensor \"" + printable(tensor.name) + "\" for model " + model +
                  (stored.optimizer ? " with optimizer state" : ""));
    }
    if (tensor.dtype != kDtype) {
      throw Error(name + ": tensor \"" + tensor.name + "\" has dtype " + printable(tensor.dtype) + ", expected " +
                  kDtype);
    }
    if (tensor.shape != it->second) {
      throw Error(name + ": tensor \"" + tensor.name + "\" has shape " + shape_text(tensor.shape) + ", expected " +
                  shape_text(it->second) + " for model " + model);
    }
    found[tensor.name] = tensor.data;
  }
  for (const auto& [tensor_name, shape] : expected) {
    if (found.count(tensor_name) == 0) {
      throw Error(name + ": expected " + std::to_string(expected.size()) + " tensors for model " + model +
                  (stored.optimizer ? " with optimizer state" : "") + ", tensor \"" + tensor_name + "\" is missing");
    }
  }
  return found;
}

// float32 little-endian bytes (already checked against `shape`) as a tensor.
torch::Tensor f32_tensor(std::string_view bytes, const std::vector<std::int64_t>& shape) {
  torch::Tensor tensor = torch::empty(shape, torch::kFloat32);  // shape, row-major
  float* values = tensor.data_ptr<float>();
  for (std::size_t i = 0; i < bytes.size() / 4; ++i) {
    std::uint32_t bits = 0;
    for (int b = 0; b < 4; ++b)
      bits |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[4 * i + b])) << (8 * b);
    std::memcpy(&values[i], &bits, sizeof bits);
  }
  return tensor;
}

}  // namespace

std::string exp_avg_tensor_name(std::size_t i) { return "optimizer.exp_avg." + std::to_string(i); }
std::string exp_inf_tensor_name(std::size_t i) { return "optimizer.exp_inf." + std::to_string(i); }

// ---------------------------------------------------------------- save

std::string serialize_checkpoint(const CheckpointMeta& meta, Autoencoder& model, const Adamax* optimizer) {
  if (meta.model != model->config()) {
    throw Error("checkpoint: meta.model " + meta.model.to_json().dump() + " differs from the model's config " +
                model->config().to_json().dump());
  }
  std::vector<const AdamaxParamState*> states;  // per parameter; nullptr = no step yet
  const StoredMeta stored{meta, optimizer_meta(model, optimizer, states)};

  // Every tensor's bytes in file order, then the views the writer takes.
  std::vector<std::pair<std::string, std::string>> named_bytes;
  std::vector<std::vector<std::int64_t>> shapes;
  for (const auto& item : model->named_parameters(/*recurse=*/true)) {
    named_bytes.emplace_back(item.key(), f32_bytes(item.key(), item.value()));
    shapes.push_back(shape_of(item.value()));
  }
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (states[i] == nullptr) continue;
    named_bytes.emplace_back(exp_avg_tensor_name(i), f32_bytes(exp_avg_tensor_name(i), states[i]->exp_avg()));
    shapes.push_back(shape_of(states[i]->exp_avg()));
    named_bytes.emplace_back(exp_inf_tensor_name(i), f32_bytes(exp_inf_tensor_name(i), states[i]->exp_inf()));
    shapes.push_back(shape_of(states[i]->exp_inf()));
  }
  std::string all_bytes;
  std::vector<SafetensorsTensor> tensors;
  for (std::size_t t = 0; t < named_bytes.size(); ++t) {
    all_bytes += named_bytes[t].second;
    tensors.push_back({named_bytes[t].first, kDtype, shapes[t], named_bytes[t].second});
  }
  const std::map<std::string, std::string> metadata = {{kMetaKey, checkpoint_meta_to_json(stored).dump()},
                                                       {kHashKey, sha256_hex(all_bytes)}};
  return write_safetensors(tensors, metadata);
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
  refuse_other_formats(bytes, name);
  const SafetensorsFile file = parse_safetensors(bytes, name);
  for (const auto& [key, value] : file.metadata) {
    if (key != kMetaKey && key != kHashKey) throw Error(name + ": unknown metadata key \"" + printable(key) + "\"");
  }
  const auto meta_text = file.metadata.find(kMetaKey);
  if (meta_text == file.metadata.end()) {
    throw Error(name + ": a safetensors file but not a tinyae checkpoint: its metadata has no \"" +
                std::string(kMetaKey) + "\"");
  }
  check_tensor_hash(file, name);
  StoredMeta stored = checkpoint_meta_from_json(meta_text->second, name + ": metadata");
  const std::map<std::string, std::string_view> data = match_tensors(file, stored, name);

  Checkpoint checkpoint;
  checkpoint.meta = std::move(stored.meta);
  {
    GlobalGeneratorStateGuard keep_generator;
    checkpoint.model = Autoencoder(checkpoint.meta.model);
  }
  torch::NoGradGuard no_grad;
  for (auto& item : checkpoint.model->named_parameters(/*recurse=*/true)) {
    const auto found = data.find(item.key());
    if (found == data.end() || found->second.size() != 4 * static_cast<std::size_t>(item.value().numel())) {
      // parameter_shapes() and the module disagree: a bug here, not in the file.
      throw Error(name + ": internal error: model parameter \"" + item.key() + "\" " +
                  shape_text(shape_of(item.value())) + " does not match ModelConfig::parameter_shapes()");
    }
    item.value().copy_(f32_tensor(found->second, shape_of(item.value())));
  }
  if (stored.optimizer) {
    const auto parameters = checkpoint.model->parameters();
    for (std::size_t i = 0; i < stored.optimizer->steps.size(); ++i) {
      if (stored.optimizer->steps[i] == 0) continue;
      for (const auto& key : {exp_avg_tensor_name(i), exp_inf_tensor_name(i)}) {
        checkpoint.optimizer_state[key] = f32_tensor(data.at(key), shape_of(parameters[i]));
      }
    }
    checkpoint.optimizer_steps = stored.optimizer->steps;
    checkpoint.optimizer_options = stored.optimizer->options;
  }
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
    for (const auto& key : {exp_avg_tensor_name(i), exp_inf_tensor_name(i)}) {
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
    restored->exp_avg(checkpoint.optimizer_state.at(exp_avg_tensor_name(i)).clone());
    restored->exp_inf(checkpoint.optimizer_state.at(exp_inf_tensor_name(i)).clone());
    optimizer.set_state_of(parameters[i], std::move(restored));
  }
}

}  // namespace tinyae
