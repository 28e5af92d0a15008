// The anomaly side of an export: scores of validation rows, the threshold,
// and the fields of ModelToExport a device needs to scale raw readings and
// flag anomalies (input scaling, raw golden inputs, threshold, host scores).
// The scores are those of tinyae/anomaly.h, the device's own arithmetic.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "export_internal.h"
#include "tinyae/anomaly.h"
#include "tinyae/common.h"
#include "tinyae/export.h"
#include "tinyae/metrics.h"

namespace tinyae {

namespace {

std::vector<float> rows_as_floats(const torch::Tensor& rows) {
  const torch::Tensor t = rows.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

}  // namespace

std::vector<double> anomaly_scores(Autoencoder& model, const QuantizedNetwork* int8, const torch::Tensor& inputs,
                                   std::int64_t batch_rows) {
  if (batch_rows < 1) throw Error("anomaly_scores: batch rows must be >= 1, got " + std::to_string(batch_rows));
  const std::int64_t n = inputs.size(0);
  const auto size = static_cast<std::size_t>(inputs.size(1));
  std::vector<double> scores;
  scores.reserve(static_cast<std::size_t>(n));
  if (int8 != nullptr) {
    const std::vector<std::int8_t> in = quantize_tensor(inputs, int8->input());
    const std::vector<std::int8_t> out = run_reference(*int8, in.data(), n);
    const FixedPointMultiplier m = anomaly_i8(int8->input(), int8->output(), size, 0.0).input_to_output;
    for (std::int64_t r = 0; r < n; ++r) {
      const std::size_t at = static_cast<std::size_t>(r) * size;
      const std::uint64_t sum = score_sum_i8(&in[at], &out[at], size, int8->input(), int8->output(), m);
      scores.push_back(score_from_sum_i8(sum, size, int8->output()));
    }
    return scores;
  }
  torch::NoGradGuard no_grad;
  for (std::int64_t first = 0; first < n; first += batch_rows) {
    const torch::Tensor batch = inputs.slice(0, first, std::min(n, first + batch_rows));
    const std::vector<float> in = rows_as_floats(batch);
    const std::vector<float> out = rows_as_floats(model->forward(batch));
    for (std::size_t at = 0; at < in.size(); at += size) scores.push_back(score_f32(&in[at], &out[at], size));
  }
  return scores;
}

AnomalyThreshold choose_anomaly_threshold(Autoencoder& model, const QuantizedNetwork* int8,
                                          const torch::Tensor& validation, const std::vector<std::uint8_t>& labels,
                                          const ThresholdRule& rule) {
  if (!labels.empty() && static_cast<std::int64_t>(labels.size()) != validation.size(0)) {
    throw Error("threshold: " + std::to_string(labels.size()) + " labels for " + std::to_string(validation.size(0)) +
                " validation rows");
  }
  const std::vector<double> scores = anomaly_scores(model, int8, validation);
  const ChosenThreshold chosen = choose_threshold(rule, scores, labels);
  AnomalyThreshold t;
  t.threshold = int8 == nullptr ? static_cast<double>(static_cast<float>(chosen.value)) : chosen.value;
  t.rule = chosen.rule + (int8 == nullptr ? " (float32 scores)" : " (int8 scores)");
  return t;
}

void add_anomaly_fields(std::vector<ModelToExport>& models, Autoencoder& model, const ExportOptions& options,
                        const ModelData& data, const std::string& raw_note) {
  // models: encoder, decoder, autoencoder (as export_models builds them).
  const bool int8 = options.format == NumberFormat::kInt8;
  const std::int64_t golden = models[2].golden_count;
  const std::vector<float> raw = rows_as_floats(data.test_raw.slice(0, 0, golden));
  for (ModelToExport* m : {&models[0], &models[2]}) {
    m->input_scaling = data.scaling;
    m->raw_input_note = raw_note;
    m->golden_raw_inputs = raw;
    std::vector<float> scaled = raw;
    data.scaling.apply(scaled);
    if (scaled != m->golden_inputs) {
      throw Error("internal: the golden inputs are not their raw readings scaled; the device could not check them");
    }
  }
  ModelToExport& autoencoder = models[2];
  const QuantizedNetwork* network = int8 ? &autoencoder.quantized : nullptr;
  autoencoder.anomaly =
      choose_anomaly_threshold(model, network, data.validation.x, data.validation.labels, options.threshold);
  const auto size = static_cast<std::size_t>(autoencoder.input_size());
  autoencoder.golden_scores.clear();
  for (std::size_t at = 0; at < static_cast<std::size_t>(autoencoder.golden_count) * size; at += size) {
    if (int8) {
      const QuantParams& in = network->input();
      const QuantParams& out = network->output();
      const std::uint64_t sum = score_sum_i8(&autoencoder.golden_inputs_i8[at], &autoencoder.golden_outputs_i8[at],
                                             size, in, out, anomaly_i8(in, out, size, 0.0).input_to_output);
      autoencoder.golden_scores.push_back(score_from_sum_i8(sum, size, out));
    } else {
      autoencoder.golden_scores.push_back(
          score_f32(&autoencoder.golden_inputs[at], &autoencoder.golden_outputs[at], size));
    }
  }
}

nlohmann::ordered_json anomaly_json(const ModelToExport& model) {
  nlohmann::ordered_json j;
  j["score"] = "mean squared error of the output against the scaled input, in model units";
  j["anomaly_if"] = "score > threshold";
  j["threshold"] = model.anomaly->threshold;
  j["rule"] = model.anomaly->rule;
  if (!model.quantized.layers.empty()) {
    const std::size_t n = static_cast<std::size_t>(model.input_size());
    j["threshold_sum"] = threshold_sum_i8(model.anomaly->threshold, n, model.quantized.output());
    j["threshold_sum_rule"] = "floor(threshold * input_size / output_scale^2); anomaly if the integer sum > it";
  }
  return j;
}

}  // namespace tinyae
