// An imported network as a tinyae Autoencoder: the config that mirrors it,
// then the weights copied into the model's Linear layers.
#include "tinyae/onnx_model.h"

#include "tinyae/common.h"

namespace tinyae {
namespace {

std::string layer_text(std::size_t i, const DenseLayer& layer) {
  return "layer " + std::to_string(i) + " (" + std::to_string(layer.in_size) + " -> " + std::to_string(layer.out_size) +
         ", " + activation_name(layer.activation) + ")";
}

void copy_into(const LayerView& view, const DenseLayer& layer) {
  view.linear->weight.copy_(
      torch::from_blob(const_cast<float*>(layer.weights.data()), {layer.out_size, layer.in_size}));
  view.linear->bias.copy_(torch::from_blob(const_cast<float*>(layer.bias.data()), {layer.out_size}));
}

}  // namespace

ModelConfig model_config_for(const DenseNetwork& network, const std::string& source) {
  const std::vector<DenseLayer>& layers = network.layers;
  const std::size_t n = layers.size(), m = n / 2;
  const std::string prefix = source + ": not a tinyae autoencoder: ";
  if (n < 2 || n % 2 != 0 || network.encoder_layer_count != m) {
    throw Error(prefix + std::to_string(n) + " layers with the latent after layer " +
                std::to_string(network.encoder_layer_count) +
                "; tinyae's autoencoder has an even number of layers, the latent in the middle");
  }
  for (std::size_t i = 0; i < m; ++i) {
    if (layers[i].in_size != layers[n - 1 - i].out_size) {
      throw Error(prefix + layer_text(n - 1 - i, layers[n - 1 - i]) + " does not mirror " + layer_text(i, layers[i]) +
                  "; the decoder's sizes must be the encoder's reversed");
    }
  }
  for (std::size_t i = 1; i + 1 < n; ++i) {
    if (layers[i].activation != layers[0].activation) {
      throw Error(prefix + layer_text(i, layers[i]) + " and " + layer_text(0, layers[0]) +
                  " differ; tinyae uses one activation after every layer but the last");
    }
  }
  ModelConfig config;
  config.input_size = layers.front().in_size;
  config.hidden.clear();
  for (std::size_t i = 0; i + 1 < m; ++i) config.hidden.push_back(layers[i].out_size);
  config.latent_size = layers[m - 1].out_size;
  config.activation = layers.front().activation;
  config.output_activation = layers.back().activation;
  config.validate();
  return config;
}

OnnxImport import_onnx_checkpoint(const std::filesystem::path& onnx_path) {
  OnnxImport imported;
  imported.network = read_onnx(onnx_path);
  imported.config = model_config_for(imported.network, "'" + onnx_path.string() + "'");
  return imported;
}

Autoencoder autoencoder_from_onnx(const OnnxImport& imported) {
  Autoencoder model(imported.config);
  torch::NoGradGuard no_grad;
  const std::vector<LayerView> encoder = model->encoder_layers(), decoder = model->decoder_layers();
  const std::vector<DenseLayer> network_encoder = imported.network.encoder(),
                                network_decoder = imported.network.decoder();
  for (std::size_t i = 0; i < encoder.size(); ++i) copy_into(encoder[i], network_encoder.at(i));
  for (std::size_t i = 0; i < decoder.size(); ++i) copy_into(decoder[i], network_decoder.at(i));
  return model;
}

}  // namespace tinyae
