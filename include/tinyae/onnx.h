// ONNX in and out: a dense feed-forward network as a standard ONNX model
// (ONNX protobuf, Debian's libonnx-dev), and back. No LibTorch: the network is
// plain data, so the checkpoint, the exporter and the command line can all
// hand it over without a model object.
//
// Export writes Gemm (transB = 1, the weight as torch::nn::Linear stores it)
// and one activation node per layer, with opset kOnnxOpset stated.
// Import accepts exactly the subset such networks need (Gemm, MatMul + Add,
// Relu, Sigmoid, Tanh, Identity; float32; one input, one output, a single
// chain) as written by tinyae or by another tool (torch.onnx.export), and
// refuses anything else with a tinyae::Error naming the node and its operator.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tinyae {

// Defined in tinyae/model.h; its values are the runtime's tinyae_activation
// (src/runtime/tinyae.h), which is what this library reads them through, so
// that it needs neither LibTorch nor a second copy of the enum.
enum class Activation;

// The opset and IR version export states (ONNX 1.12, libonnx-dev on Debian
// bookworm: IR version 8 is the newest it knows).
inline constexpr std::int64_t kOnnxOpset = 13;
inline constexpr std::int64_t kOnnxIrVersion = 8;
// The limits a tinyae model has (kMaxParameters and kMaxLayerSize in
// tinyae/model.h; tests/onnx checks that they agree): import refuses a file
// beyond them before allocating anything.
inline constexpr std::int64_t kOnnxMaxParameters = std::int64_t{1} << 24;
inline constexpr std::int64_t kOnnxMaxLayerSize = 65535;
// A file holding kOnnxMaxParameters float32 values plus the graph's text.
inline constexpr std::uint64_t kOnnxMaxFileBytes = 4 * static_cast<std::uint64_t>(kOnnxMaxParameters) + (1u << 20);

// One dense layer: out = activation(weights * in + bias). The same fields as
// ExportLayer (tinyae/export.h), which pulls in LibTorch through model.h.
struct DenseLayer {
  std::int64_t in_size = 0;
  std::int64_t out_size = 0;
  Activation activation{};     // 0 = linear
  std::vector<float> weights;  // (out_size, in_size) row-major, as torch::nn::Linear
  std::vector<float> bias;     // (out_size)

  bool operator==(const DenseLayer& other) const;
};

// An imported network and where its latent is.
struct DenseNetwork {
  std::vector<DenseLayer> layers;  // input -> output, at least one
  // The encoder is layers[0, encoder_layer_count), the decoder the rest; the
  // latent is the encoder's last output. See latent_split().
  std::size_t encoder_layer_count = 0;

  std::vector<DenseLayer> encoder() const;
  std::vector<DenseLayer> decoder() const;
};

// Checks that `layers` is a network tinyae can hold: at least one layer,
// sizes in [1, kOnnxMaxLayerSize], each in_size the previous out_size, array
// lengths matching the shapes, at most kOnnxMaxParameters weights and biases,
// finite values, a known activation. Throws tinyae::Error naming `what`, the
// layer and the problem.
void validate_dense_layers(const std::vector<DenseLayer>& layers, const std::string& what);

// Where an autoencoder's latent is: the number of encoder layers k in
// [1, n - 1] whose last output (layers[k - 1].out_size) is the narrowest;
// on a tie the one nearest the middle of the chain (|2k - n| smallest), then
// the earlier. A symmetric autoencoder (tinyae's, even with a hidden layer as
// narrow as the latent) splits at its middle; an asymmetric one at its
// bottleneck. A single layer has no decoder: 1.
std::size_t latent_split(const std::vector<DenseLayer>& layers);

// ---- Export -----------------------------------------------------------------

// The network as a serialized ONNX ModelProto: graph `graph_name`, input
// "input" (N, in) and output "output" (N, out) float32 with a symbolic batch
// dimension "N", initializers "layer<i>.weight" (out, in) and
// "layer<i>.bias" (out) as raw little-endian float32, and per layer a Gemm
// (transB = 1) followed by Relu, Sigmoid or Tanh (nothing for linear).
// Validates first (validate_dense_layers); throws tinyae::Error.
std::string onnx_model_bytes(const std::vector<DenseLayer>& layers, const std::string& graph_name);

// onnx_model_bytes written crash-safely (write_file_atomically) to `path`.
void write_onnx(const std::filesystem::path& path, const std::vector<DenseLayer>& layers,
                const std::string& graph_name);

// ---- Import -----------------------------------------------------------------

// Parses a serialized ONNX model into a network with its latent split.
// `source` names the bytes in messages (a path). Throws tinyae::Error for
// bytes that are not an ONNX model, for anything outside the subset (naming
// the node by index and name, and its op_type), for tensors that are not
// float32, stored outside the file, or whose size does not match their
// dimensions, and for a network beyond tinyae's limits.
DenseNetwork parse_onnx(std::string_view bytes, const std::string& source);

// Reads `path` (at most kOnnxMaxFileBytes) and parses it.
DenseNetwork read_onnx(const std::filesystem::path& path);

}  // namespace tinyae
