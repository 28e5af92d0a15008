// Private to src/model: JSON values quoted in error messages. A hostile
// checkpoint can hold megabytes, or arrays nested 300,000 deep, where a
// number belongs. nlohmann::json::dump() recurses once per nesting level and
// would overflow the stack on the latter, so arrays and objects are only
// described, and scalars are cut to their first characters.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tinyae::detail {

inline constexpr std::size_t kJsonExcerptChars = 80;

inline std::string json_excerpt(const nlohmann::json& value) {
  if (value.is_array()) return "an array of " + std::to_string(value.size()) + " elements";
  if (value.is_object()) return "an object with " + std::to_string(value.size()) + " keys";
  const std::string text = value.dump();  // a scalar: no recursion
  if (text.size() <= kJsonExcerptChars) return text;
  return text.substr(0, kJsonExcerptChars) + "... (" + std::to_string(text.size()) + " characters)";
}

}  // namespace tinyae::detail
