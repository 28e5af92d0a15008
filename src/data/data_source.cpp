// The data sources a model trains on (the rules are in tinyae/data_source.h).
#include "tinyae/data_source.h"

#include <sys/mman.h>

#include <cmath>
#include <cstdlib>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/json_reader.h"
#include "tinyae/model.h"  // kMaxLayerSize

namespace tinyae {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kMnistPixels = 784;

const char* kind_name(DataKind kind) { return kind == DataKind::kMnist ? "mnist" : "csv"; }

// An uninitialised (rows, columns) float32 tensor; from 16 MB up in memory
// the kernel is asked to back with 2 MB pages (madvise MADV_HUGEPAGE, before
// the first write; the kernel may decline, e.g. with transparent_hugepage
// "never").
// Training reads its rows at random: with 4 KB pages the first epoch's
// batch gathers took 0.21 s against 0.02 s in later epochs on the
// benchmark machine (a cold page walk for nearly every row), with 2 MB pages
// 0.02 s from the start (docs/training-profile.md).
torch::Tensor empty_rows(std::int64_t rows, std::int64_t columns) {
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  // Below this a matrix spans few enough 4 KB pages, and a 2 MB page would
  // mostly hold zeros.
  constexpr std::size_t kMinBytes = std::size_t{16} << 20;
  const std::size_t bytes = static_cast<std::size_t>(rows * columns) * sizeof(float);
  const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
  void* memory = bytes >= kMinBytes ? std::aligned_alloc(kHugePage, rounded) : nullptr;
  if (memory == nullptr) return torch::empty({rows, columns}, torch::kFloat32);
  madvise(memory, rounded, MADV_HUGEPAGE);  // advice: correct either way
  return torch::from_blob(
      memory, {rows, columns}, [](void* m) { std::free(m); }, torch::kFloat32);
}

// (n, input) float32 tensor owning a copy of `values`.
torch::Tensor rows_tensor(const std::vector<float>& values, std::size_t rows, std::size_t columns) {
  const auto r = static_cast<std::int64_t>(rows), c = static_cast<std::int64_t>(columns);
  torch::Tensor x = empty_rows(r, c);
  x.copy_(torch::from_blob(const_cast<float*>(values.data()), {r, c}, torch::kFloat32));
  return x;
}

// Rows of `images` whose label is (or is not) `digit`.
torch::Tensor rows_where(const torch::Tensor& labels, std::int64_t digit, bool equal) {
  const torch::Tensor mask = equal ? labels.eq(digit) : labels.ne(digit);
  return mask.nonzero().squeeze(1);  // (k) int64 indices
}

DataSplit mnist_split(const torch::Tensor& images, const torch::Tensor& indices) {
  DataSplit split;
  split.x = empty_rows(indices.size(0), images.size(1));
  at::index_select_out(split.x, images, 0, indices);
  split.group.assign(static_cast<std::size_t>(split.x.size(0)), 0);
  const torch::Tensor index = indices.contiguous();
  const std::int64_t* p = index.data_ptr<std::int64_t>();
  split.where.assign(p, p + index.numel());
  return split;
}

torch::Tensor all_rows(std::int64_t n) { return torch::arange(n, torch::kLong); }

// The pixels as read: x * 255 rounds back to the byte for both pixel / 255
// and pixel * (1/255) in float32.
torch::Tensor mnist_raw(const torch::Tensor& x) { return x.mul(255.0f).round(); }

ModelData load_mnist_data(const DataSpec& spec, std::int64_t train_limit) {
  Mnist mnist = load_mnist(spec.path, spec.digit < 0 ? train_limit : 0, 0);
  ModelData data;
  data.scaling = mnist_scaling();
  data.groups = {""};
  data.checksum = mnist.checksum;
  data.rows_read = static_cast<std::size_t>(mnist.train.images.size(0) + mnist.test.images.size(0));
  if (spec.digit < 0) {
    data.train = mnist_split(mnist.train.images, all_rows(mnist.train.images.size(0)));
    data.validation = mnist_split(mnist.test.images, all_rows(mnist.test.images.size(0)));
    data.test = data.validation;
  } else {
    torch::Tensor normal = rows_where(mnist.train.labels, spec.digit, true);
    const std::int64_t n = normal.size(0);
    const auto validation_count =
        static_cast<std::int64_t>(std::floor(static_cast<double>(n) * kOneClassValidationFraction));
    if (n - validation_count < 1 || validation_count < 1) {
      throw Error(fmt::format("'{}' holds {} training images of digit {}: too few to train and validate on",
                              spec.path.string(), n, spec.digit));
    }
    torch::Tensor train_rows = normal.slice(0, 0, n - validation_count);
    if (train_limit > 0) train_rows = train_rows.slice(0, 0, std::min(train_limit, train_rows.size(0)));
    data.train = mnist_split(mnist.train.images, train_rows);
    data.validation = mnist_split(mnist.train.images, normal.slice(0, n - validation_count, n));
    data.validation.labels.assign(static_cast<std::size_t>(validation_count), 0);
    data.test = mnist_split(mnist.test.images, all_rows(mnist.test.images.size(0)));
    const torch::Tensor anomalous = mnist.test.labels.ne(spec.digit).to(torch::kUInt8).contiguous();
    const std::uint8_t* p = anomalous.data_ptr<std::uint8_t>();
    data.test.labels.assign(p, p + anomalous.numel());
  }
  data.test_raw = mnist_raw(data.test.x);
  return data;
}

DataSplit csv_split(const Samples& samples, const Scaling& scaling) {
  std::vector<float> x = samples.x;
  scaling.apply(x);
  DataSplit split;
  split.x = rows_tensor(x, samples.size(), samples.dim());
  split.labels = samples.labels;
  split.group = samples.group;
  split.where = samples.last_line;
  return split;
}

ModelData load_csv_data(const DataSpec& spec, const std::optional<Scaling>& scaling, std::int64_t train_limit) {
  Dataset dataset = load_csv_dataset(spec.path, spec.csv);
  if (train_limit > 0 && static_cast<std::size_t>(train_limit) < dataset.train.size()) {
    Samples& t = dataset.train;
    const auto keep = static_cast<std::size_t>(train_limit);
    t.x.resize(keep * t.dim());
    if (!t.labels.empty()) t.labels.resize(keep);
    t.group.resize(keep);
    t.last_row.resize(keep);
    t.last_line.resize(keep);
  }
  ModelData data;
  data.scaling = scaling ? *scaling : fit_scaling(spec.scaling, dataset.train, dataset.feature_names);
  if (data.scaling.feature_names != dataset.feature_names) {
    throw Error(fmt::format("'{}': the model's scaling is for features ({}), the data has ({})", spec.path.string(),
                            fmt::join(data.scaling.feature_names, ", "), fmt::join(dataset.feature_names, ", ")));
  }
  data.train = csv_split(dataset.train, data.scaling);
  data.validation = csv_split(dataset.validation, data.scaling);
  data.test = csv_split(dataset.test, data.scaling);
  data.test_raw = rows_tensor(dataset.test.x, dataset.test.size(), dataset.test.dim());
  data.groups = dataset.groups;
  data.checksum = dataset.sha256;
  data.rows_read = dataset.rows_read;
  data.bounded = false;
  spdlog::info("Read {} rows of '{}': {} training, {} validation, {} test vectors of {} values", dataset.rows_read,
               spec.path.string(), data.train.size(), data.validation.size(), data.test.size(), dataset.train.dim());
  return data;
}

std::vector<std::string> string_list(const JsonObject& object, const char* key) {
  std::vector<std::string> out;
  const nlohmann::json& items = object.array(key);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      throw Error(fmt::format("{}.{}[{}] is not a string: {}", object.where(), key, i, json_excerpt(items[i])));
    }
    out.push_back(items[i].get<std::string>());
  }
  return out;
}

}  // namespace

