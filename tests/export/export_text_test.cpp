// Unit tests of the exporter's pure parts: scratch size, footprint, C
// identifiers, float literals, comment safety, validation, header text.
// No checkpoint, no MNIST.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "tinyae.h"
#include "tinyae/common.h"
#include "tinyae/export.h"
#include "tinyae/text.h"

namespace tinyae {
namespace {

// A model of the given sizes whose weights are all `value` (enough for
// sizes, footprint and text checks).
ModelToExport model_of_sizes(const std::string& name, const std::vector<std::int64_t>& sizes, float value = 0.0f) {
  ModelToExport model;
  model.name = name;
  model.prefix = name;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    ExportLayer layer;
    layer.in_size = sizes[i];
    layer.out_size = sizes[i + 1];
    layer.activation = Activation::kRelu;
    layer.weights.assign(static_cast<std::size_t>(sizes[i] * sizes[i + 1]), value);
    layer.bias.assign(static_cast<std::size_t>(sizes[i + 1]), value);
    model.layers.push_back(layer);
  }
  return model;
}

// A chain of depth in [2, max_depth] activation sizes, each in [1, max_size].
std::vector<std::int64_t> random_chain(std::mt19937& rng, int max_size, int max_depth) {
  std::vector<std::int64_t> sizes(static_cast<std::size_t>(std::uniform_int_distribution<int>(2, max_depth)(rng)));
  for (auto& s : sizes) s = std::uniform_int_distribution<int>(1, max_size)(rng);
  return sizes;
}

const std::vector<std::int64_t> kEncoderSizes = {784, 128, 64, 32};
const std::vector<std::int64_t> kDecoderSizes = {32, 64, 128, 784};
const std::vector<std::int64_t> kAutoencoderSizes = {784, 128, 64, 32, 64, 128, 784};

TEST(ExportScratch, TutorialModels) {
  EXPECT_EQ(scratch_elements(kEncoderSizes), 192u);      // 128 + 64
  EXPECT_EQ(scratch_elements(kDecoderSizes), 192u);      // 64 + 128
  EXPECT_EQ(scratch_elements(kAutoencoderSizes), 192u);  // 128 + 64
}

TEST(ExportScratch, SmallChains) {
  EXPECT_EQ(scratch_elements({784, 10}), 0u);           // one layer: input -> output directly
  EXPECT_EQ(scratch_elements({5, 3, 2}), 3u);           // one intermediate
  EXPECT_EQ(scratch_elements({1, 10, 1, 10, 1}), 11u);  // pairs 10+1, 1+10
  EXPECT_EQ(scratch_elements({2, 100, 3, 2}), 103u);
  EXPECT_EQ(scratch_elements({}), 0u);
}

// The bound is exact: it is needed (two consecutive intermediates are live
// at once) and sufficient (odd intermediates at the front, even at the back).
TEST(ExportScratch, FrontBackPlacementFitsAndNothingSmallerDoes) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 2000; ++trial) {
    const std::vector<std::int64_t> sizes = random_chain(rng, 300, 9);
    const std::uint64_t scratch = scratch_elements(sizes);
    std::uint64_t needed = 0;
    for (std::size_t i = 1; i + 1 < sizes.size(); ++i) {
      // Intermediate i occupies [0, s) when i is odd, [scratch - s, scratch) when even.
      const auto s = static_cast<std::uint64_t>(sizes[i]);
      ASSERT_LE(s, scratch);
      needed = std::max(needed, s);
      if (i + 2 < sizes.size()) {
        const auto next = static_cast<std::uint64_t>(sizes[i + 1]);
        const std::uint64_t front = (i % 2 == 1) ? s : next;
        const std::uint64_t back = (i % 2 == 1) ? next : s;
        ASSERT_LE(front, scratch - back) << "overlap at intermediate " << i;
        needed = std::max(needed, s + next);
      }
    }
    ASSERT_EQ(scratch, needed);
  }
}

