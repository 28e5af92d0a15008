// The strict JSON reader (see include/tinyae/json_reader.h).
#include "tinyae/json_reader.h"

#include <cmath>
#include <string>

#include "tinyae/common.h"

namespace tinyae {
namespace {

constexpr std::size_t kExcerptChars = 80;

std::string key_text(std::string_view key) { return "\"" + printable(key) + "\""; }

// "an integer", "a string", ...: what a value is, for "expected X, found Y".
std::string kind_of(const nlohmann::json& value) {
  if (value.is_number_integer()) return "the integer " + json_excerpt(value);
  if (value.is_number()) return "the number " + json_excerpt(value);
  if (value.is_string()) return "the string " + json_excerpt(value);
  return json_excerpt(value);
}

bool fits_int64(const nlohmann::json& value) {
  return value.is_number_integer() &&
         !(value.is_number_unsigned() &&
           value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
}

std::string range_text(std::int64_t minimum, std::int64_t maximum) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (minimum == kMin && maximum == kMax) return "an integer";
  if (maximum == kMax) return "an integer >= " + std::to_string(minimum);
  if (minimum == kMin) return "an integer <= " + std::to_string(maximum);
  return "an integer in " + std::to_string(minimum) + ".." + std::to_string(maximum);
}

std::string real_range_text(double minimum, double maximum) {
  const bool low = minimum > -std::numeric_limits<double>::max();
  const bool high = maximum < std::numeric_limits<double>::max();
  auto text = [](double x) {
    nlohmann::json j = x;
    return j.dump();
  };
  if (low && high) return "a number in [" + text(minimum) + ", " + text(maximum) + "]";
  if (low) return "a number >= " + text(minimum);
  if (high) return "a number <= " + text(maximum);
  return "a finite number";
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& where) {
  // The callback sees every value with its depth before it is stored; a
  // document too deep is refused while parsing, before a deep value exists.
  const nlohmann::json::parser_callback_t limit_depth = [&where](int depth, nlohmann::json::parse_event_t,
                                                                 nlohmann::json&) {
    if (depth > kMaxJsonDepth) {
      throw Error(where + " nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const nlohmann::json::exception& e) {
    throw Error(where + " is not valid JSON: " + e.what());
  }
}

std::string json_excerpt(const nlohmann::json& value) {
  if (value.is_array()) return "an array of " + std::to_string(value.size()) + " elements";
  if (value.is_object()) return "an object with " + std::to_string(value.size()) + " keys";
  const std::string text =
      value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // a scalar: no recursion
  if (text.size() <= kExcerptChars) return text;
  return text.substr(0, kExcerptChars) + "... (" + std::to_string(text.size()) + " characters)";
}

std::string printable(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string text;
  for (const char c : bytes.substr(0, kExcerptChars)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      text += c;
    } else {
      text += "\\x";
      text += kHex[byte >> 4];
      text += kHex[byte & 15];
    }
  }
  if (bytes.size() > kExcerptChars) text += "...";
  return text;
}

JsonObject::JsonObject(const nlohmann::json& value, std::string where) : value_(value), where_(std::move(where)) {
  if (!value_.is_object()) throw Error(where_ + ": expected a JSON object, found " + json_excerpt(value_));
}

bool JsonObject::has(std::string_view key) const { return value_.find(std::string(key)) != value_.end(); }

const nlohmann::json& JsonObject::at(std::string_view key) const {
  const auto it = value_.find(std::string(key));
  if (it == value_.end()) throw Error(where_ + " has no " + key_text(key));
  return *it;
}

void JsonObject::fail(std::string_view key, const std::string& expected, const nlohmann::json& found) const {
  throw Error(where_ + ": " + key_text(key) + " must be " + expected + ", found " + kind_of(found));
}

std::int64_t JsonObject::integer(std::string_view key, std::int64_t minimum, std::int64_t maximum) const {
  const nlohmann::json& value = at(key);
  if (!fits_int64(value)) fail(key, range_text(minimum, maximum), value);
  const auto x = value.get<std::int64_t>();
  if (x < minimum || x > maximum) fail(key, range_text(minimum, maximum), value);
  return x;
}

std::uint64_t JsonObject::unsigned_integer(std::string_view key) const {
  const nlohmann::json& value = at(key);
  if (!value.is_number_unsigned() && !(value.is_number_integer() && value.get<std::int64_t>() >= 0)) {
    fail(key, "an integer >= 0", value);
  }
  return value.get<std::uint64_t>();
}

double JsonObject::real(std::string_view key, double minimum, double maximum) const {
  const nlohmann::json& value = at(key);
  if (!value.is_number()) fail(key, real_range_text(minimum, maximum), value);
  const auto x = value.get<double>();
  if (!std::isfinite(x) || x < minimum || x > maximum) fail(key, real_range_text(minimum, maximum), value);
  return x;
}

std::optional<double> JsonObject::real_or_null(std::string_view key) const {
  if (at(key).is_null()) return std::nullopt;
  return real(key);
}

std::string JsonObject::string(std::string_view key) const {
  const nlohmann::json& value = at(key);
  if (!value.is_string()) fail(key, "a string", value);
  return value.get<std::string>();
}

bool JsonObject::boolean(std::string_view key) const {
  const nlohmann::json& value = at(key);
  if (!value.is_boolean()) fail(key, "true or false", value);
  return value.get<bool>();
}

JsonObject JsonObject::object(std::string_view key) const {
  return JsonObject(at(key), where_ + "." + std::string(key));
}

const nlohmann::json& JsonObject::array(std::string_view key) const {
  const nlohmann::json& value = at(key);
  if (!value.is_array()) fail(key, "an array", value);
  return value;
}

void JsonObject::refuse_unknown_keys(std::initializer_list<std::string_view> known) const {
  for (const auto& item : value_.items()) {
    bool found = false;
    for (const std::string_view k : known) found = found || item.key() == k;
    if (!found) throw Error(where_ + ": unknown key " + key_text(item.key()));
  }
}

std::int64_t json_integer(const nlohmann::json& value, const std::string& what, std::int64_t minimum,
                          std::int64_t maximum) {
  if (!fits_int64(value) || value.get<std::int64_t>() < minimum || value.get<std::int64_t>() > maximum) {
    throw Error(what + " must be " + range_text(minimum, maximum) + ", found " + kind_of(value));
  }
  return value.get<std::int64_t>();
}

double json_real(const nlohmann::json& value, const std::string& what, double minimum, double maximum) {
  if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < minimum ||
      value.get<double>() > maximum) {
    throw Error(what + " must be " + real_range_text(minimum, maximum) + ", found " + kind_of(value));
  }
  return value.get<double>();
}

}  // namespace tinyae
