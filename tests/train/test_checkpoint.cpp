// Checkpoints: a trained model and its Adamax state survive a save/load
// bitwise, training continues from a restored optimizer exactly as from the
// original, and hostile files (empty, foreign, truncated, corrupted, from the
// future, or well-sealed but inconsistent) are refused with a tinyae::Error
// that names the file and the problem. The hostile files are forged by a
// writer of the safetensors layout of this file's own, independent of
// src/common/safetensors.cpp.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "../model/tensor_diff.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/safetensors.h"

namespace tinyae {
namespace {

namespace fs = std::filesystem;
using test::bitwise_equal;
using test::tensor_diff;

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

fs::path temp_dir() {
  // One folder per process: CTest runs these tests in parallel processes.
  const fs::path dir = fs::path(TINYAE_BINARY_DIR) / "test_tmp" / ("model-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

ModelConfig small_config() {
  ModelConfig config;
  config.input_size = 20;
  config.hidden = {12, 8};
  config.latent_size = 4;
  return config;
}

CheckpointMeta meta_for(const ModelConfig& config, std::int64_t epoch) {
  CheckpointMeta meta;
  meta.model = config;
  meta.options.epochs = 7;
  meta.options.batch_size = 16;
  meta.options.lr = 0.002;
  meta.options.seed = 1234567890123ull;
  meta.options.threads = 2;
  meta.options.train_limit = 640;
  meta.epoch = epoch;
  meta.data_checksum = std::string(64, 'a');
  meta.tool_version = kVersion;
  meta.torch_version = "1.13.1";
  for (std::int64_t e = 1; e <= epoch; ++e) {
    meta.history.push_back(EpochResult{e, 0.5 / static_cast<double>(e), 0.25, 1.5, 100});
  }
  return meta;
}

// A model and an optimizer after `steps` Adamax steps on a fixed batch.
struct Trained {
  Autoencoder model{nullptr};
  std::unique_ptr<Adamax> optimizer;
  torch::Tensor batch;  // (16, input)
};

void train_step(Autoencoder& model, Adamax& optimizer, const torch::Tensor& batch) {
  optimizer.zero_grad();
  torch::mse_loss(model->forward(batch), batch).backward();
  optimizer.step();
}

Trained trained(const ModelConfig& config, int steps, std::uint64_t seed) {
  torch::manual_seed(seed);
  Trained t;
  t.model = Autoencoder(config);
  t.optimizer = std::make_unique<Adamax>(t.model->parameters(), AdamaxOptions(0.002));
  t.batch = torch::rand({16, config.input_size});
  for (int i = 0; i < steps; ++i) train_step(t.model, *t.optimizer, t.batch);
  return t;
}

// The small model, trained 2 steps, as checkpoint bytes.
std::string small_checkpoint_bytes() {
  auto t = trained(small_config(), 2, 21);
  return serialize_checkpoint(meta_for(small_config(), 1), t.model, t.optimizer.get());
}

void expect_same_parameters(Autoencoder& a, Autoencoder& b, const std::string& when) {
  const auto pa = a->named_parameters();
  const auto pb = b->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(pa.values()[i], pb.values()[i]))
        << when << ", " << pa.keys()[i] << ": " << tensor_diff(pa.values()[i], pb.values()[i]).describe();
  }
}

TEST(Checkpoint, RoundTripIsBitwise) {
  auto t = trained(ModelConfig{}, 3, 11);
  const auto meta = meta_for(ModelConfig{}, 3);
  const fs::path path = temp_dir() / "round_trip.safetensors";
  save_checkpoint(path, meta, t.model, t.optimizer.get());

  const Checkpoint loaded = load_checkpoint(path);
  EXPECT_TRUE(loaded.meta == meta) << history_to_json(loaded.meta.history).dump() << " vs "
                                   << history_to_json(meta.history).dump();
  EXPECT_EQ(loaded.meta.options.seed, 1234567890123ull);
  EXPECT_EQ(loaded.sha256, sha256_file_hex(path));
  Autoencoder model = loaded.model;
  expect_same_parameters(t.model, model, "after load");

  ASSERT_TRUE(loaded.has_optimizer());
  const auto parameters = t.model->parameters();
  ASSERT_EQ(loaded.optimizer_steps.size(), parameters.size());
  EXPECT_EQ(loaded.optimizer_state.size(), 2 * parameters.size());
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    const auto* state = t.optimizer->state_of(parameters[i]);
    ASSERT_NE(state, nullptr);
    EXPECT_EQ(loaded.optimizer_steps[i], 3);
    const auto& exp_avg = loaded.optimizer_state.at(exp_avg_tensor_name(i));
    const auto& exp_inf = loaded.optimizer_state.at(exp_inf_tensor_name(i));
    EXPECT_TRUE(bitwise_equal(exp_avg, state->exp_avg()))
        << i << ": " << tensor_diff(exp_avg, state->exp_avg()).describe();
    EXPECT_TRUE(bitwise_equal(exp_inf, state->exp_inf()))
        << i << ": " << tensor_diff(exp_inf, state->exp_inf()).describe();
  }
  EXPECT_EQ(loaded.optimizer_options.lr(), 0.002);
  EXPECT_EQ(loaded.optimizer_options.eps(), 1e-7);
}

// The kind and, for a kind with a penalty, each epoch's penalty terms.
TEST(Checkpoint, KindAndPenaltyHistoryRoundTrip) {
  auto t = trained(ModelConfig{}, 1, 13);
  auto meta = meta_for(ModelConfig{}, 1);
  meta.kind.kind = ModelKind::kSparse;
  meta.kind.sparsity = 2.5e-4;
  meta.history[0].penalty = 0.125;
  meta.history[0].val_penalty = std::nan("");
  const fs::path path = temp_dir() / "sparse.safetensors";
  save_checkpoint(path, meta, t.model, t.optimizer.get());
  const Checkpoint loaded = load_checkpoint(path);
  EXPECT_EQ(loaded.meta.kind, meta.kind);
  EXPECT_EQ(loaded.meta.history, meta.history);
  meta.kind.kind = ModelKind::kDenoising;
  meta.kind.sparsity = 0;
  meta.kind.noise = NoiseType::kMask;
  meta.kind.noise_level = 0.25;
  meta.history[0].penalty = meta.history[0].val_penalty = 0;
  save_checkpoint(path, meta, t.model, t.optimizer.get());
  EXPECT_EQ(load_checkpoint(path).meta.kind, meta.kind);
}

// Resuming: a restored optimizer on the loaded model takes the same step,
// bit for bit, as the original optimizer on the original model; and saving
// the restored pair again reproduces the file byte for byte.
TEST(Checkpoint, RestoredOptimizerStepsIdentically) {
  auto t = trained(ModelConfig{}, 2, 12);
  const auto meta = meta_for(ModelConfig{}, 2);
  const std::string bytes = serialize_checkpoint(meta, t.model, t.optimizer.get());
  const Checkpoint loaded = parse_checkpoint(bytes, "resume.safetensors");

  Autoencoder model = loaded.model;
  Adamax optimizer(model->parameters(), AdamaxOptions(0.002));
  restore_optimizer(loaded, optimizer);
  EXPECT_EQ(serialize_checkpoint(meta, model, &optimizer), bytes);

  for (int step = 1; step <= 2; ++step) {
    train_step(t.model, *t.optimizer, t.batch);
    train_step(model, optimizer, t.batch);
    expect_same_parameters(t.model, model, "after resumed step " + std::to_string(step));
  }
  const auto original = t.model->parameters();
  const auto resumed = model->parameters();
  for (std::size_t i = 0; i < original.size(); ++i) {
    EXPECT_EQ(optimizer.state_of(resumed[i])->step(), 4);
    EXPECT_TRUE(
        bitwise_equal(optimizer.state_of(resumed[i])->exp_inf(), t.optimizer->state_of(original[i])->exp_inf()));
  }
  // The checkpoint's own tensors were cloned, not updated in place.
  EXPECT_EQ(parse_checkpoint(bytes, "resume.safetensors").sha256, loaded.sha256);
  EXPECT_TRUE(bitwise_equal(loaded.optimizer_state.at("optimizer.exp_avg.0"),
                            parse_checkpoint(bytes, "resume.safetensors").optimizer_state.at("optimizer.exp_avg.0")));
}

TEST(Checkpoint, WithoutOptimizerAndWithPartialState) {
  auto t = trained(small_config(), 1, 13);
  const auto meta = meta_for(small_config(), 1);
  const Checkpoint bare = parse_checkpoint(serialize_checkpoint(meta, t.model, nullptr), "bare.safetensors");
  EXPECT_FALSE(bare.has_optimizer());
  EXPECT_TRUE(bare.optimizer_state.empty());
  Autoencoder model = bare.model;
  expect_same_parameters(t.model, model, "model only");
  Adamax fresh(model->parameters());
  const auto message = error_of([&] { restore_optimizer(bare, fresh); });
  EXPECT_NE(message.find("holds no optimizer state"), std::string::npos) << message;

  // A parameter that never had a gradient has no state: stored as step 0, restored as none.
  t.optimizer->set_state_of(t.model->parameters()[1], nullptr);
  const Checkpoint partial =
      parse_checkpoint(serialize_checkpoint(meta, t.model, t.optimizer.get()), "partial.safetensors");
  ASSERT_TRUE(partial.has_optimizer());
  EXPECT_EQ(partial.optimizer_steps[0], 1);
  EXPECT_EQ(partial.optimizer_steps[1], 0);
  EXPECT_EQ(partial.optimizer_state.count("optimizer.exp_avg.1"), 0u);
  Autoencoder partial_model = partial.model;
  Adamax restored(partial_model->parameters());
  train_step(partial_model, restored, t.batch);  // gives every parameter state ...
  restore_optimizer(partial, restored);          // ... which restoring replaces
  EXPECT_EQ(restored.state_of(partial_model->parameters()[1]), nullptr);
  EXPECT_EQ(restored.state_of(partial_model->parameters()[0])->step(), 1);
}

TEST(Checkpoint, LoadingLeavesTheGlobalGeneratorAlone) {
  const std::string bytes = small_checkpoint_bytes();
  torch::manual_seed(99);
  const auto expected = torch::rand({8});
  torch::manual_seed(99);
  parse_checkpoint(bytes, "rng.safetensors");
  const auto after_load = torch::rand({8});
  EXPECT_TRUE(bitwise_equal(expected, after_load)) << tensor_diff(expected, after_load).describe();
}

TEST(Checkpoint, SaveRefusesInconsistentArguments) {
  auto t = trained(small_config(), 1, 14);
  auto other = trained(small_config(), 1, 15);
  auto meta = meta_for(small_config(), 1);
  auto message = error_of([&] { serialize_checkpoint(meta, t.model, other.optimizer.get()); });
  EXPECT_NE(message.find("is not the model's parameter \"encoder.0.weight\""), std::string::npos) << message;
  meta.model.latent_size = 5;
  message = error_of([&] { serialize_checkpoint(meta, t.model, t.optimizer.get()); });
  EXPECT_NE(message.find("differs from the model's config"), std::string::npos) << message;
  // A failed save leaves an existing file as it was.
  const fs::path path = temp_dir() / "keep.safetensors";
  save_checkpoint(path, meta_for(small_config(), 1), t.model, nullptr);
  const auto before = sha256_file_hex(path);
  EXPECT_THROW(save_checkpoint(path, meta, t.model, nullptr), Error);
  EXPECT_EQ(sha256_file_hex(path), before);
}

TEST(Checkpoint, RestoreRefusesAnotherModel) {
  const Checkpoint loaded = parse_checkpoint(small_checkpoint_bytes(), "small.safetensors");
  ModelConfig bigger = small_config();
  bigger.hidden = {13, 8};
  Autoencoder model(bigger);
  Adamax optimizer(model->parameters());
  const auto message = error_of([&] { restore_optimizer(loaded, optimizer); });
  EXPECT_NE(message.find("parameter 0 has shape (13, 20)"), std::string::npos) << message;
  EXPECT_EQ(optimizer.state_of(model->parameters()[0]), nullptr);
}

// ------------------------------------------------------------------ hostile files

// Expects parsing `bytes` to fail with a message that names `name` and
// contains every one of `parts`.
void expect_refused(const std::string& bytes, const std::string& name, const std::vector<std::string>& parts) {
  const auto message = error_of([&] { parse_checkpoint(bytes, name); });
  ASSERT_FALSE(message.empty()) << name << " was accepted";
  EXPECT_EQ(message.rfind(name + ": ", 0), 0u) << "message does not start with the file name: " << message;
  for (const auto& part : parts)
    EXPECT_NE(message.find(part), std::string::npos) << "wanted \"" << part << "\" in: " << message;
  std::cout << "[ refused ] " << message.substr(0, 200) << "\n";
}

void put_le(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// safetensors from a header text and the data after it.
std::string with_header(const std::string& header, const std::string& data) {
  std::string out;
  put_le(out, header.size(), 8);
  return out + header + data;
}

// An independent writer of the layout, for files that are well formed (right
// offsets, right hash) but wrong inside: zeros of float32 for each tensor.
struct ForgedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::uint64_t float_count;  // data written (zeros), may disagree with shape
  std::string dtype = "F32";
};
std::string forge(const std::string& meta_json, const std::vector<ForgedTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * t.float_count}}};
    offset += 4 * t.float_count;
  }
  const std::string data(offset, '\0');
  header["__metadata__"] = {{"tinyae", meta_json}, {"tensors_sha256", sha256_hex(data)}};
  return with_header(header.dump(), data);
}

