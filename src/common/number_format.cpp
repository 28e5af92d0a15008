// The number-format table (see include/tinyae/number_format.h).
#include "tinyae/number_format.h"

#include <iterator>

#include "tinyae/common.h"

namespace tinyae {

const std::vector<NumberFormatInfo>& number_formats() {
  static const std::vector<NumberFormatInfo> formats = {
      {NumberFormat::kFloat32, "float32", "tinyae_f32.c", "f32", "tinyae_run_f32", "float", "float", "SCRATCH_FLOATS",
       6, false},
      {NumberFormat::kInt8, "int8", "tinyae_int8.c", "i8", "tinyae_run_i8", "int8_t", "int32_t", "SCRATCH_WORDS", 0,
       true},
  };
  return formats;
}

const NumberFormatInfo& number_format_info(NumberFormat format) {
  for (const NumberFormatInfo& info : number_formats()) {
    if (info.format == format) return info;
  }
  throw Error("unknown number format " + std::to_string(static_cast<int>(format)));
}

const NumberFormatInfo& parse_number_format(std::string_view name) {
  for (const NumberFormatInfo& info : number_formats()) {
    if (info.name == name) return info;
  }
  throw Error("unknown number format '" + std::string(name) + "': expected " + number_format_choices());
}

std::vector<std::string> runtime_files(const NumberFormatInfo& format) {
  std::vector<std::string> files(std::begin(kRuntimeCommonFiles), std::end(kRuntimeCommonFiles));
  files.emplace_back(format.runtime_source);
  return files;
}

std::string number_format_name(NumberFormat format) { return std::string(number_format_info(format).name); }

std::string number_format_choices() {
  std::string text;
  const auto& formats = number_formats();
  for (std::size_t i = 0; i < formats.size(); ++i) {
    if (i > 0) text += i + 1 == formats.size() ? " or " : ", ";
    text += formats[i].name;
  }
  return text;
}

}  // namespace tinyae
