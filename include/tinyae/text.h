// Small text helpers with no LibTorch, used by the exporter, deploy and the
// common code alike: C identifiers, ASCII upper case, hex digits, errno.
#pragma once

#include <string>
#include <string_view>

namespace tinyae {

// [A-Za-z_][A-Za-z0-9_]*, ASCII only, not reserved (no leading "__" or "_" +
// upper-case, C99 7.1.3).
bool is_c_identifier(std::string_view text);

// ASCII upper case: the macro form of a symbol prefix ("digits_encoder" ->
// "DIGITS_ENCODER"); other bytes are left alone, whatever the locale.
std::string upper_case(std::string_view text);

// ASCII lower case.
std::string lower_case(std::string_view text);

// Every byte as two lowercase hex digits.
std::string hex_encode(std::string_view bytes);

// strerror(errno), for the reason part of an error message.
std::string errno_text();

}  // namespace tinyae
