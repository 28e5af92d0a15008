// The PlatformIO package (export --package platformio): library.json, the
// library manifest PlatformIO's Library Dependency Finder and registry read
// (docs.platformio.org, "library.json": name and version required). The
// sources are src/, which is also the include folder; examples/ holds the
// Arduino sketch, which PlatformIO builds with framework = arduino.
#include <nlohmann/json.hpp>

#include "export_internal.h"
#include "tinyae/common.h"

namespace tinyae {

std::vector<OutputFile> platformio_package(const PackageContents& c) {
  nlohmann::ordered_json headers = nlohmann::ordered_json::array();
  for (const std::string& header : c.headers) headers.push_back(header);
  const nlohmann::ordered_json library = {
      {"name", c.library},
      {"version", c.version},
      {"description", c.description},
      {"keywords", {"tinyml", "autoencoder", "anomaly-detection", "neural-network", c.number_format}},
      {"authors", {{{"name", "tinyae export"}, {"maintainer", true}}}},
      {"homepage", c.url},
      {"frameworks", "*"},
      {"platforms", "*"},
      {"headers", headers},
      {"build", {{"srcDir", "src"}, {"includeDir", "src"}}},
  };
  return {{"library.json", library.dump(2) + "\n"}};
}

}  // namespace tinyae
