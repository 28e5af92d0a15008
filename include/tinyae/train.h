// Training and evaluation of the autoencoder on MNIST.
#pragma once

#include <filesystem>
#include <functional>

#include "tinyae/checkpoint.h"
#include "tinyae/data.h"
#include "tinyae/model.h"

namespace tinyae {

struct TrainRequest {
  ModelConfig model;
  TrainOptions options;
  std::filesystem::path data_dir;
  std::filesystem::path out_dir;  // model.pt, history.csv, loss.png, reconstructions.png
  bool resume = false;            // continue from out_dir/model.pt
  bool progress = true;           // draw a progress bar while an epoch runs (stderr is a TTY)
};

struct EpochResult {
  std::int64_t epoch = 0;  // 1-based
  double loss = 0;         // mean training MSE over the epoch
  double val_loss = 0;     // MSE on the test set after the epoch
  double seconds = 0;
};

// Runs the recipe: deterministic for a given seed and thread count. After
// every epoch it appends to history.csv and writes out_dir/model.pt
// atomically; at the end it draws loss.png and reconstructions.png.
std::vector<EpochResult> train(const TrainRequest& request);

// Mean squared error of model(x) against x over all rows, in batches.
double evaluate_mse(Autoencoder& model, const torch::Tensor& images, std::int64_t batch_size = 1000);

}  // namespace tinyae
