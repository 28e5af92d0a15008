// Helpers shared by the exporter's source files (not part of the public API).
#pragma once

#include <string>
#include <string_view>

namespace tinyae {

// `text` if it is all hexadecimal digits (a checksum about to go into a C
// string literal); throws tinyae::Error otherwise.
std::string checked_hex(const std::string& text);

// ASCII upper case: the macro form of a symbol prefix.
std::string upper_case(std::string_view text);

}  // namespace tinyae
