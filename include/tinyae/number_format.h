// The number formats a model can be exported in, as one table: everything
// the exporter, the Arduino writer and deploy need to know about a format
// is a field of its row, so that a new format is one row here, one header
// writer (src/export) and one runtime file (src/runtime).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tinyae {

enum class NumberFormat { kFloat32, kInt8 };

struct NumberFormatInfo {
  NumberFormat format;
  std::string_view name;            // "float32": --format, manifest.json, <PREFIX>_NUMBER_FORMAT
  std::string_view runtime_source;  // the runtime file that runs it: "tinyae_f32.c"
  std::string_view suffix;          // of the runtime's and firmware's names: tinyae_run_<suffix>
  std::string_view run_function;    // "tinyae_run_f32"
  std::string_view io_type;         // C element type of inputs and outputs: "float"
  std::string_view scratch_type;    // C element type of the scratch buffer: "float"
  std::string_view scratch_macro;   // <PREFIX>_<scratch_macro>: scratch size in scratch_type elements
  // Decimals the Arduino example prints a value with; 0: as an integer.
  int print_decimals;
  // The device must reproduce the golden outputs bit for bit (int8: they
  // come from the exporter's host reference of the same integer math);
  // otherwise within a tolerance (float32: LibTorch sums in another order).
  bool exact;
};

// The runtime files every export copies whatever its format; a format adds
// its runtime_source.
inline constexpr std::string_view kRuntimeCommonFiles[] = {"tinyae.h", "tinyae_status.c"};

// The runtime files (names in src/runtime) a model in `format` needs: the
// common ones, then the format's own.
std::vector<std::string> runtime_files(const NumberFormatInfo& format);

// Every format, in a fixed order (float32 first).
const std::vector<NumberFormatInfo>& number_formats();

const NumberFormatInfo& number_format_info(NumberFormat format);

// The row named `name`; throws tinyae::Error "unknown number format 'x':
// expected float32 or int8".
const NumberFormatInfo& parse_number_format(std::string_view name);

std::string number_format_name(NumberFormat format);  // "float32", "int8"

// "float32 or int8", for messages.
std::string number_format_choices();

}  // namespace tinyae
