// import_onnx(): an ONNX file (and optionally its data) to a checkpoint that
// eval, export and deploy read like a trained one. Everything is read and
// checked before RUN is created, so a refused file leaves nothing behind.
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/onnx_model.h"
#include "tinyae/train.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

// RUN must be (or become) a folder without a checkpoint: an import never
// replaces a trained model.
void check_run_folder(const fs::path& out_dir) {
  if (out_dir.empty()) throw Error("no run folder given: expected --out RUN");
  std::error_code ec;
  if (fs::exists(out_dir, ec) && !fs::is_directory(out_dir, ec)) {
    throw Error("--out '" + out_dir.string() + "' exists and is not a folder");
  }
  const fs::path checkpoint = out_dir / kCheckpointFile;
  if (fs::exists(checkpoint, ec)) {
    throw Error("'" + checkpoint.string() + "' already exists; choose another --out");
  }
}

// What the checkpoint records of the data: the spec, the scaling fitted on it
// and its checksum.
void record_data(CheckpointMeta& meta, const DataSpec& spec, const fs::path& onnx_path) {
  spec.validate();
  const ModelData data = load_model_data(spec);
  if (data.input_size() != meta.model.input_size) {
    throw Error("'" + onnx_path.string() + "' takes " + std::to_string(meta.model.input_size) + " inputs, but " +
                spec.describe() + " gives vectors of " + std::to_string(data.input_size()) + " values");
  }
  meta.data = spec;
  meta.input_scaling = data.scaling;
  meta.data_checksum = data.checksum;
}

}  // namespace

ImportResult import_onnx(const ImportOptions& options) {
  // 1. Everything read and checked; nothing created yet.
  check_run_folder(options.out_dir);
  const OnnxImport imported = import_onnx_checkpoint(options.onnx_path);
  CheckpointMeta meta;
  meta.model = imported.config;
  meta.options.epochs = 0;  // no epoch trained by tinyae
  meta.tool_version = kVersion;
  meta.torch_version = TORCH_VERSION;
  if (options.data) record_data(meta, *options.data, options.onnx_path);
  Autoencoder model = autoencoder_from_onnx(imported);

  // 2. The run folder and the checkpoint.
  std::error_code ec;
  const bool created = !fs::exists(options.out_dir, ec);
  ensure_writable_directory(options.out_dir);
  ImportResult result{options.out_dir / kCheckpointFile, meta.model, options.data ? meta.data.describe() : ""};
  try {
    save_checkpoint(result.checkpoint, meta, model, nullptr);
  } catch (...) {
    if (created) fs::remove_all(options.out_dir, ec);
    throw;
  }
  return result;
}

}  // namespace tinyae
