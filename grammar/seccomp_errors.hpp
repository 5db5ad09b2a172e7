// Human messages for every rule of grammar/seccomp.hpp that can raise.
#pragma once

#include "grammar/seccomp.hpp"

namespace corral::grammar::seccomp {

template <typename Rule>
inline constexpr const char* error_message = nullptr;

template <>
inline constexpr const char* error_message<version_number> =
    "expected the policy version, 1 or 2, at the start of the file";
template <>
inline constexpr const char* error_message<header_present> =
    "the policy ends after its version: expected the policy type ('denylist' or 'allowlist') on the next line";
template <>
inline constexpr const char* error_message<has_allowlist> = "a version 1 policy needs 'allowlist' on its second line";
template <>
inline constexpr const char* error_message<no_debug> =
    "'debug' in the policy header is not supported: LXC rejects the policy";
template <>
inline constexpr const char* error_message<list_type> =
    "expected the policy type at the start of the line: 'denylist' or 'allowlist' (or the old names 'blacklist' "
    "and 'whitelist')";
template <>
inline constexpr const char* error_message<errno_number> = "expected a decimal number after 'errno'";
template <>
inline constexpr const char* error_message<explicit_action> =
    "unknown action: expected 'kill', 'errno N', 'allow', 'trap' or 'notify'";
template <>
inline constexpr const char* error_message<syscall_number> =
    "expected a syscall number: every line of a version 1 policy is one native syscall number (no comments, no "
    "blank lines)";
template <>
inline constexpr const char* error_message<section_name> =
    "unsupported architecture section: the line must be exactly one of [all] [x86] [x32] [x86_64] [arm] [arm64] "
    "[ppc] [ppc64] [ppc64le] [mips] [mips64] [mips64n32] [mipsel] [mipsel64] [mipsel64n32] [s390] [s390x], in lower "
    "or upper case";
template <>
inline constexpr const char* error_message<arg_index> = "expected the argument index (0 to 5) after '['";
template <>
inline constexpr const char* error_message<index_comma> =
    "expected ',' after the argument index: an argument group reads '[INDEX,VALUE,OP]' or '[INDEX,VALUE,OP,MASK]'";
template <>
inline constexpr const char* error_message<arg_value> =
    "expected the value (at most 23 characters) after the argument index";
template <>
inline constexpr const char* error_message<value_comma> = "expected ',' and the comparison operator after the value";
template <>
inline constexpr const char* error_message<arg_op> =
    "expected a comparison operator after the value: '==' '!=' '<' '<=' '>' '>=' or '&=' (no blanks)";
template <>
inline constexpr const char* error_message<first_open> =
    "']' before the first argument group: LXC splits the rule at every ']' and needs a '[' before each one";
template <>
inline constexpr const char* error_message<next_open> =
    "text after ']' that is not an argument group: LXC splits the rule at every ']' and needs a '[' in each piece "
    "(a comment after the groups is an error too)";

}  // namespace corral::grammar::seccomp
