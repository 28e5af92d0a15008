// The kinds table, their options as JSON, and the input corruption of the
// denoising kind (see include/tinyae/model_kind.h).
#include "tinyae/model_kind.h"

#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

constexpr KindRow kKindRows[] = {
    {ModelKind::kVanilla, "vanilla", nullptr, "Loss (MSE)", false, false, "MSE(model(x), x)"},
    {ModelKind::kSparse, "sparse", "l1_penalty", "Loss (MSE + penalty)", false, false,
     "MSE(model(x), x) + sparsity * mean over images of the L1 norm of the latent code"},
    {ModelKind::kDenoising, "denoising", nullptr, "Loss (MSE)", true, false, "MSE(model(corrupt(x)), x)"},
    {ModelKind::kVariational, "variational", "kl", "Loss (BCE + KL, nats per image)", false, true,
     "binary cross-entropy of decode(z) summed over the inputs + kl_weight * KL(N(mu, sigma^2) || N(0, I)), per "
     "image, z = mu + sigma * eps sampled"},
};

struct NoiseRow {
  NoiseType noise;
  const char* name;
};
constexpr NoiseRow kNoiseRows[] = {{NoiseType::kGaussian, "gaussian"}, {NoiseType::kMask, "mask"}};

}  // namespace

const KindRow& kind_row(ModelKind kind) {
  for (const KindRow& row : kKindRows) {
    if (row.kind == kind) return row;
  }
  throw Error("unknown model kind value " + std::to_string(static_cast<int>(kind)));
}

std::string kind_names() {
  std::string names;
  for (const KindRow& row : kKindRows) names += (names.empty() ? "" : ", ") + std::string(row.name);
  return names;
}

ModelKind parse_kind(const std::string& name) {
  for (const KindRow& row : kKindRows) {
    if (name == row.name) return row.kind;
  }
  throw Error("unknown kind \"" + printable(name) + "\"; valid kinds: " + kind_names());
}

const char* noise_name(NoiseType noise) {
  for (const NoiseRow& row : kNoiseRows) {
    if (row.noise == noise) return row.name;
  }
  throw Error("unknown noise value " + std::to_string(static_cast<int>(noise)));
}

NoiseType parse_noise(const std::string& name) {
  for (const NoiseRow& row : kNoiseRows) {
    if (name == row.name) return row.noise;
  }
  throw Error("unknown noise \"" + printable(name) + "\"; valid noises: gaussian, mask");
}

void KindOptions::validate() const {
  const std::string kind_name = kind_row(kind).name;
  if (kind == ModelKind::kSparse) {
    if (!(sparsity > 0 && sparsity <= kMaxSparsity)) {
      throw Error(fmt::format("sparsity must be a number in (0, {}], got {}", kMaxSparsity, sparsity));
    }
  } else if (sparsity != 0) {
    throw Error(fmt::format("sparsity applies to kind sparse only, not to kind {}", kind_name));
  }
  if (kind == ModelKind::kDenoising) {
    noise_name(noise);  // throws on a value outside the enum
    const double max = noise == NoiseType::kGaussian ? kMaxGaussianNoise : 1;
    const bool ok = noise_level > 0 && (noise == NoiseType::kGaussian ? noise_level <= max : noise_level < max);
    if (!ok) {
      throw Error(fmt::format("noise level of {} noise must be a number in (0, {}{}, got {}", noise_name(noise), max,
                              noise == NoiseType::kGaussian ? "]" : ")", noise_level));
    }
  } else if (noise_level != 0 || noise != NoiseType::kGaussian) {
    throw Error(fmt::format("noise and noise level apply to kind denoising only, not to kind {}", kind_name));
  }
  if (kind == ModelKind::kVariational) {
    if (!(kl_weight > 0 && kl_weight <= kMaxKlWeight)) {
      throw Error(fmt::format("KL weight must be a number in (0, {}], got {}", kMaxKlWeight, kl_weight));
    }
  } else if (kl_weight != 0) {
    throw Error(fmt::format("KL weight applies to kind variational only, not to kind {}", kind_name));
  }
}

nlohmann::json KindOptions::to_json() const {
  nlohmann::json j = {{"name", kind_row(kind).name}};
  if (kind == ModelKind::kSparse) j["sparsity"] = sparsity;
  if (kind == ModelKind::kDenoising) {
    j["noise"] = noise_name(noise);
    j["noise_level"] = noise_level;
  }
  if (kind == ModelKind::kVariational) j["kl_weight"] = kl_weight;
  return j;
}

KindOptions KindOptions::from_json(const nlohmann::json& j, const std::string& where) {
  const JsonObject object(j, where);
  KindOptions options;
  try {
    options.kind = parse_kind(object.string("name"));
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  switch (options.kind) {
    case ModelKind::kVanilla:
      object.refuse_unknown_keys({"name"});
      break;
    case ModelKind::kSparse:
      object.refuse_unknown_keys({"name", "sparsity"});
      options.sparsity = object.real("sparsity");
      break;
    case ModelKind::kDenoising:
      object.refuse_unknown_keys({"name", "noise", "noise_level"});
      try {
        options.noise = parse_noise(object.string("noise"));
      } catch (const Error& e) {
        throw Error(where + ": " + e.what());
      }
      options.noise_level = object.real("noise_level");
      break;
    case ModelKind::kVariational:
      object.refuse_unknown_keys({"name", "kl_weight"});
      options.kl_weight = object.real("kl_weight");
      break;
  }
  try {
    options.validate();
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return options;
}

std::string KindOptions::describe() const {
  switch (kind) {
    case ModelKind::kVanilla:
      return "vanilla";
    case ModelKind::kSparse:
      return fmt::format("sparse (sparsity {})", sparsity);
    case ModelKind::kDenoising:
      return fmt::format("denoising ({} noise, level {})", noise_name(noise), noise_level);
    case ModelKind::kVariational:
      return fmt::format("variational (KL weight {})", kl_weight);
  }
  return kind_row(kind).name;
}

bool KindOptions::operator==(const KindOptions& other) const {
  return kind == other.kind && sparsity == other.sparsity && noise == other.noise && noise_level == other.noise_level &&
         kl_weight == other.kl_weight;
}

void corrupt(const KindOptions& options, bool clip_to_unit, const torch::Tensor& x, torch::Tensor& out,
             at::Generator& generator) {
  torch::NoGradGuard no_grad;
  if (options.kind != ModelKind::kDenoising) {
    out.copy_(x);
    return;
  }
  switch (options.noise) {
    case NoiseType::kGaussian:
      out.normal_(0, options.noise_level, generator);
      out.add_(x);
      if (clip_to_unit) out.clamp_(0, 1);
      return;
    case NoiseType::kMask:
      out.bernoulli_(1 - options.noise_level, generator);  // 1 = kept
      out.mul_(x);
      return;
  }
}

}  // namespace tinyae
