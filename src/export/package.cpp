// The package table: one row per build system, its name and its writer
// (package_<name>.cpp); what the manifests share (name, version, files) is
// PackageContents, filled once by export_models().
#include <algorithm>
#include <regex>
#include <set>

#include "export_internal.h"
#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {

namespace {

using PackageWriter = std::vector<OutputFile> (*)(const PackageContents&);

struct PackageRow {
  Package package;
  const char* name;
  PackageWriter write;
};

// ESP-IDF before plain CMake: both write CMakeLists.txt, and the ESP-IDF part
// must come first (it returns before the plain part inside an ESP-IDF build).
const PackageRow kPackages[] = {
    {Package::kArduino, "arduino", arduino_package}, {Package::kPlatformIO, "platformio", platformio_package},
    {Package::kEspIdf, "esp-idf", esp_idf_package},  {Package::kZephyr, "zephyr", zephyr_package},
    {Package::kCMake, "cmake", cmake_package},
};

std::string package_choices() {
  std::string text;
  for (const PackageRow& row : kPackages) text += std::string(text.empty() ? "" : ", ") + row.name;
  return text + ", all or none";
}

}  // namespace

std::vector<Package> all_packages() {
  std::vector<Package> packages;
  for (const PackageRow& row : kPackages) packages.push_back(row.package);
  return packages;
}

std::string package_name(Package package) {
  for (const PackageRow& row : kPackages) {
    if (row.package == package) return row.name;
  }
  throw Error("unknown package " + std::to_string(static_cast<int>(package)));
}

std::vector<Package> parse_packages(std::string_view list) {
  if (list == "all") return all_packages();
  if (list == "none") return {};
  std::vector<Package> chosen;
  std::set<std::string> seen;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = list.find(',', begin);
    const std::string name(
        list.substr(begin, comma == std::string_view::npos ? std::string_view::npos : comma - begin));
    const PackageRow* row = nullptr;
    for (const PackageRow& r : kPackages) {
      if (name == r.name) row = &r;
    }
    if (row == nullptr) {
      throw Error("unknown package '" + printable(name) + "' in '" + printable(std::string(list)) + "': expected " +
                  package_choices());
    }
    if (!seen.insert(name).second) throw Error("package '" + name + "' is named twice in '" + std::string(list) + "'");
    chosen.push_back(row->package);
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return chosen;
}

std::string package_version(std::string_view headers_text) {
  const std::string hash = sha256_hex(headers_text);
  const unsigned long n = std::stoul(hash.substr(0, 7), nullptr, 16);
  const std::string tool(kVersion);
  return tool.substr(0, tool.rfind('.')) + "." + std::to_string(n);
}

std::vector<std::pair<std::string, std::string>> runtime_symbols(std::string_view tinyae_h) {
  // "} tinyae_model_f32;" (types), "tinyae_run_f32(" (functions), "TINYAE_OK" (constants).
  static const std::regex symbol(R"((?:\}\s*(tinyae_\w+)\s*;)|(?:\b(tinyae_\w+)\s*\()|(?:\b(TINYAE_[A-Z0-9_]+)\b))");
  static const char* const kKinds[] = {"", "type", "function", "constant"};
  std::vector<std::pair<std::string, std::string>> symbols;
  std::set<std::string> seen;
  const std::string text(tinyae_h);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), symbol); it != std::sregex_iterator(); ++it) {
    for (int group = 1; group <= 3; ++group) {
      const std::string name = (*it)[group].str();
      const bool include_guard = group == 3 && name.size() > 2 && name.compare(name.size() - 2, 2, "_H") == 0;
      if ((*it)[group].matched && !include_guard && seen.insert(name).second) {
        symbols.emplace_back(name, kKinds[group]);
      }
    }
  }
  return symbols;
}

namespace {

// The library's name: "tinyae_models", or "tinyae_<prefix>_models".
std::string library_name(const std::string& name_prefix) {
  return name_prefix.empty() ? std::string("tinyae_models") : "tinyae_" + symbol_prefix(name_prefix, "models");
}

}  // namespace

std::vector<OutputFile> export_package_files(const ExportOptions& options, const std::vector<OutputFile>& sources,
                                             const std::vector<ModelToExport>& models, const NumberFormatInfo& format) {
  if (options.packages.empty()) return {};
  PackageContents c;
  c.library = library_name(options.name_prefix);
  c.url = options.url;
  c.number_format = format.name;
  const ModelToExport& autoencoder = models.back();
  c.description = std::string(format.name) + " encoder, decoder and autoencoder (" +
                  std::to_string(autoencoder.input_size()) + " inputs, latent " +
                  std::to_string(models.front().output_size()) + ") exported by tinyae, with its C99 runtime";
  c.main_header = "model_" + autoencoder.name + ".h";
  std::string headers_text;
  for (const OutputFile& file : sources) {
    const std::string name = file.path.filename().string();
    if (file.path.extension() == ".c") {
      c.sources.push_back(name);
    } else {
      c.headers.push_back(name);
      if (name.rfind("model_", 0) == 0) headers_text += file.contents;
      if (name == "tinyae.h") c.runtime_symbols = runtime_symbols(file.contents);
    }
  }
  c.version = package_version(headers_text);
  for (const ModelToExport& m : models) c.model_prefixes.push_back(m.prefix);
  std::vector<OutputFile> files = package_files(options.packages, c);
  const bool sketch = std::any_of(options.packages.begin(), options.packages.end(),
                                  [](Package p) { return p == Package::kArduino || p == Package::kPlatformIO; });
  if (sketch) {
    files.push_back({std::filesystem::path("examples") / "tinyae_autoencoder" / "tinyae_autoencoder.ino",
                     render_arduino_sketch(autoencoder, format, &models.front())});
  }
  return files;
}

std::vector<OutputFile> package_files(const std::vector<Package>& chosen, const PackageContents& contents) {
  std::vector<OutputFile> files;
  for (const PackageRow& row : kPackages) {
    if (std::find(chosen.begin(), chosen.end(), row.package) == chosen.end()) continue;
    for (OutputFile& file : row.write(contents)) {
      auto same = std::find_if(files.begin(), files.end(), [&](const OutputFile& f) { return f.path == file.path; });
      if (same == files.end()) {
        files.push_back(std::move(file));
      } else {
        same->contents += "\n" + file.contents;
      }
    }
  }
  return files;
}

}  // namespace tinyae
