// The int8 side of the exporter: quantize_for_export() (calibrate the
// autoencoder on training images, quantize it, give every exported model its
// slice and int8 golden vectors, measure the accuracy on the test split)
// and the int8 HeaderWriter that renders model_<name>.h for tinyae_int8.c.
//
// An int8 header fills the layout every header shares (header_common.cpp)
// with int8 arrays and the quantization parameters; its golden vectors are int8:
// the quantized test images and the outputs of the host reference
// (src/quantize), which the device must reproduce bit for bit.
#include <algorithm>
#include <cstdio>
#include <sstream>

#include <spdlog/spdlog.h>

#include "export_internal.h"
#include "tinyae/anomaly.h"
#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/export.h"
#include "tinyae/quantize.h"
#include "tinyae/text.h"

namespace tinyae {

namespace {

constexpr std::size_t kInt8PerLine = 20;
constexpr std::size_t kTilesPerLine = 16;  // one whole tile of weights a line
constexpr std::size_t kInt32PerLine = 8;
constexpr std::size_t kTablePerLine = 16;

// A zero point as a macro value: parenthesised when negative.
std::string zero_point_text(std::int32_t zp) { return zp < 0 ? "(" + std::to_string(zp) + ")" : std::to_string(zp); }

std::string params_text(const QuantParams& p) {
  char text[64];
  std::snprintf(text, sizeof text, "scale %.9g zero point %d", static_cast<double>(p.scale), p.zero_point);
  return text;
}

class Int8HeaderWriter final : public HeaderWriter {
 public:
  Int8HeaderWriter() : HeaderWriter(NumberFormat::kInt8) {}

  Footprint footprint(const ModelToExport& model) const override {
    Footprint f;
    f.weights_bytes = model.quantized.weights_bytes();
    f.scratch_bytes = 4 * model.quantized.scratch_words();
    f.macs = model.quantized.macs();
    return f;
  }

  std::string render(const ModelToExport& model, const Provenance& provenance) const override {
    validate_export_model(model);
    const QuantizedNetwork& net = model.quantized;
    net.validate();
    const std::size_t n = static_cast<std::size_t>(model.golden_count);
    if (net.input_size() != model.input_size() || net.output_size() != model.output_size() ||
        net.layers.size() != model.layers.size() ||
        model.golden_inputs_i8.size() != n * static_cast<std::size_t>(model.input_size()) ||
        model.golden_outputs_i8.size() != n * static_cast<std::size_t>(model.output_size())) {
      throw Error("model '" + model.name + "': its int8 layers or golden vectors do not match the model");
    }
    return render_header(*this, model, provenance, sections(model, provenance));
  }

