// Small text helpers (see include/tinyae/text.h).
#include "tinyae/text.h"

#include <cerrno>
#include <cstring>

namespace tinyae {

namespace {

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool is_c_identifier(std::string_view text) {
  if (text.empty() || !(is_ascii_letter(text[0]) || text[0] == '_')) return false;
  for (char c : text) {
    if (!(is_ascii_letter(c) || is_ascii_digit(c) || c == '_')) return false;
  }
  // C99 7.1.3: identifiers starting with "__" or "_" + upper-case are reserved.
  return !(text.size() >= 2 && text[0] == '_' && (text[1] == '_' || (text[1] >= 'A' && text[1] <= 'Z')));
}

std::string upper_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string hex_encode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * bytes.size());
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    hex += kHex[u >> 4];
    hex += kHex[u & 15];
  }
  return hex;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace tinyae