Scaling mnist_scaling() { return Scaling{ScalingKind::kMinMax, {"pixel"}, {0.0f}, {1.0f / 255.0f}}; }

void DataSpec::validate() const {
  if (kind == DataKind::kMnist) {
    if (digit < -1 || digit > 9) throw Error(fmt::format("the normal digit must be in 0..9, got {}", digit));
    return;
  }
  if (csv.columns.features.empty()) throw Error("a CSV source needs at least one feature column (--features)");
  validate_window_spec(csv.windows, !csv.columns.label.empty());
}

nlohmann::json DataSpec::to_json() const {
  if (kind == DataKind::kMnist) {
    return {{"kind", kind_name(kind)},
            {"path", path.string()},
            {"digit", digit < 0 ? nlohmann::json(nullptr) : nlohmann::json(digit)}};
  }
  const WindowSpec& w = csv.windows;
  return {{"kind", kind_name(kind)},
          {"path", path.string()},
          {"features", csv.columns.features},
          {"label", csv.columns.label},
          {"group", csv.columns.group},
          {"window", w.window},
          {"stride", w.stride},
          {"train_fraction", w.train_fraction},
          {"validation_fraction", w.validation_fraction},
          {"normal_only_train", w.normal_only_train},
          {"scaling", scaling_kind_name(scaling)}};
}