// The small model's tensors, as forge() takes them.
std::vector<ForgedTensor> small_tensors() {
  std::vector<ForgedTensor> tensors;
  for (const auto& p : small_config().parameter_shapes()) {
    std::uint64_t count = 1;
    for (const auto d : p.shape) count *= static_cast<std::uint64_t>(d);
    tensors.push_back({p.name, p.shape, count});
  }
  return tensors;
}

nlohmann::json small_meta() {
  return nlohmann::json{{"format_version", 2},
                        {"model", small_config().to_json()},
                        {"train_options", TrainOptions{}.to_json()},
                        {"epoch", 0},
                        {"data_checksum", ""},
                        {"tool_version", kVersion},
                        {"torch_version", "1.13.1"},
                        {"history", nlohmann::json::array()},
                        {"optimizer", nullptr}};
}

TEST(CheckpointHostile, ForgeMatchesTheRealWriter) {
  // The forger is only a fair stand-in if a faithful forgery loads.
  const Checkpoint loaded = parse_checkpoint(forge(small_meta().dump(), small_tensors()), "forged.safetensors");
  EXPECT_EQ(loaded.meta.model, small_config());
  EXPECT_EQ(loaded.model->parameters()[0].abs().max().item<double>(), 0.0);
  // And the real writer's output is the layout: header length, JSON, data.
  const std::string bytes = small_checkpoint_bytes();
  const SafetensorsFile file = parse_safetensors(bytes, "small.safetensors");
  EXPECT_EQ(file.tensors.size(), 2 * small_tensors().size() + small_tensors().size());
  EXPECT_EQ(file.tensors[0].name, "encoder.0.weight");
  EXPECT_EQ(file.metadata.at("tensors_sha256"), sha256_hex(file.data));
  EXPECT_EQ((bytes.size() - file.data.size()) % 8, 0u) << "the header is padded to a multiple of 8";
}

