// Writes the seed corpora the fuzz targets start from (tools/fuzz.sh runs it
// into the work folder before fuzzing, so the seeds always match the current
// formats):
//   OUT/idx/         small valid IDX files (images and labels), raw
//   OUT/idx_file/    the same, gzip-compressed, plus one raw
//   OUT/checkpoint/  checkpoints (model.safetensors) of tiny models, with and
//                    without optimizer state (a full-size MNIST checkpoint is
//                    2.6 MB, too big to mutate usefully); tiny_trained is also
//                    tests/hostile/inputs/model_with_4_inputs.safetensors
// Usage: fuzz_make_seeds OUT
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "tinyae/adamax.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/data.h"

namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw tinyae::Error("cannot write " + path.string());
}

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// IDX with magic and dims, data byte i = i * 37 (mod 256).
std::string idx(std::uint32_t magic, const std::vector<std::uint32_t>& dims) {
  std::string bytes = be32(magic);
  std::size_t count = 1;
  for (std::uint32_t d : dims) {
    bytes += be32(d);
    count *= d;
  }
  for (std::size_t i = 0; i < count; ++i) bytes += static_cast<char>(i * 37);
  return bytes;
}

std::string gzip(const std::string& bytes) {
  std::string out(compressBound(static_cast<uLong>(bytes.size())) + 64, '\0');
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);  // +16: gzip wrapper
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = static_cast<uInt>(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string checkpoint(const tinyae::ModelConfig& config, int optimizer_steps) {
  torch::manual_seed(1);
  tinyae::Autoencoder model(config);
  tinyae::Adamax optimizer(model->parameters());
  for (int s = 0; s < optimizer_steps; ++s) {
    optimizer.zero_grad();
    const torch::Tensor x = torch::rand({2, config.input_size});  // (2, input)
    torch::mse_loss(model->forward(x), x).backward();
    optimizer.step();
  }
  tinyae::CheckpointMeta meta;
  meta.model = config;
  meta.options.epochs = 2;
  meta.epoch = optimizer_steps > 0 ? 1 : 0;
  meta.data_checksum = std::string(64, 'a');
  meta.tool_version = tinyae::kVersion;
  meta.torch_version = "1.13.1";
  if (optimizer_steps > 0) meta.history = {tinyae::EpochResult{1, 0.5, 0.25, 1.5, 2}};
  return tinyae::serialize_checkpoint(meta, model, optimizer_steps >= 0 ? &optimizer : nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds OUT\n";
    return 2;
  }
  try {
    const fs::path out = argv[1];
    const std::string images = idx(tinyae::kIdxImagesMagic, {3, 4, 5});
    const std::string labels = idx(tinyae::kIdxLabelsMagic, {7});
    write(out / "idx" / "images_3x4x5", images);
    write(out / "idx" / "labels_7", labels);
    write(out / "idx_file" / "images_3x4x5.gz", gzip(images));
    write(out / "idx_file" / "labels_7.gz", gzip(labels));
    write(out / "idx_file" / "images_3x4x5.raw", images);
    write(out / "idx_file" / "two_members.gz", gzip(images.substr(0, 10)) + gzip(images.substr(10)));

    tinyae::ModelConfig tiny;
    tiny.input_size = 4;
    tiny.hidden = {3};
    tiny.latent_size = 2;
    write(out / "checkpoint" / "tiny_no_optimizer.safetensors", checkpoint(tiny, -1));
    write(out / "checkpoint" / "tiny_fresh_optimizer.safetensors", checkpoint(tiny, 0));
    write(out / "checkpoint" / "tiny_trained.safetensors", checkpoint(tiny, 2));
    tinyae::ModelConfig flat = tiny;
    flat.hidden = {};
    flat.activation = tinyae::Activation::kTanh;
    flat.output_activation = tinyae::Activation::kSigmoid;
    write(out / "checkpoint" / "flat_trained.safetensors", checkpoint(flat, 1));
  } catch (const std::exception& e) {
    std::cerr << "fuzz_make_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
