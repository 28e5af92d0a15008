// export --format onnx: the checkpoint's encoder, decoder and autoencoder as
// standard ONNX files (tinyae/onnx.h: Gemm + activation per layer, opset
// kOnnxOpset), named like the C headers. No data is read: an ONNX model
// carries no golden vectors, scaling or threshold.
#include "export_internal.h"
#include "tinyae/export.h"
#include "tinyae/onnx.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

std::vector<DenseLayer> dense_layers(const std::vector<LayerView>& views) {
  std::vector<DenseLayer> layers;
  for (ExportLayer& layer : to_export_layers(views)) {
    layers.push_back(
        {layer.in_size, layer.out_size, layer.activation, std::move(layer.weights), std::move(layer.bias)});
  }
  return layers;
}

}  // namespace

ExportResult export_onnx(const ExportOptions& options) {
  const fs::path out_dir = without_trailing_separator(options.out_dir);
  check_output_location(out_dir);
  Checkpoint checkpoint = load_checkpoint_to_export(options.model_path);
  Autoencoder& model = checkpoint.model;
  const std::vector<DenseLayer> encoder = dense_layers(model->encoder_layers());
  const std::vector<DenseLayer> decoder = dense_layers(model->decoder_layers());
  std::vector<DenseLayer> autoencoder = encoder;
  autoencoder.insert(autoencoder.end(), decoder.begin(), decoder.end());

  std::vector<OutputFile> files;
  files.push_back({onnx_file_name("encoder"), onnx_model_bytes(encoder, "encoder")});
  files.push_back({onnx_file_name("decoder"), onnx_model_bytes(decoder, "decoder")});
  files.push_back({onnx_file_name("autoencoder"), onnx_model_bytes(autoencoder, "autoencoder")});
  write_output(out_dir, files, options.model_path);
  ExportResult result;
  for (const OutputFile& file : files) result.files.push_back(file.path);
  return result;
}

std::string onnx_file_name(const std::string& model_name) { return "model_" + model_name + ".onnx"; }

}  // namespace tinyae
