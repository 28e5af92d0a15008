// See snapshot.h.
#include "snapshot.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace tinyae::test {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> snapshot(const fs::path& dir) {
  std::vector<std::string> entries;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return entries;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path relative = fs::relative(it->path(), dir, ec);
    if (it->is_symlink(ec)) {
      entries.push_back(relative.string() + " -> link");
    } else if (it->is_directory(ec)) {
      entries.push_back(relative.string() + "/");
    } else {
      entries.push_back(relative.string() + " " + std::to_string(it->is_regular_file(ec) ? it->file_size(ec) : 0));
    }
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::string snapshot_diff(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::string text;
  for (const auto& e : after) {
    if (!std::binary_search(before.begin(), before.end(), e)) text += "  + " + e + "\n";
  }
  for (const auto& e : before) {
    if (!std::binary_search(after.begin(), after.end(), e)) text += "  - " + e + "\n";
  }
  return text;
}

}  // namespace tinyae::test