TEST(CheckpointHostile, HistoryMayHoldNull) {
  // A diverged run's NaN loss is written by nlohmann::json as null; such a
  // checkpoint must still load (train decides what to do with it).
  auto j = small_meta();
  j["epoch"] = 1;
  j["history"] = {{{"epoch", 1}, {"loss", std::nan("")}, {"val_loss", 0.5}, {"seconds", 1.0}, {"val_images", 10}}};
  const Checkpoint loaded = parse_checkpoint(forge(j.dump(), small_tensors()), "nan.safetensors");
  EXPECT_TRUE(std::isnan(loaded.meta.history[0].loss));
}

TEST(CheckpointHostile, EmptyForeignAndTorchSaveFiles) {
  expect_refused("", "empty.safetensors", {"empty file", "not a tinyae checkpoint"});
  expect_refused("hello, this is text\n", "text.safetensors", {"not a safetensors file", "first bytes \"hello, t\""});
  expect_refused(std::string("\x7f"
                             "ELF\x02\x01\x01\x00",
                             8),
                 "elf.safetensors", {"not a safetensors file", "\\x7fELF"});
  expect_refused(with_header("[1, 2]  ", ""), "array.safetensors", {"header must be a JSON object", "found \"[1, 2]"});

  // A real torch::save archive of the same model: a zip file.
  auto t = trained(small_config(), 0, 16);
  const fs::path zip = temp_dir() / "torch_save.pt";
  torch::save(t.model, zip.string());
  const std::string zip_bytes = read_file(zip, 1 << 26);
  expect_refused(zip_bytes, zip.string(), {"not a tinyae checkpoint", "zip archive", "torch::save"});
  const auto message = error_of([&] { load_checkpoint(zip); });
  EXPECT_NE(message.find(zip.string()), std::string::npos) << message;

  // tinyae's earlier format: named, with what to do.
  std::string earlier("TINYAEC\0", 8);
  put_le(earlier, 1, 4);
  expect_refused(earlier + std::string(100, '\0'), "model.pt", {"earlier format", "model.safetensors", "tinyae train"});

  // A safetensors file from another tool.
  const std::string data(16, '\0');
  expect_refused(with_header(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", data), "other.safetensors",
                 {"not a tinyae checkpoint", "no \"tinyae\""});
  expect_refused(with_header(R"({"__metadata__":{"tinyae":"{}","format":"pt"}})", ""), "extra_meta.safetensors",
                 {"unknown metadata key \"format\""});

  const auto missing = error_of([&] { load_checkpoint(temp_dir() / "does_not_exist.safetensors"); });
  EXPECT_NE(missing.find("does_not_exist.safetensors"), std::string::npos) << missing;
}

TEST(CheckpointHostile, Truncated) {
  const std::string bytes = small_checkpoint_bytes();
  const SafetensorsFile file = parse_safetensors(bytes, "small.safetensors");
  const std::size_t data_begin = bytes.size() - file.data.size();
  const std::string header_bytes = std::to_string(data_begin - 8);
  expect_refused(bytes.substr(0, 4), "cut4.safetensors", {"truncated", "file has 4"});
  for (const std::size_t cut : {std::size_t{8}, std::size_t{20}, data_begin / 2, data_begin - 1}) {
    expect_refused(bytes.substr(0, cut), "cut" + std::to_string(cut) + ".safetensors",
                   {"truncated: expected a header of " + header_bytes + " bytes, file has " + std::to_string(cut - 8)});
  }
  for (const std::size_t cut : {data_begin, data_begin + 40, bytes.size() - 40, bytes.size() - 1}) {
    expect_refused(bytes.substr(0, cut), "cut" + std::to_string(cut) + ".safetensors",
                   {"truncated: tensor", "of the data, which has " + std::to_string(cut - data_begin) + " bytes"});
  }
  expect_refused(bytes + "junk", "long.safetensors", {"4 unexpected bytes after the last tensor"});
}

TEST(CheckpointHostile, FlippedBytesFailTheChecksum) {
  const std::string bytes = small_checkpoint_bytes();
  const std::size_t data_begin = bytes.size() - parse_safetensors(bytes, "small").data.size();
  for (const std::size_t at : {data_begin, data_begin + 41, (data_begin + bytes.size()) / 2, bytes.size() - 1}) {
    std::string corrupt = bytes;
    corrupt[at] = static_cast<char>(corrupt[at] ^ 0x10);
    expect_refused(corrupt, "flip" + std::to_string(at) + ".safetensors",
                   {"checksum mismatch", "corrupted", "SHA-256 stored"});
  }
}

TEST(CheckpointHostile, VersionsNotRead) {
  auto j = small_meta();
  j["format_version"] = kCheckpointFormatVersion + 1;
  expect_refused(forge(j.dump(), small_tensors()), "future.safetensors",
                 {"written by a newer tinyae: format_version 5, this reads 4"});
  j["format_version"] = 1;
  expect_refused(forge(j.dump(), small_tensors()), "old.safetensors", {"unsupported format_version 1"});
}

TEST(CheckpointHostile, Format3NeedsItsDataKeysAndChecksThem) {
  auto j = small_meta();
  j["format_version"] = 3;
  expect_refused(forge(j.dump(), small_tensors()), "v3.safetensors", {"data"});
  DataSpec spec;
  spec.kind = DataKind::kCsv;
  spec.path = "/tmp/sensors.csv";
  spec.csv.columns.features = {"a", "b"};
  spec.csv.windows.window = 2;
  j["data"] = spec.to_json();
  Scaling scaling{ScalingKind::kZScore, {"a", "b"}, {1.0f, 2.0f}, {0.5f, 0.25f}};
  j["input_scaling"] = scaling_to_json(scaling);
  const Checkpoint loaded = parse_checkpoint(forge(j.dump(), small_tensors()), "v3.safetensors");
  EXPECT_EQ(loaded.meta.data, spec);
  EXPECT_EQ(loaded.meta.input_scaling.scale, scaling.scale);
  EXPECT_EQ(loaded.meta.kind, KindOptions{}) << "format 3 records no kind: vanilla";
  // Format 4 records the kind, and a penalty kind's history its terms.
  j["format_version"] = 4;
  expect_refused(forge(j.dump(), small_tensors()), "v4.safetensors", {"v4.safetensors", "\"kind\""});
  j["kind"] = {{"name", "sparse"}, {"sparsity", 0.5}};
  EXPECT_EQ(parse_checkpoint(forge(j.dump(), small_tensors()), "v4.safetensors").meta.kind.sparsity, 0.5);
  j["epoch"] = 1;
  j["history"] = {{{"epoch", 1}, {"loss", 0.5}, {"val_loss", 0.5}, {"seconds", 1.0}, {"val_images", 10}}};
  expect_refused(forge(j.dump(), small_tensors()), "v4.safetensors", {"history row 1", "penalty"});
  j["kind"] = {{"name", "sparse"}};
  expect_refused(forge(j.dump(), small_tensors()), "v4.safetensors", {".kind", "sparsity"});
  j["format_version"] = 3;
  j.erase("kind");
  j["epoch"] = 0;
  j["history"] = nlohmann::json::array();
  // Three features do not divide the small model's 20 inputs; a stride of 0 is no window.
  j["input_scaling"] = scaling_to_json(Scaling{ScalingKind::kMinMax, {"a", "b", "c"}, {0, 0, 0}, {1, 1, 1}});
  expect_refused(forge(j.dump(), small_tensors()), "v3.safetensors", {"input_scaling", "features do not divide"});
  j["input_scaling"] = scaling_to_json(scaling);
  j["data"]["stride"] = 0;
  expect_refused(forge(j.dump(), small_tensors()), "v3.safetensors", {".data"});
  j["data"] = spec.to_json();
  j["data"]["kind"] = "parquet";
  expect_refused(forge(j.dump(), small_tensors()), "v3.safetensors", {".data.kind", "parquet"});
}

TEST(CheckpointHostile, MetadataSealedButInconsistent) {
  const auto tensors = small_tensors();
  const auto json = small_meta();

  expect_refused(forge("{\"model\": ", tensors), "badjson.safetensors", {"metadata is not valid JSON"});
  expect_refused(forge("[1, 2]", tensors), "array.safetensors", {"metadata: expected a JSON object"});
  auto edited = json;
  edited.erase("epoch");
  expect_refused(forge(edited.dump(), tensors), "noepoch.safetensors", {"metadata has no \"epoch\""});
  edited = json;
  edited["model"]["hidden"] = {12, 0};
  expect_refused(forge(edited.dump(), tensors), "badmodel.safetensors", {"metadata.model.hidden[1]"});
  edited = json;
  edited["extra"] = true;
  expect_refused(forge(edited.dump(), tensors), "extra.safetensors", {"unknown key \"extra\""});
  edited = json;
  edited["history"] = {{{"epoch", 2}, {"loss", 1}, {"val_loss", 1}, {"seconds", 1}, {"val_images", 1}}};
  expect_refused(forge(edited.dump(), tensors), "rows.safetensors", {"history row 1: expected epoch 1, found 2"});
  edited["history"][0]["epoch"] = 1e300;  // a real where an integer belongs: no undefined conversion
  expect_refused(forge(edited.dump(), tensors), "epoch_1e300.safetensors", {"\"epoch\" must be an integer"});
  // Arrays nested 300,000 deep where an object belongs: refused while
  // parsing, without recursing (nlohmann::json::dump() would overflow the
  // stack). The text is spliced by hand so that the test does not recurse either.
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  const std::string plain = json.dump();
  const auto splice = [&](const std::string& old_value) {
    std::string text = plain;
    const auto at = text.find(old_value);
    EXPECT_NE(at, std::string::npos) << old_value;
    return text.replace(at, old_value.size(), deep);
  };
  for (const auto& [value, file] :
       {std::pair{small_config().to_json().dump(), "deep_model"},
        std::pair{TrainOptions{}.to_json().dump(), "deep_options"}, std::pair{std::string("[]"), "deep_history"}}) {
    expect_refused(forge(splice(value), tensors), std::string(file) + ".safetensors", {"nests deeper than 64 levels"});
  }
  edited = json;
  edited["epoch"] = std::string(100000, 'x');  // quoted in the message, but not all of it
  const auto long_message =
      error_of([&] { parse_checkpoint(forge(edited.dump(), tensors), "long_value.safetensors"); });
  EXPECT_NE(long_message.find("\"epoch\" must be an integer >= 0, found the string \"xxx"), std::string::npos)
      << long_message;
  EXPECT_NE(long_message.find("(100002 characters)"), std::string::npos) << long_message;
  EXPECT_LT(long_message.size(), 300u);
  edited = json;
  edited["optimizer"] = {{"name", "adamax"}, {"lr", 0.001},       {"beta1", 0.9},   {"beta2", 0.999},
                         {"eps", 1e-7},      {"weight_decay", 0}, {"steps", {1, 1}}};
  expect_refused(forge(edited.dump(), tensors), "steps.safetensors", {"expected 12 step counts", "found 2"});
  edited["optimizer"]["steps"] = std::vector<int>(12, 0);
  edited["optimizer"]["beta1"] = 1.5;
  expect_refused(forge(edited.dump(), tensors), "beta.safetensors", {"beta1 must be in [0, 1)"});
  edited["optimizer"]["beta1"] = 0.9;
  edited["optimizer"]["steps"][3] = 1;  // state for parameter 3 is promised but not stored
  expect_refused(forge(edited.dump(), tensors), "state.safetensors",
                 {"tensor \"optimizer.exp_avg.3\" is missing", "with optimizer state"});
}

TEST(CheckpointHostile, TensorsSealedButInconsistent) {
  const auto tensors = small_tensors();
  const std::string meta = small_meta().dump();
  auto wrong = tensors;
  wrong[2].shape = {8, 13};  // encoder.2.weight is (8, 12)
  wrong[2].float_count = 8 * 13;
  expect_refused(forge(meta, wrong), "shape.safetensors",
                 {"tensor \"encoder.2.weight\" has shape (8, 13), expected (8, 12)"});
  wrong = tensors;
  wrong.pop_back();
  expect_refused(forge(meta, wrong), "missing.safetensors",
                 {"expected 12 tensors for model 20-12-8-4", "\"decoder.4.bias\" is missing"});
  wrong = tensors;
  wrong[0].name = "encoder.1.weight";
  expect_refused(forge(meta, wrong), "unknown.safetensors", {"unexpected tensor \"encoder.1.weight\""});
  wrong = tensors;
  wrong[0].dtype = "F64";
  wrong[0].float_count *= 2;
  expect_refused(forge(meta, wrong), "dtype.safetensors", {"\"encoder.0.weight\" has dtype F64, expected F32"});
  wrong = tensors;
  wrong[0].dtype = "Q4";
  expect_refused(forge(meta, wrong), "q4.safetensors", {"unknown dtype \"Q4\""});
  wrong = tensors;
  wrong[0].shape = {std::int64_t{1} << 62, 20};  // refused before anything is allocated
  expect_refused(forge(meta, wrong), "huge.safetensors",
                 {"shape (4611686018427387904, 20) of F32 needs more than 2^64"});
  wrong = tensors;
  wrong.back().float_count -= 1;
  expect_refused(forge(meta, wrong), "short.safetensors", {"\"decoder.4.bias\"", "needs 80 bytes", "hold 76"});
  wrong = tensors;
  wrong[0].shape = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  expect_refused(forge(meta, wrong), "dims.safetensors", {"9 dims, at most 8"});
}

TEST(CheckpointHostile, OffsetsTileTheData) {
  const std::string data(16, '\0');
  const auto file = [&](const std::string& entries, const std::string& bytes) {
    return with_header(
        "{" + entries + R"(,"__metadata__":{"tinyae":"{}","tensors_sha256":")" + sha256_hex(bytes) + "\"}}", bytes);
  };
  const std::string a = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  expect_refused(file(a + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})", data), "overlap.safetensors",
                 {"tensor \"b\" begins at byte 4 of the data, expected 8 (overlapping"});
  expect_refused(file(a + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]})", data), "hole.safetensors",
                 {"tensor \"b\" begins at byte 12 of the data, expected 8 (a hole)"});
  expect_refused(file(a + R"(,"b":{"dtype":"F32","shape":[1],"data_offsets":[8,4]})", data), "backwards.safetensors",
                 {"end before they begin"});
  expect_refused(file(a + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16],"x":1})", data), "key.safetensors",
                 {"tensor \"b\": unknown key \"x\""});
  expect_refused(file(a + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[8]})", data), "pair.safetensors",
                 {"\"data_offsets\" must be [begin, end]"});
  expect_refused(file(a + R"(,"b":{"dtype":"F32","shape":[-2],"data_offsets":[8,16]})", data), "neg.safetensors",
                 {"shape[0] must be an integer >= 0"});
  expect_refused(with_header(R"({"__metadata__":{"tinyae":1}})", ""), "meta_number.safetensors",
                 {"__metadata__: \"tinyae\" must be a string"});

  // A header length larger than the file, and one beyond the limit.
  std::string bytes = small_checkpoint_bytes();
  bytes[2] = static_cast<char>(0x3f);
  expect_refused(bytes, "headerlen.safetensors", {"truncated: expected a header of"});
  bytes[4] = static_cast<char>(0x01);
  expect_refused(bytes, "headerlimit.safetensors", {"header length", "is outside [2, 67108864]"});
}

}  // namespace
}  // namespace tinyae
