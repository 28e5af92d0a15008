// The float32 header writer: what model_<name>.h for tinyae_f32.c adds to the
// shared layout (header_common.cpp): float weight and bias arrays, the
// float layer table, and LibTorch's outputs as golden vectors.
#include <sstream>

#include "export_internal.h"
#include "tinyae/common.h"
#include "tinyae/export.h"
#include "tinyae/text.h"

namespace tinyae {

namespace {

constexpr std::size_t kFloatsPerLine = 8;
constexpr std::uint64_t kBytesPerFloat = 4;

class Float32HeaderWriter final : public HeaderWriter {
 public:
  Float32HeaderWriter() : HeaderWriter(NumberFormat::kFloat32) {}

  Footprint footprint(const ModelToExport& model) const override {
    Footprint f;
    for (const ExportLayer& layer : model.layers) {
      f.weights_bytes += kBytesPerFloat * static_cast<std::uint64_t>(layer.in_size * layer.out_size + layer.out_size);
    }
    f.scratch_bytes = kBytesPerFloat * scratch_elements(activation_sizes(model));
    f.macs = macs(model);
    return f;
  }

  std::string render(const ModelToExport& model, const Provenance& provenance) const override {
    validate_export_model(model);
    return render_header(*this, model, provenance, sections(model, provenance));
  }

 private:
  HeaderSections sections(const ModelToExport& model, const Provenance& provenance) const {
    const auto [p, m, scratch] = header_names(model, format());
    std::ostringstream banner;
    banner << " * Golden vectors: " << comment_safe(provenance.golden_source) << "\n"
           << " * Exported with tinyae " << kVersion << "; golden outputs by LibTorch "
           << comment_safe(provenance.export_torch_version) << "\n"
           << " *\n"
           << " * Include this header in one translation unit only (its arrays are static), then:\n"
           << " *   static " << format().scratch_type << " scratch[" << scratch << " > 0 ? " << scratch << " : 1];\n"
           << " *   " << format().run_function << "(&" << p << "_model, input, output, scratch, " << scratch << ");\n"
           << " * with input[" << m << "_INPUT_SIZE] and output[" << m << "_OUTPUT_SIZE]. */\n";
    HeaderSections s;
    s.banner_tail = banner.str();
    s.scratch_elements = scratch_elements(activation_sizes(model));
    s.scratch_comment = "exact minimum for this layer sequence";
    s.weights_comment = "all weights and biases";

    std::ostringstream arrays, rows;
    for (std::size_t i = 0; i < model.layers.size(); ++i) {
      const ExportLayer& layer = model.layers[i];
      const std::string base = p + "_layer" + std::to_string(i);
      const auto in = static_cast<std::size_t>(layer.in_size);
      arrays << "/* Layer " << i << ": " << layer.in_size << " -> " << layer.out_size << ", "
             << activation_name(layer.activation) << ". Weights (out=" << layer.out_size << ", in=" << layer.in_size
             << ") row-major, as torch::nn::Linear. */\n";
      append_array(arrays, "float", base + "_weights", std::to_string(layer.out_size) + " * " + std::to_string(in),
                   true, layer.weights, in, kFloatsPerLine, "row");
      arrays << "/* (out=" << layer.out_size << ") */\n";
      append_array(arrays, "float", base + "_bias", std::to_string(layer.out_size), true, layer.bias, layer.bias.size(),
                   kFloatsPerLine);
      arrays << "\n";
      rows << "    {" << layer.in_size << ", " << layer.out_size << ", TINYAE_ACT_"
           << upper_case(activation_name(layer.activation)) << ", " << base << "_weights, " << base << "_bias},\n";
    }
    s.layer_arrays = arrays.str();
    s.layer_fields = "in_size, out_size, activation, weights, bias";
    s.layer_rows = rows.str();

    s.golden_comment = std::string(" as inputs") +
                       (model.name == "decoder" ? " (the encoder's LibTorch outputs for them)" : "") +
                       ", and LibTorch's outputs. ";
    s.golden_arrays = golden_arrays(model, format().io_type, model.golden_inputs, model.golden_outputs, kFloatsPerLine);
    if (model.logvar_head) {
      s.after_model = logvar_section(model);
      s.golden_arrays +=
          golden_logvar_array(model, format().io_type, model.golden_logvar, kFloatsPerLine, "LibTorch's");
    }
    return s;
  }

