// Checkpoints: a trained model and its Adamax state survive a save/load
// bitwise, training continues from a restored optimizer exactly as from the
// original, and hostile files (empty, foreign, truncated, corrupted, from the
// future, or well-sealed but inconsistent) are refused with a tinyae::Error
// that names the file and the problem.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "tensor_diff.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"

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
    meta.history.push_back(
        {{"epoch", e}, {"loss", 0.5 / static_cast<double>(e)}, {"val_loss", 0.25}, {"seconds", 1.5}});
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
  const fs::path path = temp_dir() / "round_trip.pt";
  save_checkpoint(path, meta, t.model, t.optimizer.get());

  const Checkpoint loaded = load_checkpoint(path);
  EXPECT_TRUE(loaded.meta == meta) << loaded.meta.history.dump() << " vs " << meta.history.dump();
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
    const auto& exp_avg = loaded.optimizer_state.at("exp_avg." + std::to_string(i));
    const auto& exp_inf = loaded.optimizer_state.at("exp_inf." + std::to_string(i));
    EXPECT_TRUE(bitwise_equal(exp_avg, state->exp_avg()))
        << i << ": " << tensor_diff(exp_avg, state->exp_avg()).describe();
    EXPECT_TRUE(bitwise_equal(exp_inf, state->exp_inf()))
        << i << ": " << tensor_diff(exp_inf, state->exp_inf()).describe();
  }
  EXPECT_EQ(loaded.optimizer_options.lr(), 0.002);
  EXPECT_EQ(loaded.optimizer_options.eps(), 1e-7);
}

// Resuming: a restored optimizer on the loaded model takes the same step,
// bit for bit, as the original optimizer on the original model; and saving
// the restored pair again reproduces the file byte for byte.
TEST(Checkpoint, RestoredOptimizerStepsIdentically) {
  auto t = trained(ModelConfig{}, 2, 12);
  const auto meta = meta_for(ModelConfig{}, 2);
  const std::string bytes = serialize_checkpoint(meta, t.model, t.optimizer.get());
  const Checkpoint loaded = parse_checkpoint(bytes, "resume.pt");

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
  EXPECT_EQ(parse_checkpoint(bytes, "resume.pt").sha256, loaded.sha256);
  EXPECT_TRUE(bitwise_equal(loaded.optimizer_state.at("exp_avg.0"),
                            parse_checkpoint(bytes, "resume.pt").optimizer_state.at("exp_avg.0")));
}

TEST(Checkpoint, WithoutOptimizerAndWithPartialState) {
  auto t = trained(small_config(), 1, 13);
  const auto meta = meta_for(small_config(), 1);
  const Checkpoint bare = parse_checkpoint(serialize_checkpoint(meta, t.model, nullptr), "bare.pt");
  EXPECT_FALSE(bare.has_optimizer());
  EXPECT_TRUE(bare.optimizer_state.empty());
  Autoencoder model = bare.model;
  expect_same_parameters(t.model, model, "model only");
  Adamax fresh(model->parameters());
  const auto message = error_of([&] { restore_optimizer(bare, fresh); });
  EXPECT_NE(message.find("holds no optimizer state"), std::string::npos) << message;

  // A parameter that never had a gradient has no state: stored as step 0, restored as none.
  t.optimizer->set_state_of(t.model->parameters()[1], nullptr);
  const Checkpoint partial = parse_checkpoint(serialize_checkpoint(meta, t.model, t.optimizer.get()), "partial.pt");
  ASSERT_TRUE(partial.has_optimizer());
  EXPECT_EQ(partial.optimizer_steps[0], 1);
  EXPECT_EQ(partial.optimizer_steps[1], 0);
  EXPECT_EQ(partial.optimizer_state.count("exp_avg.1"), 0u);
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
  parse_checkpoint(bytes, "rng.pt");
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
  const fs::path path = temp_dir() / "keep.pt";
  save_checkpoint(path, meta_for(small_config(), 1), t.model, nullptr);
  const auto before = sha256_file_hex(path);
  EXPECT_THROW(save_checkpoint(path, meta, t.model, nullptr), Error);
  EXPECT_EQ(sha256_file_hex(path), before);
}

