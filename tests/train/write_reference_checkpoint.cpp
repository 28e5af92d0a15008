// Fixture of the numpy reader test (test_read_checkpoint.py): trains a tiny
// model on an MNIST subset with train(), as `tinyae train` does, so that
// RUN/model.safetensors is a real checkpoint, then writes what LibTorch loads
// from it (load_checkpoint: every parameter and optimizer tensor) to
// RUN/libtorch_tensors.json as {"name": {"shape": [...], "values": [...]}}.
// nlohmann writes each float32 value, widened to double, with 17 significant
// digits, so the Python side reads back the exact value.
//
// Usage: write_reference_checkpoint RUN DATA
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "tinyae/blas.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/train.h"

namespace {

nlohmann::json tensor_json(const torch::Tensor& tensor) {
  const torch::Tensor flat = tensor.detach().contiguous().view(-1);  // (numel) float32
  std::vector<double> values(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel());
  return {{"shape", tensor.sizes().vec()}, {"values", values}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: write_reference_checkpoint RUN DATA\n";
    return 2;
  }
  try {
    tinyae::prepare_blas_environment(argv);
    const std::filesystem::path run = argv[1];
    std::filesystem::remove_all(run);
    tinyae::TrainRequest request;
    request.model.hidden = {16};
    request.model.latent_size = 4;
    request.model.activation = tinyae::Activation::kTanh;  // two activations, so the reader must pick by name
    request.model.output_activation = tinyae::Activation::kSigmoid;
    request.options.epochs = 2;
    request.options.batch_size = 64;
    request.options.train_limit = 512;
    request.test_limit = 100;
    request.data.path = argv[2];
    request.out_dir = run;
    request.progress = false;
    request.figures = false;
    tinyae::train(request);

    const tinyae::Checkpoint checkpoint = tinyae::load_checkpoint(run / tinyae::kCheckpointFile);
    nlohmann::json tensors = nlohmann::json::object();
    for (const auto& item : checkpoint.model->named_parameters(/*recurse=*/true)) {
      tensors[item.key()] = tensor_json(item.value());
    }
    for (const auto& [name, tensor] : checkpoint.optimizer_state) tensors[name] = tensor_json(tensor);
    tinyae::write_file_atomically(run / "libtorch_tensors.json", tensors.dump());
  } catch (const std::exception& e) {
    std::cerr << "write_reference_checkpoint: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
