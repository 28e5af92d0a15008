// The checkpoint's "tinyae" metadata schema (see checkpoint_meta.h):
//
//   {"format_version": 4,
//    "model": ModelConfig::to_json(), "kind": KindOptions::to_json(),
//    "train_options": TrainOptions::to_json(),
//    "data": DataSpec::to_json(), "input_scaling": scaling_to_json(),
//    "epoch": 3, "data_checksum": "...", "tool_version": "0.1.0", "torch_version": "1.13.1",
//    "history": history_to_json(),
//    "optimizer": null | {"name": "adamax", "lr", "beta1", "beta2", "eps", "weight_decay",
//                         "steps": [one per parameter]}}
#include "checkpoint_meta.h"

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

nlohmann::json optimizer_to_json(const std::optional<OptimizerMeta>& optimizer) {
  if (!optimizer) return nullptr;
  const AdamaxOptions& options = optimizer->options;
  return {{"name", "adamax"},         {"lr", options.lr()},   {"beta1", options.beta1()},
          {"beta2", options.beta2()}, {"eps", options.eps()}, {"weight_decay", options.weight_decay()},
          {"steps", optimizer->steps}};
}

std::optional<OptimizerMeta> optimizer_from_json(const JsonObject& meta, std::size_t parameter_count) {
  if (meta.at("optimizer").is_null()) return std::nullopt;
  const JsonObject object = meta.object("optimizer");
  object.refuse_unknown_keys({"name", "lr", "beta1", "beta2", "eps", "weight_decay", "steps"});
  const std::string name = object.string("name");
  if (name != "adamax") {
    throw Error(object.where() + ": expected name \"adamax\", found \"" + printable(name) + "\"");
  }
  OptimizerMeta optimizer;
  optimizer.options.lr(object.real("lr"));
  optimizer.options.beta1(object.real("beta1"));
  optimizer.options.beta2(object.real("beta2"));
  optimizer.options.eps(object.real("eps"));
  optimizer.options.weight_decay(object.real("weight_decay"));
  try {
    validate(optimizer.options);
  } catch (const Error& e) {
    throw Error(object.where() + ": " + e.what());
  }
  const nlohmann::json& steps = object.array("steps");
  if (steps.size() != parameter_count) {
    throw Error(object.where() + ": expected " + std::to_string(parameter_count) +
                " step counts (one per model parameter), found " + std::to_string(steps.size()));
  }
  for (std::size_t i = 0; i < steps.size(); ++i) {
    optimizer.steps.push_back(json_integer(steps[i], object.where() + ".steps[" + std::to_string(i) + "]", 0));
  }
  return optimizer;
}

}  // namespace

bool CheckpointMeta::operator==(const CheckpointMeta& other) const {
  return model == other.model && kind == other.kind && options == other.options && data == other.data &&
         scaling_to_json(input_scaling) == scaling_to_json(other.input_scaling) && epoch == other.epoch &&
         data_checksum == other.data_checksum && tool_version == other.tool_version &&
         torch_version == other.torch_version && history == other.history;
}

nlohmann::json checkpoint_meta_to_json(const StoredMeta& stored) {
  const CheckpointMeta& meta = stored.meta;
  return {{"format_version", kCheckpointFormatVersion},
          {"model", meta.model.to_json()},
          {"kind", meta.kind.to_json()},
          {"train_options", meta.options.to_json()},
          {"data", meta.data.to_json()},
          {"input_scaling", scaling_to_json(meta.input_scaling)},
          {"epoch", meta.epoch},
          {"data_checksum", meta.data_checksum},
          {"tool_version", meta.tool_version},
          {"torch_version", meta.torch_version},
          {"history", history_to_json(meta.history, meta.kind.has_penalty())},
          {"optimizer", optimizer_to_json(stored.optimizer)}};
}

StoredMeta checkpoint_meta_from_json(std::string_view text, const std::string& where) {
  const nlohmann::json j = parse_json(text, where);
  const JsonObject object(j, where);
  const std::int64_t version = object.integer("format_version");
  if (version > kCheckpointFormatVersion) {
    throw Error(where + ": written by a newer tinyae: format_version " + std::to_string(version) + ", this reads " +
                std::to_string(kCheckpointFormatVersion));
  }
  if (version < kOldestCheckpointFormatVersion) {
    throw Error(where + ": unsupported format_version " + std::to_string(version) + ", this reads " +
                std::to_string(kOldestCheckpointFormatVersion) + " to " + std::to_string(kCheckpointFormatVersion));
  }
  const bool has_data = version >= 3;
  const bool has_kind = version >= 4;
  if (has_kind) {
    object.refuse_unknown_keys({"format_version", "model", "kind", "train_options", "data", "input_scaling", "epoch",
                                "data_checksum", "tool_version", "torch_version", "history", "optimizer"});
  } else if (has_data) {
    object.refuse_unknown_keys({"format_version", "model", "train_options", "data", "input_scaling", "epoch",
                                "data_checksum", "tool_version", "torch_version", "history", "optimizer"});
  } else {
    object.refuse_unknown_keys({"format_version", "model", "train_options", "epoch", "data_checksum", "tool_version",
                                "torch_version", "history", "optimizer"});
  }
  StoredMeta stored;
  CheckpointMeta& meta = stored.meta;
  meta.model = ModelConfig::from_json(object.at("model"), where + ".model");
  if (has_kind) meta.kind = KindOptions::from_json(object.at("kind"), where + ".kind");
  meta.options = TrainOptions::from_json(object.at("train_options"), where + ".train_options");
  if (has_data) {
    meta.data = DataSpec::from_json(object.at("data"), where + ".data");
    meta.input_scaling = scaling_from_json(object.at("input_scaling"), where + ".input_scaling");
    if (meta.model.input_size % static_cast<std::int64_t>(meta.input_scaling.offset.size()) != 0) {
      throw Error(where + ".input_scaling: " + std::to_string(meta.input_scaling.offset.size()) +
                  " features do not divide the model's " + std::to_string(meta.model.input_size) + " inputs");
    }
  }
  meta.epoch = object.integer("epoch", 0);
  meta.data_checksum = object.string("data_checksum");
  meta.tool_version = object.string("tool_version");
  meta.torch_version = object.string("torch_version");
  meta.history = history_from_json(object.array("history"), where + ".history", meta.kind.has_penalty());
  stored.optimizer = optimizer_from_json(object, meta.model.parameter_shapes().size());
  return stored;
}

}  // namespace tinyae