 private:
  HeaderSections sections(const ModelToExport& model, const Provenance& provenance) const {
    const QuantizedNetwork& net = model.quantized;
    const auto [p, m, scratch] = header_names(model, format());
    std::ostringstream banner;
    banner << " * Quantized: " << comment_safe(model.quantization_source) << "\n"
           << " * Golden vectors: " << comment_safe(provenance.golden_source)
           << ", quantized; outputs from tinyae's host reference of the int8 math (bit-exact on any device)\n"
           << " * Exported with tinyae " << kVersion << "\n"
           << " *\n"
           << " * Numbers: real = scale * (q - zero_point); the scheme and its exact rounding rule are in\n"
           << " * tinyae.h. Include this header in one translation unit only (its arrays are static), then:\n"
           << " *   static " << format().scratch_type << " scratch[" << scratch << "];\n"
           << " *   " << format().io_type << " in[" << m << "_INPUT_SIZE], out[" << m << "_OUTPUT_SIZE];\n"
           << " *   tinyae_quantize_input_i8(&" << p << "_model, values, in);   (from float, or fill in directly)\n"
           << " *   " << format().run_function << "(&" << p << "_model, in, out, scratch, " << scratch << ");\n"
           << " *   tinyae_dequantize_output_i8(&" << p << "_model, out, values);   (to float, if needed) */\n";
    HeaderSections s;
    s.banner_tail = banner.str();
    s.scratch_elements = net.scratch_words();
    s.scratch_comment = "exact minimum, int32 words: ceil(mid / 4) + block sums + widened chunk, see tinyae.h";
    s.weights_comment = "int8 weights, int32 biases and multipliers, shifts, tables";
    s.format_macros = "#define " + m + "_INPUT_SCALE " + float_literal(net.input().scale) + "\n" + "#define " + m +
                      "_INPUT_ZERO_POINT " + zero_point_text(net.input().zero_point) + "\n" + "#define " + m +
                      "_OUTPUT_SCALE " + float_literal(net.output().scale) + "\n" + "#define " + m +
                      "_OUTPUT_ZERO_POINT " + zero_point_text(net.output().zero_point) + "\n";

    std::ostringstream arrays, rows;
    for (std::size_t i = 0; i < net.layers.size(); ++i) {
      append_layer_arrays(arrays, net.layers[i], p + "_layer" + std::to_string(i), i);
      const QuantizedLayer& l = net.layers[i];
      const std::string base = p + "_layer" + std::to_string(i);
      rows << "    {" << l.in_size << ", " << l.out_size << ", TINYAE_ACT_" << upper_case(activation_name(l.activation))
           << ", " << l.input.zero_point << ", " << l.requant.zero_point << ", " << l.output.zero_point << ",\n"
           << "     " << base << "_weights, " << base << "_bias, " << base << "_multiplier, " << base << "_shift, "
           << (l.table.empty() ? "NULL" : base + "_table") << "},\n";
    }
    s.layer_arrays = arrays.str();
    s.layer_fields =
        "in_size, out_size, activation, input_zero_point, requant_zero_point,\n"
        " *  output_zero_point, weights, bias, multiplier, shift, lut";
    s.layer_rows = rows.str();
    s.model_fields =
        ",\n    " + m + "_INPUT_SCALE, " + m + "_INPUT_ZERO_POINT, " + m + "_OUTPUT_SCALE, " + m + "_OUTPUT_ZERO_POINT";

    s.golden_comment = std::string(", quantized with the input parameters") +
                       (model.name == "decoder" ? " (here: the int8 encoder's outputs for them)" : "") +
                       ", and the host reference's int8 outputs; a device must match them exactly.\n * ";
    s.golden_arrays =
        golden_arrays(model, format().io_type, model.golden_inputs_i8, model.golden_outputs_i8, kInt8PerLine);
    if (model.anomaly) {
      s.anomaly_part = anomaly_part(model);
      s.golden_arrays += golden_score_sums(model);
    }
    if (!model.logvar_quantized.layers.empty()) {
      s.after_model = logvar_section(model);
      s.golden_arrays += golden_logvar_array(model, format().io_type, model.golden_logvar_i8, kInt8PerLine,
                                             "The host reference's int8");
    }
    return s;
  }

