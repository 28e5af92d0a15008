// manifest.json (see include/tinyae/manifest.h).
//
// from_json checks the document, which must accept every folder export
// writes (an Arduino library's headers live in src/, --golden 0 writes no
// golden vectors); read_manifest adds what building the folder's self-test
// needs (headers beside the manifest, at least one golden vector, the
// runtime files).
#include "tinyae/manifest.h"

#include <algorithm>
#include <cctype>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"
#include "tinyae/text.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kMaxManifestBytes = 1 << 20;
constexpr std::size_t kSha256HexDigits = 64;

ManifestModel model_from_json(const JsonObject& j) {
  j.refuse_unknown_keys({"name", "header", "prefix", "input_size", "output_size", "golden_count", "weights_bytes",
                         "scratch_bytes", "macs"});
  ManifestModel m;
  m.name = j.string("name");
  m.prefix = j.string("prefix");
  if (!is_c_identifier(m.name) || !is_c_identifier(m.prefix)) {
    throw Error(j.where() + ": name \"" + printable(m.name) + "\" / prefix \"" + printable(m.prefix) +
                "\" should be C identifiers");
  }
  m.header = j.string("header");
  // It is #include'd by generated C: printable, no quote or backslash.
  const bool plain_text = std::all_of(m.header.begin(), m.header.end(), [](char c) {
    return std::isprint(static_cast<unsigned char>(c)) && c != '"' && c != '\\';
  });
  if (m.header.empty() || !plain_text) {
    throw Error(j.where() + ": header \"" + printable(m.header) + "\" should be a file name in the folder");
  }
  m.input_size = j.integer("input_size", 1);
  m.output_size = j.integer("output_size", 1);
  m.golden_count = j.integer("golden_count", 0);
  m.weights_bytes = j.integer("weights_bytes", 0);
  m.scratch_bytes = j.integer("scratch_bytes", 0);
  m.macs = j.integer("macs", 0);
  return m;
}

}  // namespace

nlohmann::ordered_json Manifest::to_json() const {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ManifestModel& m : models) {
    list.push_back({{"name", m.name},
                    {"header", m.header},
                    {"prefix", m.prefix},
                    {"input_size", m.input_size},
                    {"output_size", m.output_size},
                    {"golden_count", m.golden_count},
                    {"weights_bytes", m.weights_bytes},
                    {"scratch_bytes", m.scratch_bytes},
                    {"macs", m.macs}});
  }
  return {{"tinyae_version", tinyae_version},
          {"header_format_version", header_format_version},
          {"number_format", number_format_name(number_format)},
          {"checkpoint_sha256", checkpoint_sha256},
          {"models", list}};
}

Manifest Manifest::from_json(std::string_view text, const std::string& where) {
  const nlohmann::json document = parse_json(text, where);
  const JsonObject j(document, where);
  Manifest m;
  // The version first: a newer manifest may well have other keys.
  m.header_format_version = j.integer("header_format_version");
  if (m.header_format_version != kHeaderFormatVersion) {
    throw Error(where + ": header_format_version " + std::to_string(m.header_format_version) +
                ", this tinyae reads version " + std::to_string(kHeaderFormatVersion) + "; re-export with this tinyae");
  }
  j.refuse_unknown_keys({"tinyae_version", "header_format_version", "number_format", "checkpoint_sha256", "models"});
  m.tinyae_version = j.string("tinyae_version");
  const std::string format = j.string("number_format");
  try {
    m.number_format = parse_number_format(format).format;
  } catch (const Error& e) {
    throw Error(where + ": number_format: " + e.what());
  }
  m.checkpoint_sha256 = j.string("checkpoint_sha256");
  if (m.checkpoint_sha256.size() != kSha256HexDigits ||
      !std::all_of(m.checkpoint_sha256.begin(), m.checkpoint_sha256.end(),
                   [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); })) {
    throw Error(where + ": checkpoint_sha256 \"" + printable(m.checkpoint_sha256) + "\" should be 64 hex digits");
  }
  const nlohmann::json& models = j.array("models");
  if (models.empty()) throw Error(where + ": \"models\" should be a non-empty array");
  for (std::size_t i = 0; i < models.size(); i++) {
    m.models.push_back(model_from_json(JsonObject(models[i], where + " models[" + std::to_string(i) + "]")));
  }
  return m;
}

fs::path Manifest::source_folder() const {
  return models.empty() ? fs::path() : fs::path(models.front().header).parent_path();
}

Manifest read_manifest(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error("headers folder '" + dir.string() + "' " +
                (fs::exists(dir, ec) ? "is a file, not a folder" : "does not exist") + "; run 'tinyae export --out " +
                dir.string() + "' first");
  }
  const fs::path path = dir / kManifestFile;
  if (!fs::exists(path, ec)) {
    throw Error("'" + path.string() + "' not found: is '" + dir.string() + "' a folder written by 'tinyae export'?");
  }
  const std::string where = "'" + path.string() + "'";
  Manifest m = Manifest::from_json(read_file(path, kMaxManifestBytes), where);
  for (std::size_t i = 0; i < m.models.size(); i++) {
    const ManifestModel& model = m.models[i];
    const std::string at = where + ": models[" + std::to_string(i) + "]";
    if (model.golden_count < 1) {
      throw Error(at + " (" + model.name + ") has no golden vectors; the firmware needs at least one to check");
    }
    const fs::path header(model.header);
    const bool in_folder = header.parent_path().empty() || header.parent_path() == kPackageSourceFolder;
    if (!in_folder || header.filename().empty() || header.filename() == ".." || header.filename() == "." ||
        header.parent_path() != m.source_folder()) {
      throw Error(at + " header \"" + printable(model.header) + "\" should be a plain file name in the folder" +
                  (i > 0 ? " of the first header, '" + m.source_folder().string() + "'" : std::string()) + " (or in " +
                  kPackageSourceFolder + "/)");
    }
    if (!fs::is_regular_file(dir / model.header, ec)) {
      throw Error("'" + (dir / model.header).string() + "' (listed in the manifest for " + model.name + ") not found");
    }
  }
  for (std::string_view needed : {std::string_view("tinyae.h"), number_format_info(m.number_format).runtime_source}) {
    if (!fs::is_regular_file(dir / m.source_folder() / needed, ec)) {
      throw Error("'" + (dir / m.source_folder() / needed).string() +
                  "' not found: the runtime is copied there by 'tinyae export'");
    }
  }
  return m;
}

}  // namespace tinyae
