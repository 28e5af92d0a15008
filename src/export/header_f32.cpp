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
    return s;
  }
};

}  // namespace

std::unique_ptr<HeaderWriter> make_float32_header_writer() { return std::make_unique<Float32HeaderWriter>(); }

}  // namespace tinyae
