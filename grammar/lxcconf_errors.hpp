// Human messages for every rule of grammar/lxcconf.hpp that can raise.
#pragma once

#include "grammar/lxcconf.hpp"

namespace corral::grammar::lxcconf {

template <typename Rule>
inline constexpr const char* error_message = nullptr;

template <>
inline constexpr const char* error_message<equals> =
    "expected '=' after the key: a line starting with 'lxc.' must read 'lxc.KEY = VALUE'";
template <>
inline constexpr const char* error_message<pegtl::star<blank>> = "internal: blanks cannot fail";
template <>
inline constexpr const char* error_message<value> = "internal: a value cannot fail";
template <>
inline constexpr const char* error_message<pegtl::eof> = "internal: expected the end of the file";

}  // namespace corral::grammar::lxcconf