  // A variational encoder's log-variance head. The chain above ends in the
  // mean head, so the encoder returns the mean (deterministic: the device
  // does not sample); the log-variance comes on request from the same
  // hidden activations: <prefix>_hidden_model is the chain without its last
  // layer (sharing its arrays), <prefix>_logvar_model the head alone, and
  // <prefix>_logvar() runs the two with the encoder's scratch buffer.
  std::string logvar_section(const ModelToExport& model) const {
    const auto [p, m, scratch] = header_names(model, format());
    const ExportLayer& head = *model.logvar_head;
    const ExportLayer& mean_head = model.layers.back();
    if (model.layers.size() < 2 || head.in_size != mean_head.in_size || head.out_size != mean_head.out_size ||
        model.golden_logvar.size() != static_cast<std::size_t>(model.golden_count * head.out_size)) {
      throw Error("model '" + model.name + "': its log-variance head or its golden log-variances do not match the " +
                  "mean head (a variational encoder needs a hidden layer before its heads)");
    }
    ModelToExport head_alone;  // sizes and finite values checked as a model's
    head_alone.name = model.name + " log-variance head";
    head_alone.prefix = model.prefix;
    head_alone.layers = {head};
    validate_export_model(head_alone);
    std::vector<std::int64_t> hidden_sizes = activation_sizes(model);  // input, then each layer's output
    hidden_sizes.pop_back();
    const auto in = static_cast<std::size_t>(head.in_size);
    std::ostringstream out;
    out << logvar_intro(model, format(), "") << "#define " << m << "_HIDDEN_SIZE " << head.in_size << "\n"
        << "/* Log-variance head: " << head.in_size << " -> " << head.out_size
        << ", linear. Weights (out=" << head.out_size << ", in=" << head.in_size
        << ") row-major, as torch::nn::Linear. */\n";
    append_array(out, "float", p + "_logvar_weights", std::to_string(head.out_size) + " * " + std::to_string(in), true,
                 head.weights, in, kFloatsPerLine, "row");
    out << "/* (out=" << head.out_size << ") */\n";
    append_array(out, "float", p + "_logvar_bias", std::to_string(head.out_size), true, head.bias, head.bias.size(),
                 kFloatsPerLine);
    out << "static const tinyae_layer_f32 " << p << "_logvar_layers[1] = {\n"
        << "    {" << m << "_HIDDEN_SIZE, " << m << "_OUTPUT_SIZE, TINYAE_ACT_LINEAR, " << p << "_logvar_weights, " << p
        << "_logvar_bias},\n};\n"
        << "static const tinyae_model_f32 " << p << "_hidden_model = {\n"
        << "    TINYAE_FORMAT_VERSION, " << m << "_LAYER_COUNT - 1, " << p << "_layers,\n"
        << "    " << m << "_INPUT_SIZE, " << m << "_HIDDEN_SIZE, " << scratch_elements(hidden_sizes) << "u};\n"
        << "static const tinyae_model_f32 " << p << "_logvar_model = {\n"
        << "    TINYAE_FORMAT_VERSION, 1, " << p << "_logvar_layers, " << m << "_HIDDEN_SIZE, " << m
        << "_OUTPUT_SIZE, 0u};\n\n"
        << logvar_function(model, format());
    return out.str();
  }
};

}  // namespace

std::unique_ptr<HeaderWriter> make_float32_header_writer() { return std::make_unique<Float32HeaderWriter>(); }

}  // namespace tinyae