DataSpec DataSpec::from_json(const nlohmann::json& json, const std::string& where) {
  const JsonObject object(json, where);
  DataSpec spec;
  const std::string kind = object.string("kind");
  spec.path = object.string("path");
  if (kind == "mnist") {
    object.refuse_unknown_keys({"kind", "path", "digit"});
    spec.kind = DataKind::kMnist;
    spec.digit = object.at("digit").is_null() ? -1 : object.integer("digit", 0, 9);
  } else if (kind == "csv") {
    object.refuse_unknown_keys({"kind", "path", "features", "label", "group", "window", "stride", "train_fraction",
                                "validation_fraction", "normal_only_train", "scaling"});
    spec.kind = DataKind::kCsv;
    spec.csv.columns.features = string_list(object, "features");
    spec.csv.columns.label = object.string("label");
    spec.csv.columns.group = object.string("group");
    WindowSpec& w = spec.csv.windows;
    w.window = static_cast<std::size_t>(object.integer("window", 0, kMaxLayerSize));
    w.stride = static_cast<std::size_t>(object.integer("stride", 1, kMaxLayerSize));
    w.train_fraction = object.real("train_fraction", 0, 1);
    w.validation_fraction = object.real("validation_fraction", 0, 1);
    w.normal_only_train = object.boolean("normal_only_train");
    spec.scaling = scaling_kind_from_name(object.string("scaling"));
  } else {
    throw Error(fmt::format("{}.kind: expected \"mnist\" or \"csv\", found \"{}\"", where, printable(kind)));
  }
  try {
    spec.validate();
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return spec;
}

std::string DataSpec::describe() const {
  if (kind == DataKind::kMnist) {
    return digit < 0 ? fmt::format("MNIST '{}'", path.string())
                     : fmt::format("MNIST '{}', digit {} normal", path.string(), digit);
  }
  const WindowSpec& w = csv.windows;
  const std::string windows = w.window > 1 ? fmt::format("; windows of {} rows, stride {}", w.window, w.stride) : "";
  return fmt::format("CSV '{}' ({}{})", path.string(), fmt::join(csv.columns.features, ", "), windows);
}

bool DataSpec::operator==(const DataSpec& other) const { return to_json() == other.to_json(); }

ModelData load_model_data(const DataSpec& spec, const std::optional<Scaling>& scaling, std::int64_t train_limit) {
  if (spec.path.empty()) throw Error("no data given (--data: an MNIST folder or a CSV file)");
  spec.validate();
  if (spec.kind == DataKind::kMnist) {
    if (!fs::is_directory(spec.path)) {
      throw Error(
          fmt::format("MNIST folder '{}' does not exist; fetch MNIST with data/fetch_mnist.sh", spec.path.string()));
    }
    return load_mnist_data(spec, train_limit);
  }
  if (!fs::is_regular_file(spec.path)) throw Error(fmt::format("CSV file '{}' does not exist", spec.path.string()));
  return load_csv_data(spec, scaling, train_limit);
}

}  // namespace tinyae