  // A variational encoder's log-variance head (see header_f32.cpp's
  // logvar_section): <prefix>_hidden_model is the chain but its mean head,
  // <prefix>_logvar_model the head, whose input parameters are the hidden
  // layer's output ones; <prefix>_logvar() runs both.
  std::string logvar_section(const ModelToExport& model) const {
    const auto [p, m, scratch] = header_names(model, format());
    const QuantizedNetwork& chain = model.logvar_quantized;  // hidden layers, then the head
    chain.validate();
    const QuantizedNetwork hidden = chain.slice(0, chain.layers.size() - 1);
    const QuantizedNetwork head = chain.slice(chain.layers.size() - 1, 1);
    const QuantizedLayer& l = head.layers.front();
    const std::size_t n = static_cast<std::size_t>(model.golden_count);
    if (hidden.layers.size() + 1 != model.layers.size() || l.out_size != model.output_size() ||
        model.golden_logvar_i8.size() != n * static_cast<std::size_t>(l.out_size)) {
      throw Error("model '" + model.name + "': its int8 log-variance head or golden log-variances do not match it");
    }
    const std::string base = p + "_logvar";
    std::ostringstream out;
    out << logvar_intro(model, format(),
                        "Its output: real = " + m + "_LOGVAR_SCALE * (q - " + m + "_LOGVAR_ZERO_POINT).")
        << "#define " << m << "_HIDDEN_SIZE " << l.in_size << "\n"
        << "#define " << m << "_LOGVAR_SCALE " << float_literal(l.output.scale) << "\n"
        << "#define " << m << "_LOGVAR_ZERO_POINT " << zero_point_text(l.output.zero_point) << "\n";
    append_layer_arrays(out, l, base, hidden.layers.size());
    out << "static const tinyae_layer_i8 " << base << "_layers[1] = {\n"
        << "    {" << l.in_size << ", " << l.out_size << ", TINYAE_ACT_" << upper_case(activation_name(l.activation))
        << ", " << l.input.zero_point << ", " << l.requant.zero_point << ", " << l.output.zero_point << ",\n"
        << "     " << base << "_weights, " << base << "_bias, " << base << "_multiplier, " << base << "_shift, NULL},\n"
        << "};\n"
        << "static const tinyae_model_i8 " << p << "_hidden_model = {\n"
        << "    TINYAE_FORMAT_VERSION, " << m << "_LAYER_COUNT - 1, " << p << "_layers, " << m << "_INPUT_SIZE, " << m
        << "_HIDDEN_SIZE, " << hidden.scratch_words() << "u,\n"
        << "    " << m << "_INPUT_SCALE, " << m << "_INPUT_ZERO_POINT, " << float_literal(hidden.output().scale) << ", "
        << zero_point_text(hidden.output().zero_point) << "};\n"
        << "static const tinyae_model_i8 " << base << "_model = {\n"
        << "    TINYAE_FORMAT_VERSION, 1, " << base << "_layers, " << m << "_HIDDEN_SIZE, " << m << "_OUTPUT_SIZE, "
        << head.scratch_words() << "u,\n"
        << "    " << float_literal(l.input.scale) << ", " << zero_point_text(l.input.zero_point) << ", " << m
        << "_LOGVAR_SCALE, " << m << "_LOGVAR_ZERO_POINT};\n\n"
        << logvar_function(model, format());
    return out.str();
  }

  // The integer threshold and multiplier of tinyae_score_i8, as <prefix>_anomaly.
  static std::string anomaly_part(const ModelToExport& model) {
    const QuantizedNetwork& net = model.quantized;
    const std::string p = model.prefix;
    const std::string m = upper_case(p);
    const AnomalyI8 a =
        anomaly_i8(net.input(), net.output(), static_cast<std::size_t>(model.input_size()), model.anomaly->threshold);
    std::ostringstream out;
    out << "/* int8, integers only: an anomaly iff the sum of tinyae_score_i8 > " << m << "_ANOMALY_THRESHOLD_SUM\n"
        << " * = floor(threshold * input_size / output_scale^2), computed on the host in double; the flag\n"
        << " * equals score > threshold unless that quotient is within rounding of an integer. The\n"
        << " * input is brought to the output's quantization with input_scale / output_scale ~=\n"
        << " * multiplier * 2^-shift. */\n"
        << "#define " << m << "_ANOMALY_THRESHOLD_SUM UINT64_C(" << a.threshold_sum << ")\n"
        << "#define " << m << "_SCORE_MULTIPLIER " << a.input_to_output.multiplier << "\n"
        << "#define " << m << "_SCORE_SHIFT " << a.input_to_output.shift << "\n"
        << "static const tinyae_anomaly_i8 " << p << "_anomaly = {" << m << "_SCORE_MULTIPLIER, " << m
        << "_SCORE_SHIFT, " << m << "_ANOMALY_THRESHOLD_SUM};\n";
    return out.str();
  }

