// The parts of model_<name>.h that let a device take raw readings and flag
// anomalies, shared by every number format: the input scaling
// (tinyae_scaling), the threshold macro with its rule, and the golden raw
// inputs and host scores. The int8 writer adds its integer threshold
// (HeaderSections::anomaly_part) and exact golden sums.
#include <cmath>
#include <sstream>

#include "export_internal.h"
#include "tinyae/common.h"
#include "tinyae/export.h"
#include "tinyae/text.h"

namespace tinyae {

namespace {

constexpr std::size_t kFloatsPerLine = 8;

std::string joined_names(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + comment_safe(name);
  return text;
}

}  // namespace

void validate_anomaly_fields(const ModelToExport& model) {
  const std::string where = "model '" + model.name + "'";
  const auto n = static_cast<std::size_t>(model.golden_count);
  const auto size = static_cast<std::size_t>(model.input_size());
  if (model.input_scaling) {
    const Scaling& s = *model.input_scaling;
    const std::size_t f = s.offset.size();
    if (f == 0 || f > static_cast<std::size_t>(kMaxLayerSize) || size % f != 0 || s.scale.size() != f ||
        s.feature_names.size() != f) {
      throw Error(where + ": its input scaling has " + std::to_string(f) + " offsets, " +
                  std::to_string(s.scale.size()) + " scales and " + std::to_string(s.feature_names.size()) +
                  " feature names; expected one each per feature, the feature count dividing the input size " +
                  std::to_string(size));
    }
    for (std::size_t i = 0; i < f; ++i) {
      if (!std::isfinite(s.offset[i]) || !std::isfinite(s.scale[i]) || s.scale[i] == 0.0f) {
        throw Error(where + ": feature " + comment_safe(s.feature_names[i]) + " has offset " +
                    std::to_string(s.offset[i]) + " and scale " + std::to_string(s.scale[i]) +
                    "; expected finite values and a non-zero scale");
      }
    }
    if (model.golden_raw_inputs.size() != n * size) {
      throw Error(where + ": " + std::to_string(model.golden_raw_inputs.size()) + " raw golden input values, " +
                  "expected golden count x input size = " + std::to_string(n * size));
    }
    for (float v : model.golden_raw_inputs) {
      if (!std::isfinite(v)) throw Error(where + ": a raw golden input is not finite");
    }
  }
  if (model.anomaly) {
    if (!(model.anomaly->threshold >= 0.0) || !std::isfinite(model.anomaly->threshold)) {
      throw Error(where + ": anomaly threshold " + std::to_string(model.anomaly->threshold) +
                  " is not a finite number >= 0");
    }
    if (model.golden_scores.size() != n) {
      throw Error(where + ": " + std::to_string(model.golden_scores.size()) + " golden scores for " +
                  std::to_string(n) + " golden vectors");
    }
  }
}

std::string scaling_section(const ModelToExport& model) {
  if (!model.input_scaling) return "";
  const Scaling& s = *model.input_scaling;
  const std::string p = model.prefix;
  const std::string m = upper_case(p);
  std::ostringstream out;
  out << "/* Input scaling (" << scaling_kind_name(s.kind) << "): raw readings -> this model's input,\n"
      << " *   input[i] = (raw[i] - offset[f]) * scale[f] in float32, f = i % " << m << "_FEATURE_COUNT,\n"
      << " * with tinyae_scale_input_*(&" << p << "_model, &" << p << "_scaling, raw, input).\n";
  if (!model.raw_input_note.empty()) out << " * Raw readings: " << comment_safe(model.raw_input_note) << ".\n";
  out << " * Features, f = 0 .. " << s.offset.size() - 1 << ": " << joined_names(s.feature_names) << " */\n"
      << "#define " << m << "_FEATURE_COUNT " << s.offset.size() << "\n";
  append_array(out, "float", p + "_scaling_offset", m + "_FEATURE_COUNT", false, s.offset, s.offset.size(),
               kFloatsPerLine);
  append_array(out, "float", p + "_scaling_scale", m + "_FEATURE_COUNT", false, s.scale, s.scale.size(),
               kFloatsPerLine);
  out << "static const tinyae_scaling " << p << "_scaling = {" << m << "_FEATURE_COUNT, " << p << "_scaling_offset, "
      << p << "_scaling_scale};\n\n";
  return out.str();
}

std::string anomaly_section(const ModelToExport& model, const std::string& format_part) {
  if (!model.anomaly) return "";
  const std::string m = upper_case(model.prefix);
  std::ostringstream out;
  out << "/* Anomaly score: the mean squared error of the output against the scaled input, in model\n"
      << " * units (tinyae_score_*); an input is an anomaly iff score > threshold.\n"
      << " * Threshold: " << comment_safe(model.anomaly->rule) << " */\n"
      << "#define " << m << "_ANOMALY_THRESHOLD " << float_literal(static_cast<float>(model.anomaly->threshold))
      << "  /* model units */\n"
      << format_part << "\n";
  return out.str();
}

std::string golden_anomaly_arrays(const ModelToExport& model) {
  std::ostringstream out;
  if (model.input_scaling) {
    out << "/* (golden_count, input_size) the golden inputs as raw readings: tinyae_scale_input_* turns them\n"
        << " * into the golden inputs above, bit for bit. */\n";
    append_golden_array(out, model, "float", "raw_inputs", "_INPUT_SIZE", model.golden_raw_inputs, model.input_size(),
                        kFloatsPerLine);
  }
  if (model.anomaly) {
    std::vector<float> scores(model.golden_scores.begin(), model.golden_scores.end());
    out << "/* (golden_count) the host's anomaly scores of the golden vectors, model units */\n";
    append_array(out, "float", model.prefix + "_golden_scores", upper_case(model.prefix) + "_GOLDEN_COUNT", false,
                 scores, scores.size(), kFloatsPerLine);
  }
  return out.str();
}

}  // namespace tinyae