// The exporter computes the scratch size itself; the runtime computes it too.
// They must agree on every chain.
TEST(ExportScratch, AgreesWithTheRuntime) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 500; ++trial) {
    const std::vector<std::int64_t> sizes = random_chain(rng, 1000, 8);
    std::vector<tinyae_layer_f32> layers;
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
      layers.push_back(
          {static_cast<uint16_t>(sizes[i]), static_cast<uint16_t>(sizes[i + 1]), TINYAE_ACT_RELU, nullptr, nullptr});
    }
    const tinyae_model_f32 model = {TINYAE_FORMAT_VERSION,
                                    static_cast<uint16_t>(layers.size()),
                                    layers.data(),
                                    static_cast<uint16_t>(sizes.front()),
                                    static_cast<uint16_t>(sizes.back()),
                                    0};
    ASSERT_EQ(scratch_elements(sizes), tinyae_scratch_floats_f32(&model)) << "trial " << trial;
  }
}

TEST(ExportFootprint, TutorialModelsFloat32) {
  const auto writer = make_header_writer(NumberFormat::kFloat32);
  const Footprint autoencoder = writer->footprint(model_of_sizes("autoencoder", kAutoencoderSizes));
  EXPECT_EQ(autoencoder.weights_bytes, 889536u);  // 222,384 floats
  EXPECT_EQ(autoencoder.weights_bytes / 4, 222384u);
  EXPECT_EQ(autoencoder.scratch_bytes, 768u);
  EXPECT_EQ(autoencoder.macs, 221184u);
  const Footprint encoder = writer->footprint(model_of_sizes("encoder", kEncoderSizes));
  EXPECT_EQ(encoder.weights_bytes, 443264u);  // 110,592 weights + 224 biases
  EXPECT_EQ(encoder.scratch_bytes, 192u * 4);
  EXPECT_EQ(encoder.macs, 110592u);
  const Footprint decoder = writer->footprint(model_of_sizes("decoder", kDecoderSizes));
  EXPECT_EQ(decoder.weights_bytes, 446272u);  // 110,592 weights + 976 biases
  EXPECT_EQ(decoder.scratch_bytes, 768u);
  EXPECT_EQ(decoder.macs, 110592u);
  EXPECT_EQ(encoder.weights_bytes + decoder.weights_bytes, autoencoder.weights_bytes);
}

TEST(ExportFootprint, TableHasOneRowPerModelWithThousandsSeparators) {
  ExportedHeader m;
  m.name = "autoencoder";
  m.footprint = {889536, 768, 221184};
  const std::string table = format_footprint_table({m});
  EXPECT_NE(table.find("weights bytes (flash)"), std::string::npos) << table;
  EXPECT_NE(table.find("scratch bytes (RAM)"), std::string::npos) << table;
  EXPECT_NE(table.find("MACs per inference"), std::string::npos) << table;
  EXPECT_NE(table.find("889,536"), std::string::npos) << table;
  EXPECT_NE(table.find("221,184"), std::string::npos) << table;
}

TEST(ExportFormatVersion, MatchesTheRuntime) { EXPECT_EQ(kHeaderFormatVersion, TINYAE_FORMAT_VERSION); }

TEST(ExportIdentifiers, CIdentifiers) {
  for (const char* good : {"a", "_a", "encoder", "digits_v2", "A1_b2", "x_"})
    EXPECT_TRUE(is_c_identifier(good)) << good;
  for (const char* bad : {"", "1a", "a-b", "a b", "__x", "_X", "a.b", "caf\xc3\xa9", "a*/", "a\n"}) {
    EXPECT_FALSE(is_c_identifier(bad)) << bad;
  }
}