TEST(Checkpoint, RestoreRefusesAnotherModel) {
  const Checkpoint loaded = parse_checkpoint(small_checkpoint_bytes(), "small.pt");
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

std::string raw_sha256(const std::string& bytes) {
  const std::string hex = sha256_hex(bytes);
  std::string raw;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    raw.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return raw;
}

// An independent writer of the layout documented in checkpoint.cpp, for files
// that are well sealed (right size, right hash) but wrong inside.
struct ForgedTensor {
  std::string name;
  std::vector<std::int64_t> shape;
  std::uint64_t float_count;  // data written (zeros), may disagree with shape
};
std::string forge(const std::string& json, const std::vector<ForgedTensor>& tensors, std::uint32_t count) {
  std::string out("TINYAEC\0", 8);
  put_le(out, 1, 4);
  put_le(out, 0, 8);  // size, patched below
  put_le(out, json.size(), 8);
  out += json;
  put_le(out, count, 4);
  for (const auto& t : tensors) {
    put_le(out, t.name.size(), 2);
    out += t.name;
    put_le(out, t.shape.size(), 1);
    for (const auto d : t.shape) put_le(out, static_cast<std::uint64_t>(d), 8);
    out.append(4 * t.float_count, '\0');
  }
  const std::uint64_t size = out.size() + 32;
  for (int i = 0; i < 8; ++i) out[12 + i] = static_cast<char>((size >> (8 * i)) & 0xff);
  return out + raw_sha256(out);
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

std::string small_json() {
  auto j = nlohmann::json{{"model", small_config().to_json()},
                          {"train_options", TrainOptions{}.to_json()},
                          {"epoch", 0},
                          {"data_checksum", ""},
                          {"tool_version", kVersion},
                          {"torch_version", "1.13.1"},
                          {"history", nlohmann::json::array()},
                          {"optimizer", nullptr}};
  return j.dump();
}

TEST(CheckpointHostile, ForgeMatchesTheRealWriter) {
  // The forger is only a fair stand-in if a faithful forgery loads.
  const auto tensors = small_tensors();
  const Checkpoint loaded =
      parse_checkpoint(forge(small_json(), tensors, static_cast<std::uint32_t>(tensors.size())), "forged.pt");
  EXPECT_EQ(loaded.meta.model, small_config());
  EXPECT_EQ(loaded.model->parameters()[0].abs().max().item<double>(), 0.0);
}

TEST(CheckpointHostile, HistoryMayHoldNull) {
  // A diverged run's NaN loss is written by nlohmann::json as null; such a
  // checkpoint must still load (train decides what to do with it).
  auto j = nlohmann::json::parse(small_json());
  j["epoch"] = 1;
  j["history"] = {{{"epoch", 1}, {"loss", std::nan("")}, {"val_loss", 0.5}, {"seconds", 1.0}}};
  const auto tensors = small_tensors();
  const Checkpoint loaded =
      parse_checkpoint(forge(j.dump(), tensors, static_cast<std::uint32_t>(tensors.size())), "nan.pt");
  EXPECT_TRUE(loaded.meta.history[0]["loss"].is_null());
}

TEST(CheckpointHostile, EmptyForeignAndTorchSaveFiles) {
  expect_refused("", "empty.pt", {"empty file", "not a tinyae checkpoint"});
  expect_refused("hello, this is text\n", "text.pt",
                 {"not a tinyae checkpoint", "magic \"TINYAEC\\x00\" expected", "found \"hello, t\""});
  expect_refused(std::string("\x7f"
                             "ELF\x02\x01\x01\x00",
                             8),
                 "elf.pt", {"not a tinyae checkpoint", "\\x7fELF"});

  // A real torch::save archive of the same model: a zip file.
  auto t = trained(small_config(), 0, 16);
  const fs::path zip = temp_dir() / "torch_save.pt";
  torch::save(t.model, zip.string());
  const std::string zip_bytes = read_file(zip, 1 << 26);
  expect_refused(zip_bytes, zip.string(),
                 {"not a tinyae checkpoint", "found \"PK\\x03\\x04", "zip archive", "torch::save"});
  const auto message = error_of([&] { load_checkpoint(zip); });
  EXPECT_NE(message.find(zip.string()), std::string::npos) << message;

  const auto missing = error_of([&] { load_checkpoint(temp_dir() / "does_not_exist.pt"); });
  EXPECT_NE(missing.find("does_not_exist.pt"), std::string::npos) << missing;
}

TEST(CheckpointHostile, Truncated) {
  const std::string bytes = small_checkpoint_bytes();
  const std::string size = std::to_string(bytes.size());
  expect_refused(bytes.substr(0, 4), "cut4.pt", {"truncated", "file has 4"});  // a prefix of the magic
  expect_refused(bytes.substr(0, 8), "cut8.pt", {"truncated", "file has 8"});
  expect_refused(bytes.substr(0, 19), "cut19.pt", {"truncated", "file has 19"});
  for (const std::size_t cut :
       {std::size_t{20}, std::size_t{28}, std::size_t{60}, bytes.size() / 2, bytes.size() - 40, bytes.size() - 1}) {
    expect_refused(bytes.substr(0, cut), "cut" + std::to_string(cut) + ".pt",
                   {"truncated: expected " + size + " bytes, file has " + std::to_string(cut)});
  }
  expect_refused(bytes + "junk", "long.pt", {"4 unexpected bytes after the end", "expected " + size + " bytes"});
}

TEST(CheckpointHostile, FlippedBytesFailTheChecksum) {
  const std::string bytes = small_checkpoint_bytes();
  for (const std::size_t at : {std::size_t{30}, bytes.size() / 2, bytes.size() - 33, bytes.size() - 1}) {
    std::string corrupt = bytes;
    corrupt[at] = static_cast<char>(corrupt[at] ^ 0x10);
    expect_refused(corrupt, "flip" + std::to_string(at) + ".pt", {"checksum mismatch", "corrupted", "SHA-256 stored"});
  }
}

TEST(CheckpointHostile, VersionsNotRead) {
  std::string bytes = small_checkpoint_bytes();
  bytes[8] = 2;  // version is checked before the size and hash
  expect_refused(bytes, "future.pt", {"written by a newer tinyae: version 2, this reads 1"});
  bytes[8] = 0;
  expect_refused(bytes, "zero.pt", {"unsupported checkpoint format version 0"});
}

TEST(CheckpointHostile, SealedButInconsistent) {
  const auto tensors = small_tensors();
  const auto count = static_cast<std::uint32_t>(tensors.size());
  const auto json = nlohmann::json::parse(small_json());

  expect_refused(forge("{\"model\": ", tensors, count), "badjson.pt", {"metadata is not valid JSON"});
  expect_refused(forge("[1, 2]", tensors, count), "array.pt", {"metadata: expected a JSON object"});
  auto edited = json;
  edited.erase("epoch");
  expect_refused(forge(edited.dump(), tensors, count), "noepoch.pt", {"missing key \"epoch\""});
  edited = json;
  edited["model"]["hidden"] = {12, 0};
  expect_refused(forge(edited.dump(), tensors, count), "badmodel.pt", {"metadata: model config", "hidden[1]"});
  edited = json;
  edited["extra"] = true;
  expect_refused(forge(edited.dump(), tensors, count), "extra.pt", {"unknown key \"extra\""});
  // Arrays nested 300,000 deep where an object belongs: refused without
  // recursing (nlohmann::json::dump() would overflow the stack). The text is
  // spliced by hand so that the test does not recurse either.
  const std::string deep = std::string(300000, '[') + std::string(300000, ']');
  const std::string plain = small_json();
  const auto splice = [&](const std::string& old_value) {
    std::string text = plain;
    const auto at = text.find(old_value);
    EXPECT_NE(at, std::string::npos) << old_value;
    return text.replace(at, old_value.size(), deep);
  };
  expect_refused(forge(splice(small_config().to_json().dump()), tensors, count), "deep_model.pt",
                 {"metadata: model config: expected a JSON object, found an array of 1 elements"});
  expect_refused(forge(splice(TrainOptions{}.to_json().dump()), tensors, count), "deep_options.pt",
                 {"metadata: train options: expected a JSON object, found an array of 1 elements"});
  std::string deep_history = plain;
  deep_history.replace(deep_history.find("\"history\":[]"), 12, "\"history\":" + deep);
  expect_refused(forge(deep_history, tensors, count), "deep_history.pt",
                 {"each history row must be an object, found an array of 1 elements"});
  edited = json;
  edited["epoch"] = std::string(100000, 'x');  // quoted in the message, but not all of it
  const auto long_message = error_of([&] { parse_checkpoint(forge(edited.dump(), tensors, count), "long_value.pt"); });
  EXPECT_NE(long_message.find("\"epoch\" must be an integer >= 0, found \"xxx"), std::string::npos) << long_message;
  EXPECT_NE(long_message.find("(100002 characters)"), std::string::npos) << long_message;
  EXPECT_LT(long_message.size(), 300u);
  edited = json;
  edited["optimizer"] = {{"name", "adamax"}, {"lr", 0.001},       {"beta1", 0.9},   {"beta2", 0.999},
                         {"eps", 1e-7},      {"weight_decay", 0}, {"steps", {1, 1}}};
  expect_refused(forge(edited.dump(), tensors, count), "steps.pt", {"expected 12 step counts", "found 2"});
  edited["optimizer"]["steps"] = std::vector<int>(12, 0);
  edited["optimizer"]["beta1"] = 1.5;
  expect_refused(forge(edited.dump(), tensors, count), "beta.pt", {"beta1 must be in [0, 1)"});

  auto wrong = tensors;
  wrong[2].shape = {8, 13};  // encoder.2.weight is (8, 12)
  wrong[2].float_count = 8 * 13;
  expect_refused(forge(small_json(), wrong, count), "shape.pt",
                 {"tensor \"encoder.2.weight\" has shape (8, 13), expected (8, 12)"});
  wrong = tensors;
  wrong[3] = wrong[1];  // encoder.0.bias twice, encoder.2.bias missing
  expect_refused(forge(small_json(), wrong, count), "twice.pt", {"tensor \"encoder.0.bias\" appears twice"});
  wrong = tensors;
  wrong.pop_back();
  expect_refused(forge(small_json(), wrong, count - 1), "missing.pt",
                 {"expected 12 tensors for model 20-12-8-4, found 11"});
  expect_refused(forge(small_json(), tensors, 0xffffffffu), "count.pt", {"expected 12 tensors", "found 4294967295"});
  wrong = tensors;
  wrong[0].name = "encoder.1.weight";
  expect_refused(forge(small_json(), wrong, count), "unknown.pt", {"unexpected tensor \"encoder.1.weight\""});
  wrong = tensors;
  wrong[0].shape = {std::int64_t{1} << 62, 20};  // refused before anything is allocated
  expect_refused(forge(small_json(), wrong, count), "huge.pt", {"has shape (4611686018427387904, 20)"});
  wrong = tensors;
  wrong.back().float_count -= 1;  // the last tensor's data runs into the checksum
  expect_refused(forge(small_json(), wrong, count), "short.pt",
                 {"malformed checkpoint", "decoder.4.bias", "needs 80 bytes"});
  wrong = tensors;
  wrong.back().float_count += 1;
  expect_refused(forge(small_json(), wrong, count), "long.pt", {"4 unexpected bytes after the last tensor"});

  // A metadata length larger than the file.
  std::string bytes = forge(small_json(), tensors, count);
  bytes[20] = static_cast<char>(0xff);
  bytes[21] = static_cast<char>(0xff);
  bytes[22] = static_cast<char>(0x3f);
  const std::string body = bytes.substr(0, bytes.size() - 32);
  expect_refused(body + raw_sha256(body), "metalen.pt", {"metadata needs 4194303 bytes"});
}

}  // namespace
}  // namespace tinyae
