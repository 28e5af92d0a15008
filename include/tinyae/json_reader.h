// The one strict reader for every JSON document tinyae reads: checkpoint
// metadata, model configuration, training options and history, export
// manifests. Hostile input is the norm here (a checkpoint or manifest can
// come from anywhere), so every read checks the type, the range and, for
// integers, that the JSON number is an integer that fits (nlohmann converts a
// real such as 1e25 to int64 with a plain cast: undefined behaviour). Every
// error is a tinyae::Error naming the document, the key and what was found.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace tinyae {

// Deepest nesting parse_json accepts. nlohmann recurses once per level when
// it destroys or dumps a value, so a 300,000-deep array would overflow the
// stack; tinyae's own documents are at most 4 deep.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text`; throws tinyae::Error "<where> is not valid JSON: ..." or
// "<where> nests deeper than 64 levels".
nlohmann::json parse_json(std::string_view text, const std::string& where);

// A value as a message can show it, without recursing: arrays and objects
// are described ("an array of 3 elements"), scalars cut to 80 characters.
std::string json_excerpt(const nlohmann::json& value);

// A byte string as a message can show it: printable ASCII as is, anything
// else as \xNN, at most the first 80 bytes.
std::string printable(std::string_view bytes);

// Read access to one JSON object; `where` ("checkpoint 'a/model.safetensors'
// train_options") starts every message.
class JsonObject {
 public:
  // Throws "<where>: expected a JSON object, found ..." if `value` is not one.
  JsonObject(const nlohmann::json& value, std::string where);

  const std::string& where() const { return where_; }
  const nlohmann::json& json() const { return value_; }
  bool has(std::string_view key) const;

  // Required key of any type: "<where> has no "key"".
  const nlohmann::json& at(std::string_view key) const;
  // A JSON integer in [minimum, maximum].
  std::int64_t integer(std::string_view key, std::int64_t minimum = std::numeric_limits<std::int64_t>::min(),
                       std::int64_t maximum = std::numeric_limits<std::int64_t>::max()) const;
  // A JSON integer >= 0 that fits uint64.
  std::uint64_t unsigned_integer(std::string_view key) const;
  // A finite JSON number (integer or real) in [minimum, maximum].
  double real(std::string_view key, double minimum = -std::numeric_limits<double>::max(),
              double maximum = std::numeric_limits<double>::max()) const;
  // As real(), but null reads as nullopt (JSON has no NaN: tinyae writes null).
  std::optional<double> real_or_null(std::string_view key) const;
  std::string string(std::string_view key) const;
  bool boolean(std::string_view key) const;
  // A nested object; its where() is "<where>.<key>".
  JsonObject object(std::string_view key) const;
  // A JSON array (elements unchecked).
  const nlohmann::json& array(std::string_view key) const;

  // Throws "<where>: unknown key "k"" for the first key not in `known`.
  void refuse_unknown_keys(std::initializer_list<std::string_view> known) const;

 private:
  [[noreturn]] void fail(std::string_view key, const std::string& expected, const nlohmann::json& found) const;

  const nlohmann::json& value_;
  std::string where_;
};

// The same checks for array elements and other bare values; `what` names the
// value in messages ("models[2].macs").
std::int64_t json_integer(const nlohmann::json& value, const std::string& what,
                          std::int64_t minimum = std::numeric_limits<std::int64_t>::min(),
                          std::int64_t maximum = std::numeric_limits<std::int64_t>::max());
double json_real(const nlohmann::json& value, const std::string& what,
                 double minimum = -std::numeric_limits<double>::max(),
                 double maximum = std::numeric_limits<double>::max());

}  // namespace tinyae