TEST(ExportIdentifiers, SymbolPrefix) {
  EXPECT_EQ(symbol_prefix("", "encoder"), "encoder");
  EXPECT_EQ(symbol_prefix("digits", "encoder"), "digits_encoder");
  EXPECT_EQ(symbol_prefix("digits_", "decoder"), "digits_decoder");
  EXPECT_EQ(symbol_prefix("_x", "autoencoder"), "_x_autoencoder");
  for (const char* bad : {"9abc", "a-b", "a b", "__x", "_Q", "tinyae", "TinyAE_x", "x;int y", "a*/"}) {
    try {
      symbol_prefix(bad, "encoder");
      ADD_FAILURE() << "accepted prefix '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("prefix"), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(symbol_prefix(std::string(kMaxNamePrefixLength + 1, 'a'), "encoder"), Error);
  EXPECT_NO_THROW(symbol_prefix(std::string(kMaxNamePrefixLength, 'a'), "encoder"));
}

TEST(ExportFloatLiteral, KnownValues) {
  EXPECT_EQ(float_literal(1.0f), "1.0f");
  EXPECT_EQ(float_literal(0.0f), "0.0f");
  EXPECT_EQ(float_literal(-0.0f), "-0.0f");
  EXPECT_EQ(float_literal(0.1f), "0.100000001f");
  EXPECT_EQ(float_literal(-2.5f), "-2.5f");
  EXPECT_EQ(float_literal(1e10f), "1e+10f");
  EXPECT_EQ(float_literal(std::numeric_limits<float>::denorm_min()), "1.40129846e-45f");
  EXPECT_THROW(float_literal(std::numeric_limits<float>::quiet_NaN()), Error);
  EXPECT_THROW(float_literal(std::numeric_limits<float>::infinity()), Error);
  EXPECT_THROW(float_literal(-std::numeric_limits<float>::infinity()), Error);
}

// Every literal reads back (as C's strtof does, like a compiler) to the same bits.
TEST(ExportFloatLiteral, RoundTripsBitExactly) {
  std::mt19937 rng(42);
  std::vector<float> values = {std::numeric_limits<float>::max(),
                               std::numeric_limits<float>::min(),
                               std::numeric_limits<float>::lowest(),
                               std::numeric_limits<float>::denorm_min(),
                               std::nextafter(1.0f, 2.0f),
                               16777217.0f,
                               3.4028234e38f};
  for (int i = 0; i < 300000; ++i) {
    const std::uint32_t bits = rng();
    float v;
    std::memcpy(&v, &bits, sizeof v);
    if (std::isfinite(v)) values.push_back(v);
  }
  std::normal_distribution<float> weights(0.0f, 0.05f);  // values like real weights
  for (int i = 0; i < 100000; ++i) values.push_back(weights(rng));
  for (float v : values) {
    const std::string literal = float_literal(v);
    ASSERT_EQ(literal.back(), 'f');
    const float back = std::strtof(literal.c_str(), nullptr);
    ASSERT_EQ(std::memcmp(&back, &v, sizeof v), 0) << literal << " does not read back as " << v;
  }
}

TEST(ExportCommentSafe, NeutralisesCommentEndsAndControlCharacters) {
  const std::string safe = comment_safe("runs/a*/b/*c?\?/d\ne\tf");
  EXPECT_EQ(safe.find("*/"), std::string::npos) << safe;
  EXPECT_EQ(safe.find("/*"), std::string::npos) << safe;
  EXPECT_EQ(safe.find("??"), std::string::npos) << safe;
  EXPECT_EQ(safe.find('\n'), std::string::npos) << safe;
  EXPECT_EQ(safe.find('\t'), std::string::npos) << safe;
  EXPECT_EQ(comment_safe("runs/mnist/model.safetensors"), "runs/mnist/model.safetensors");
}

TEST(ExportValidate, RefusesBrokenModels) {
  ModelToExport chain = model_of_sizes("encoder", {4, 3, 2});
  chain.layers[1].in_size = 5;
  chain.layers[1].weights.resize(10);
  EXPECT_THROW(validate_export_model(chain), Error);

  ModelToExport nan = model_of_sizes("encoder", {4, 3});
  nan.layers[0].weights[5] = std::numeric_limits<float>::quiet_NaN();
  try {
    validate_export_model(nan);
    ADD_FAILURE() << "accepted a NaN weight";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight (1, 1)"), std::string::npos) << e.what();
  }

  ModelToExport short_weights = model_of_sizes("encoder", {4, 3});
  short_weights.layers[0].weights.pop_back();
  EXPECT_THROW(validate_export_model(short_weights), Error);

  ModelToExport too_wide = model_of_sizes("encoder", {4, 3});
  too_wide.layers[0].in_size = 70000;
  EXPECT_THROW(validate_export_model(too_wide), Error);

  ModelToExport bad_golden = model_of_sizes("encoder", {4, 3});
  bad_golden.golden_count = 1;
  bad_golden.golden_inputs.assign(4, 0.0f);
  bad_golden.golden_outputs.assign(2, 0.0f);  // needs 3
  EXPECT_THROW(validate_export_model(bad_golden), Error);

  ModelToExport bad_prefix = model_of_sizes("encoder", {4, 3});
  bad_prefix.prefix = "2x";
  EXPECT_THROW(validate_export_model(bad_prefix), Error);
}

TEST(ExportHeaderText, FollowsTheContract) {
  ModelToExport model = model_of_sizes("encoder", {3, 2, 1}, 0.5f);
  model.prefix = "digits_encoder";
  model.golden_count = 1;
  model.golden_inputs = {0.0f, 1.0f, 2.0f};
  model.golden_outputs = {1.75f};
  Provenance provenance;
  provenance.checkpoint_path = "runs/mnist/model.safetensors";
  provenance.checkpoint_sha256 = std::string(64, 'a');
  provenance.epoch = 50;
  provenance.seed = 42;
  provenance.trained_torch_version = "1.13.0";
  provenance.golden_source = "the first 1 MNIST test images";
  const std::string text = make_header_writer(NumberFormat::kFloat32)->render(model, provenance);
  for (const std::string& expected :
       {std::string("/* Generated by tinyae ") + kVersion + " -- do not edit.\n",
        std::string(" * Model: encoder 3-2-1 (relu, relu)  Number format: float32\n"),
        std::string(" * Checkpoint: runs/mnist/model.safetensors sha256 ") + std::string(64, 'a') +
            "  epoch 50  seed 42  LibTorch 1.13.0\n",
        std::string("#ifndef TINYAE_MODEL_DIGITS_ENCODER_H\n#define TINYAE_MODEL_DIGITS_ENCODER_H\n"),
        std::string("#include \"tinyae.h\"\n"),
        std::string("#if TINYAE_FORMAT_VERSION != 2\n#error \"model_encoder.h was generated for tinyae header format "
                    "2\"\n#endif\n"),
        std::string("#define DIGITS_ENCODER_FORMAT_VERSION 2\n"
                    "#define DIGITS_ENCODER_NUMBER_FORMAT \"float32\"\n"
                    "#define DIGITS_ENCODER_INPUT_SIZE 3\n"
                    "#define DIGITS_ENCODER_OUTPUT_SIZE 1\n"
                    "#define DIGITS_ENCODER_LAYER_COUNT 2\n"
                    "#define DIGITS_ENCODER_SCRATCH_FLOATS 2  "),
        std::string("#define DIGITS_ENCODER_SCRATCH_BYTES (DIGITS_ENCODER_SCRATCH_FLOATS * 4)\n"
                    "#define DIGITS_ENCODER_WEIGHTS_BYTES 44  "),
        std::string("#define DIGITS_ENCODER_MACS 8  "),
        std::string("#define DIGITS_ENCODER_GOLDEN_COUNT 1\n#define DIGITS_ENCODER_CHECKPOINT_SHA256 \"") +
            std::string(64, 'a') + "\"\n#define DIGITS_ENCODER_SEED 42u\n",
        std::string("Weights (out=2, in=3) row-major, as torch::nn::Linear. */\n"
                    "static const float digits_encoder_layer0_weights[2 * 3] TINYAE_ALIGNED = {\n"
                    "    /* row 0 */ 0.5f, 0.5f, 0.5f,\n    /* row 1 */ 0.5f, 0.5f, 0.5f,\n};\n"),
        std::string("static const tinyae_layer_f32 digits_encoder_layers[DIGITS_ENCODER_LAYER_COUNT] = {\n"
                    "    {3, 2, TINYAE_ACT_RELU, digits_encoder_layer0_weights, digits_encoder_layer0_bias},\n"),
        std::string("static const tinyae_model_f32 digits_encoder_model = {\n"
                    "    TINYAE_FORMAT_VERSION, DIGITS_ENCODER_LAYER_COUNT, digits_encoder_layers,\n"
                    "    DIGITS_ENCODER_INPUT_SIZE, DIGITS_ENCODER_OUTPUT_SIZE, DIGITS_ENCODER_SCRATCH_FLOATS};\n"),
        std::string("static const float "
                    "digits_encoder_golden_inputs[DIGITS_ENCODER_GOLDEN_COUNT][DIGITS_ENCODER_INPUT_SIZE] = {\n"
                    "    { /* vector 0 */\n        0.0f, 1.0f, 2.0f,\n    },\n};\n"),
        std::string("static const float "
                    "digits_encoder_golden_outputs[DIGITS_ENCODER_GOLDEN_COUNT][DIGITS_ENCODER_OUTPUT_SIZE] = {\n"
                    "    { /* vector 0 */\n        1.75f,\n    },\n};\n"),
        std::string("#endif /* TINYAE_MODEL_DIGITS_ENCODER_H */\n")}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing:\n" << expected << "\nin:\n" << text;
  }
}

// A model that takes raw readings and has an anomaly threshold: the header
// carries the scaling (macros, arrays, tinyae_scaling), the threshold macro
// with its rule, the raw golden inputs and the host's golden scores.
TEST(ExportHeaderText, ScalingAndAnomalyThreshold) {
  ModelToExport model = model_of_sizes("autoencoder", {4, 2, 4}, 0.5f);
  model.golden_count = 1;
  model.golden_inputs = {0.0f, 1.0f, 0.5f, 0.25f};
  model.golden_outputs = {1.0f, 1.0f, 1.0f, 1.0f};
  model.input_scaling = Scaling{ScalingKind::kZScore, {"humidity", "temp*/"}, {10.0f, -2.0f}, {0.5f, 4.0f}};
  model.raw_input_note = "two sensors";
  model.golden_raw_inputs = {10.0f, -1.75f, 11.0f, -1.9375f};
  model.anomaly = AnomalyThreshold{0.25, "percentile 99 of something"};
  model.golden_scores = {0.4375};
  Provenance provenance;
  provenance.checkpoint_sha256 = std::string(64, 'b');
  const std::string text = make_header_writer(NumberFormat::kFloat32)->render(model, provenance);
  for (const std::string& expected :
       {std::string("Input scaling (zscore)"), std::string(" * Raw readings: two sensors.\n"),
        std::string(" * Features, f = 0 .. 1: humidity, temp* /"), std::string("#define AUTOENCODER_FEATURE_COUNT 2\n"),
        std::string(
            "static const float autoencoder_scaling_offset[AUTOENCODER_FEATURE_COUNT] = {\n    10.0f, -2.0f,\n"),
        std::string("static const float autoencoder_scaling_scale[AUTOENCODER_FEATURE_COUNT] = {\n    0.5f, 4.0f,\n"),
        std::string("static const tinyae_scaling autoencoder_scaling = {AUTOENCODER_FEATURE_COUNT, "
                    "autoencoder_scaling_offset, autoencoder_scaling_scale};\n"),
        std::string(" * Threshold: percentile 99 of something */\n"
                    "#define AUTOENCODER_ANOMALY_THRESHOLD 0.25f  /* model units */\n"),
        std::string("static const float "
                    "autoencoder_golden_raw_inputs[AUTOENCODER_GOLDEN_COUNT][AUTOENCODER_INPUT_SIZE] = {\n"
                    "    { /* vector 0 */\n        10.0f, -1.75f, 11.0f, -1.9375f,\n"),
        std::string("static const float autoencoder_golden_scores[AUTOENCODER_GOLDEN_COUNT] = {\n    0.4375f,\n")}) {
    EXPECT_NE(text.find(expected), std::string::npos) << "missing:\n" << expected << "\nin:\n" << text;
  }

  // Each broken field is refused with a message naming the model and the field.
  const auto refused = [&](const ModelToExport& broken, const std::vector<std::string>& parts) {
    try {
      validate_export_model(broken);
      ADD_FAILURE() << "accepted a model that should fail with " << parts.back();
    } catch (const Error& e) {
      for (const std::string& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  ModelToExport short_raw = model;
  short_raw.golden_raw_inputs.pop_back();
  refused(short_raw, {"autoencoder", "raw golden input"});
  ModelToExport three_offsets = model;
  three_offsets.input_scaling->offset = {1.0f, 2.0f, 3.0f};
  refused(three_offsets, {"autoencoder", "input scaling", "3 offsets"});
  ModelToExport negative = model;
  negative.anomaly->threshold = -1.0;
  refused(negative, {"autoencoder", "anomaly threshold"});
  ModelToExport no_scores = model;
  no_scores.golden_scores.clear();
  refused(no_scores, {"autoencoder", "golden scores"});
}

TEST(ExportHeaderText, NoGoldenVectorsMeansNoGoldenArrays) {
  const ModelToExport model = model_of_sizes("decoder", {2, 3});
  const std::string text = make_header_writer(NumberFormat::kFloat32)->render(model, Provenance{});
  EXPECT_NE(text.find("#define DECODER_GOLDEN_COUNT 0\n"), std::string::npos);
  EXPECT_EQ(text.find("decoder_golden_inputs"), std::string::npos);
  EXPECT_NE(text.find("#define DECODER_SCRATCH_FLOATS 0"), std::string::npos);
}

TEST(ExportHeaderText, RefusesANonHexChecksum) {
  Provenance provenance;
  provenance.checkpoint_sha256 = "abc\"); evil(";
  EXPECT_THROW(make_header_writer(NumberFormat::kFloat32)->render(model_of_sizes("encoder", {2, 3}), provenance),
               Error);
}

TEST(ExportNumberFormat, ParsesAndNames) {
  EXPECT_EQ(parse_number_format("float32").format, NumberFormat::kFloat32);
  EXPECT_EQ(number_format_name(NumberFormat::kFloat32), "float32");
  EXPECT_THROW(parse_number_format("float16"), Error);
}

TEST(ExportEmbeddedRuntime, HoldsTheRuntimeSourcesByteForByte) {
  for (const NumberFormatInfo& format : number_formats()) {
    for (const std::string& name : runtime_files(format)) {
      const EmbeddedFile* found = nullptr;
      for (const EmbeddedFile& file : embedded_runtime_files()) {
        if (file.name == name) found = &file;
      }
      ASSERT_NE(found, nullptr) << name << " is not embedded";
      const std::string on_disk =
          read_file(std::filesystem::path(TINYAE_SOURCE_DIR) / "src" / "runtime" / name, 1 << 20);
      EXPECT_TRUE(found->contents == on_disk)
          << name << ": embedded copy (" << found->contents.size() << " bytes) differs from src/runtime ("
          << on_disk.size() << " bytes); rebuild tinyae";
    }
  }
}

// A header writer reads its format's facts from the number-format table.
TEST(ExportNumberFormat, EveryFormatHasAWriterThatKnowsItsRow) {
  for (const NumberFormatInfo& format : number_formats()) {
    EXPECT_EQ(&make_header_writer(format.format)->format(), &format) << format.name;
    EXPECT_EQ(runtime_files(format).back(), format.runtime_source) << format.name;
  }
}

TEST(ExportArduino, LibraryPropertiesAndSketch) {
  const std::string properties =
      render_library_properties("tinyae_models", "0.1.7", "https://example.com/x", "model_autoencoder.h");
  for (const char* key :
       {"name=tinyae_models\n", "version=0.1.7\n", "author=", "maintainer=", "sentence=", "paragraph=", "category=",
        "url=https://example.com/x\n", "architectures=samd,", "includes=model_autoencoder.h\n"}) {
    EXPECT_NE(properties.find(key), std::string::npos) << key;
  }
  // An explicit list of the cores the runtime suits: not every core, not AVR.
  EXPECT_EQ(properties.find("architectures=*"), std::string::npos);
  EXPECT_EQ(properties.find("avr"), std::string::npos);
  EXPECT_THROW(render_library_properties("9 lives", "0.1.7", "https://example.com/x", "x.h"), Error);
  EXPECT_THROW(render_library_properties("a/b", "0.1.7", "https://example.com/x", "x.h"), Error);
  EXPECT_THROW(render_library_properties("tinyae_models", "0.1.7", "", "x.h"), Error);
  EXPECT_THROW(render_library_properties("tinyae_models", "0.1.7", "not a url", "x.h"), Error);

  const std::string sketch =
      render_arduino_sketch(model_of_sizes("autoencoder", {4, 2, 4}), number_format_info(NumberFormat::kFloat32));
  for (const char* part :
       {"#include <model_autoencoder.h>", "tinyae_run_f32(&autoencoder_model", "\"Expected = \"", "\", predicted = \"",
        "micros()", "void setup()", "void loop()", "while (!Serial && millis() - start < 3000)"}) {
    EXPECT_NE(sketch.find(part), std::string::npos) << part;
  }
}

TEST(ExportPackages, NamesAndVersions) {
  EXPECT_EQ(parse_packages("all"), all_packages());
  EXPECT_TRUE(parse_packages("none").empty());
  EXPECT_EQ(parse_packages("cmake,arduino"), (std::vector<Package>{Package::kCMake, Package::kArduino}));
  for (const char* bad : {"", "cmake,", "arduino,arduino", "make", "all,cmake"}) {
    EXPECT_THROW(parse_packages(bad), Error) << bad;
  }
  for (const Package p : all_packages()) EXPECT_EQ(parse_packages(package_name(p)), std::vector<Package>{p});
}

}  // namespace
}  // namespace tinyae
