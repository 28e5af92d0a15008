// Private to src/model: JSON values quoted in error messages. A hostile
// checkpoint can hold megabytes where a number belongs; a message shows the
// start of it and says how long it was.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tinyae::detail {

inline constexpr std::size_t kJsonExcerptChars = 80;

inline std::string json_excerpt(const nlohmann::json& value) {
  const std::string text = value.dump();
  if (text.size() <= kJsonExcerptChars) return text;
  return text.substr(0, kJsonExcerptChars) + "... (" + std::to_string(text.size()) + " characters)";
}

}  // namespace tinyae::detail
