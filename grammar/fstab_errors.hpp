// Human messages for every rule of grammar/fstab.hpp that can raise.
#pragma once

#include "grammar/fstab.hpp"

namespace corral::grammar::fstab {

template <typename Rule>
inline constexpr const char* error_message = nullptr;

template <>
inline constexpr const char* error_message<target_field> =
    "expected the mount target (field 2): a mount line reads 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'";
template <>
inline constexpr const char* error_message<fstype_field> =
    "expected the filesystem type (field 3): a mount line reads 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'";
template <>
inline constexpr const char* error_message<options_field> =
    "expected the mount options (field 4): a mount line reads 'SOURCE TARGET TYPE OPTIONS [FREQ [PASSNO]]'";

}  // namespace corral::grammar::fstab
