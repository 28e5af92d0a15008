// Per-feature scaling: fitting, applying, and its JSON form (tinyae/normalize.h).
#include "tinyae/normalize.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

struct KindName {
  ScalingKind kind;
  const char* name;
};
constexpr KindName kKindNames[] = {{ScalingKind::kMinMax, "minmax"}, {ScalingKind::kZScore, "zscore"}};

// Calls visit(feature, value) once for every reading of the training windows:
// of each window, only the rows after the previous window of its group.
template <typename Visit>
void for_each_reading(const Samples& train, Visit&& visit) {
  const std::size_t features = train.features, window = train.window;
  for (std::size_t i = 0; i < train.size(); ++i) {
    const bool follows = i > 0 && train.group[i - 1] == train.group[i];
    const std::size_t last = train.last_row[i];
    std::size_t first_new = last + 1 - window;
    if (follows) first_new = std::max(first_new, train.last_row[i - 1] + 1);
    for (std::size_t row = first_new; row <= last; ++row) {
      const float* values = train.x.data() + i * train.dim() + (row + window - 1 - last) * features;
      for (std::size_t f = 0; f < features; ++f) visit(f, static_cast<double>(values[f]));
    }
  }
}

// 1 / spread as float32, or 1 when the spread is zero or its inverse does not fit.
float inverse_or_one(double spread) {
  const double inverse = 1.0 / spread;
  return spread > 0 && inverse <= std::numeric_limits<float>::max() ? static_cast<float>(inverse) : 1.0f;
}

}  // namespace

const char* scaling_kind_name(ScalingKind kind) {
  for (const auto& k : kKindNames) {
    if (k.kind == kind) return k.name;
  }
  throw Error("unknown scaling kind");
}

ScalingKind scaling_kind_from_name(std::string_view name) {
  std::string known;
  for (const auto& k : kKindNames) {
    if (name == k.name) return k.kind;
    known += (known.empty() ? "" : ", ") + std::string(k.name);
  }
  throw Error("unknown scaling '" + printable(name) + "' (known: " + known + ")");
}

void Scaling::apply(float* x, std::size_t count) const {
  const std::size_t features = offset.size();
  for (std::size_t i = 0; i < count; ++i) x[i] = (x[i] - offset[i % features]) * scale[i % features];
}

void Scaling::apply(std::vector<float>& x) const { apply(x.data(), x.size()); }

Scaling fit_scaling(ScalingKind kind, const Samples& train, const std::vector<std::string>& feature_names) {
  const std::size_t features = train.features;
  if (train.size() == 0) throw Error("cannot fit a scaling on an empty training split");
  if (feature_names.size() != features) throw Error("fit_scaling: feature names and data disagree");
  Scaling scaling{kind, feature_names, std::vector<float>(features), std::vector<float>(features)};
  if (kind == ScalingKind::kMinMax) {
    std::vector<double> low(features, std::numeric_limits<double>::infinity()), high(features, -low[0]);
    for_each_reading(train, [&](std::size_t f, double v) {
      low[f] = std::min(low[f], v);
      high[f] = std::max(high[f], v);
    });
    for (std::size_t f = 0; f < features; ++f) {
      scaling.offset[f] = static_cast<float>(low[f]);
      scaling.scale[f] = inverse_or_one(high[f] - low[f]);
    }
  } else {
    std::vector<double> sum(features, 0.0), squares(features, 0.0);
    std::size_t count = 0;
    for_each_reading(train, [&](std::size_t f, double v) {
      sum[f] += v;
      count += f == 0;
    });
    for (std::size_t f = 0; f < features; ++f) sum[f] /= static_cast<double>(count);  // now the mean
    for_each_reading(train, [&](std::size_t f, double v) { squares[f] += (v - sum[f]) * (v - sum[f]); });
    for (std::size_t f = 0; f < features; ++f) {
      scaling.offset[f] = static_cast<float>(sum[f]);
      scaling.scale[f] = inverse_or_one(std::sqrt(squares[f] / static_cast<double>(count)));
    }
  }
  return scaling;
}

nlohmann::json scaling_to_json(const Scaling& scaling) {
  return {{"kind", scaling_kind_name(scaling.kind)},
          {"features", scaling.feature_names},
          {"offset", scaling.offset},
          {"scale", scaling.scale}};
}

Scaling scaling_from_json(const nlohmann::json& json, const std::string& where) {
  const JsonObject object(json, where);
  object.refuse_unknown_keys({"kind", "features", "offset", "scale"});
  Scaling scaling;
  scaling.kind = scaling_kind_from_name(object.string("kind"));
  const auto& names = object.array("features");
  if (names.empty()) throw Error(where + ".features is empty: a scaling needs at least one feature");
  for (std::size_t f = 0; f < names.size(); ++f) {
    if (!names[f].is_string()) {
      throw Error(where + ".features[" + std::to_string(f) + "] is not a string: " + json_excerpt(names[f]));
    }
    scaling.feature_names.push_back(names[f].get<std::string>());
  }
  const auto read_floats = [&](const char* key, std::vector<float>& out) {
    const auto& values = object.array(key);
    if (values.size() != names.size()) {
      throw Error(where + "." + key + " has " + std::to_string(values.size()) + " values for " +
                  std::to_string(names.size()) + " features");
    }
    const double limit = std::numeric_limits<float>::max();
    for (std::size_t f = 0; f < values.size(); ++f) {
      out.push_back(
          static_cast<float>(json_real(values[f], where + "." + key + "[" + std::to_string(f) + "]", -limit, limit)));
    }
  };
  read_floats("offset", scaling.offset);
  read_floats("scale", scaling.scale);
  for (std::size_t f = 0; f < scaling.scale.size(); ++f) {
    if (scaling.scale[f] == 0.0f)
      throw Error(where + ".scale[" + std::to_string(f) + "] is 0: every feature would read 0");
  }
  return scaling;
}

}  // namespace tinyae