  // The host's exact integer sums of the golden vectors (tinyae/anomaly.h).
  static std::string golden_score_sums(const ModelToExport& model) {
    const QuantizedNetwork& net = model.quantized;
    const auto size = static_cast<std::size_t>(model.input_size());
    const FixedPointMultiplier mult = anomaly_i8(net.input(), net.output(), size, 0.0).input_to_output;
    std::vector<std::uint64_t> sums;
    for (std::size_t at = 0; at < static_cast<std::size_t>(model.golden_count) * size; at += size) {
      sums.push_back(score_sum_i8(&model.golden_inputs_i8[at], &model.golden_outputs_i8[at], size, net.input(),
                                  net.output(), mult));
    }
    std::ostringstream out;
    out << "/* (golden_count) the host's tinyae_score_i8 sums of the golden vectors, exact */\n";
    append_array(out, "uint64_t", model.prefix + "_golden_score_sums", upper_case(model.prefix) + "_GOLDEN_COUNT",
                 false, sums, sums.size(), kInt32PerLine);
    return out.str();
  }

  // Layer i's weights, bias, requantization multipliers and shifts, and its
  // activation table if it has one, each with its shape comment.
  static void append_layer_arrays(std::ostringstream& out, const QuantizedLayer& l, const std::string& base,
                                  std::size_t i) {
    const auto rows = static_cast<std::size_t>(l.out_size);
    const std::string out_size = std::to_string(l.out_size);
    const auto [ws_min, ws_max] = std::minmax_element(l.weight_scales.begin(), l.weight_scales.end());
    std::vector<std::int32_t> multipliers;
    std::vector<int> shifts;
    for (const FixedPointMultiplier& fm : l.multipliers) {
      multipliers.push_back(fm.multiplier);
      shifts.push_back(fm.shift);
    }
    out << "/* Layer " << i << ": " << l.in_size << " -> " << l.out_size << ", " << activation_name(l.activation)
        << ". Input " << params_text(l.input) << "; output " << params_text(l.output) << ".\n";
    if (!l.table.empty()) out << " * Table input " << params_text(l.requant) << ".\n";
    char scales[96];
    std::snprintf(scales, sizeof scales, "%.4g to %.4g", *ws_min, *ws_max);
    out << " * Weights (out=" << l.out_size << ", in=" << l.in_size
        << ") of torch::nn::Linear, tiled: 4 rows by 4 inputs a tile, quad q (rows 4q..4q+3) after quad\n"
        << " * q - 1, its tiles in input order, each tile row-major (see tinyae.h); int8, zero point 0, one\n"
        << " * scale per row (" << scales << "). */\n";
    append_array(out, "int8_t", base + "_weights", out_size + " * " + std::to_string(l.in_size), true,
                 tile_weights_i8(l.weights, l.out_size, l.in_size), 4 * static_cast<std::size_t>(l.in_size),
                 kTilesPerLine, "quad");
    out << "/* (out=" << l.out_size << ") int32, scale input_scale * weight_scale[o] */\n";
    append_array(out, "int32_t", base + "_bias", out_size, true, l.bias, rows, kInt32PerLine);
    out << "/* (out=" << l.out_size << ") Q31 requantization multipliers and right shifts */\n";
    append_array(out, "int32_t", base + "_multiplier", out_size, false, multipliers, rows, kInt32PerLine);
    append_array(out, "uint8_t", base + "_shift", out_size, false, shifts, rows, kInt8PerLine);
    if (!l.table.empty()) {
      out << "/* (256) " << activation_name(l.activation) << " table: output = table[y + 128] */\n";
      append_array(out, "int8_t", base + "_table", "256", false, l.table, l.table.size(), kTablePerLine);
    }
    out << "\n";
  }
};

// Which training vectors calibrate, as quantize_autoencoder picks them.
std::string calibration_note(std::int64_t vectors, const ModelData& data) {
  return data.bounded ? fmt::format("the first {} training vectors", vectors)
                      : fmt::format(
                            "{} training vectors spread over the split (the input range widened by {:g} "
                            "of its span on each side)",
                            vectors, kUnboundedInputHeadroom);
}

// A variational encoder's hidden layers and log-variance head, quantized:
// the head calibrated on the vectors `network` was, its input parameters
// those of the hidden layer's output in `network` (checked), so the hidden
// layers are `network`'s own.
QuantizedNetwork quantize_logvar_chain(Autoencoder& model, const QuantizedNetwork& network, std::size_t encoder_layers,
                                       const ModelData& data, const ExportOptions& options) {
  if (!data.bounded) throw Error("a variational model's int8 export takes MNIST-like bounded inputs only");
  std::vector<LayerView> views = model->encoder_layers();
  views.back() = *model->logvar_layer();
  const torch::Tensor images = data.train.x.slice(0, 0, options.calibration_images);  // as quantize_autoencoder
  const QuantizedNetwork own = quantize_network(views, calibrate(views, images));
  QuantizedNetwork chain = network.slice(0, encoder_layers - 1);
  chain.layers.push_back(own.layers.back());
  const QuantParams& hidden = chain.layers[encoder_layers - 2].output;
  const QuantParams& head_input = chain.layers.back().input;
  if (hidden.scale != head_input.scale || hidden.zero_point != head_input.zero_point) {
    throw Error("int8: the log-variance head's input parameters differ from the hidden layer's output ones");
  }
  chain.validate();
  return chain;
}

}  // namespace

std::unique_ptr<HeaderWriter> make_int8_header_writer() { return std::make_unique<Int8HeaderWriter>(); }

nlohmann::ordered_json quantize_for_export(std::vector<ModelToExport>& models, Autoencoder& model,
                                           const ExportOptions& options, const torch::Tensor& golden_images,
                                           const ModelData& data, const std::string& data_name) {
  // models: encoder, decoder, autoencoder (as export_models builds them).
  const std::size_t encoder_layers = models.at(0).layers.size();
  const QuantizedNetwork network =
      quantize_autoencoder(model, data.train.x, options.calibration_images, data.bounded, data_name);
  const std::string calibrated_on = calibration_note(options.calibration_images, data) + " of " + data_name;
  spdlog::info("int8: calibrated on {}:\n{}", calibrated_on, describe_quantization(network));

  const std::string source = "int8, TensorFlow Lite's scheme (see tinyae.h), calibrated on " + calibrated_on;
  models[0].quantized = network.slice(0, encoder_layers);
  models[1].quantized = network.slice(encoder_layers, network.layers.size() - encoder_layers);
  models[2].quantized = network;
  for (ModelToExport& m : models) m.quantization_source = source;
  if (models[0].logvar_head) {
    models[0].logvar_quantized = quantize_logvar_chain(model, network, encoder_layers, data, options);
  }

  if (golden_images.defined() && golden_images.size(0) > 0) {
    const std::int64_t n = golden_images.size(0);
    const std::vector<std::int8_t> inputs = quantize_tensor(golden_images, network.input());
    const std::vector<std::int8_t> latents = run_reference(models[0].quantized, inputs.data(), n);
    const std::vector<std::int8_t> outputs = run_reference(models[1].quantized, latents.data(), n);
    models[0].golden_inputs_i8 = inputs;
    models[0].golden_outputs_i8 = latents;
    models[1].golden_inputs_i8 = latents;
    models[1].golden_outputs_i8 = outputs;
    models[2].golden_inputs_i8 = inputs;
    models[2].golden_outputs_i8 = run_reference(network, inputs.data(), n);
    if (models[0].logvar_head) {
      models[0].golden_logvar_i8 = run_reference(models[0].logvar_quantized, inputs.data(), n);
    }
  }

  QuantizationReport report = evaluate_quantization(model, network, encoder_layers, data.test.x);
  report.calibration_images = options.calibration_images;
  spdlog::info(
      "int8 on {} test vectors: float MSE {:.6g}, int8 MSE {:.6g} (ratio {:.4f}), latent max abs error "
      "{:.4g}",
      report.images, report.float_mse, report.int8_mse, report.ratio, report.latent_max_abs_err);
  return report.to_json();
}

}  // namespace tinyae
