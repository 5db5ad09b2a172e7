// Human messages for every rule of grammar/template.hpp that can raise.
#pragma once

#include "grammar/template.hpp"

namespace corral::grammar::tmpl {

template <typename Rule>
inline constexpr const char* error_message = nullptr;

// ---- words ----
template <>
inline constexpr const char* error_message<reference_name> =
    "expected a parameter name after '${': lowercase letters, digits and '-', starting with a letter";
template <>
inline constexpr const char* error_message<reference_close> =
    "expected '}' to end the reference: a reference reads '${NAME}', NAME being lowercase letters, digits and '-'";
template <>
inline constexpr const char* error_message<escape_code> =
    "unknown escape: inside double quotes only \\n \\t \\\" \\\\ and \\$ are escapes";
template <>
inline constexpr const char* error_message<close_quote> =
    "missing closing '\"': a quoted word ends on the line where it starts";
template <>
inline constexpr const char* error_message<quoted_end> =
    "expected a blank after the closing '\"': a quoted word is a whole word";
template <>
inline constexpr const char* error_message<bare_end> =
    "'\"' inside a word: put the whole word in double quotes and write the quote as \\\"";

// ---- description ----
template <>
inline constexpr const char* error_message<description_text> =
    "expected the description as a double-quoted string: 'description \"TEXT\"'";
template <>
inline constexpr const char* error_message<description_end> =
    "expected the end of the line after the description: 'description \"TEXT\"'";

// ---- param ----
template <>
inline constexpr const char* error_message<param_name_field> =
    "expected a parameter name after 'param': lowercase letters, digits and '-', starting with a letter";
template <>
inline constexpr const char* error_message<param_name_end> =
    "a parameter name is made of lowercase letters, digits and '-', starting with a letter";
template <>
inline constexpr const char* error_message<param_short_letter> =
    "expected one letter or digit after '-': a short option reads '-m', as in 'param metadata -m = \"\" : file'";
template <>
inline constexpr const char* error_message<param_short_end> =
    "a short option is one letter or digit after '-', like '-m'";
template <>
inline constexpr const char* error_message<param_equals> =
    "expected '=' after the parameter name: a parameter reads 'param NAME = DEFAULT [: TYPE] [\"HELP\"]'";
template <>
inline constexpr const char* error_message<param_default> =
    "expected the default value after '=' (\"\" for an empty one): a parameter reads 'param NAME = DEFAULT [: TYPE] "
    "[\"HELP\"]'";
template <>
inline constexpr const char* error_message<param_type> =
    "expected a type after ':': string, path, file, number or boolean";
template <>
inline constexpr const char* error_message<param_type_end> =
    "a parameter type is one word: string, path, file, number or boolean";
template <>
inline constexpr const char* error_message<param_tail> =
    "expected ': TYPE', a double-quoted help text or the end of the line: a parameter reads 'param NAME = DEFAULT [: "
    "TYPE] [\"HELP\"]'";

// ---- require ----
template <>
inline constexpr const char* error_message<require_what> =
    "expected a command name or an absolute host path after 'require': a requirement reads 'require WHAT from "
    "PACKAGE'";
template <>
inline constexpr const char* error_message<require_from> =
    "expected 'from PACKAGE' after what is required: a requirement reads 'require WHAT from PACKAGE'";
template <>
inline constexpr const char* error_message<require_package> =
    "expected a Debian package name after 'from': lowercase letters, digits, '+', '-' and '.'";
template <>
inline constexpr const char* error_message<require_end> =
    "expected the end of the line after the package name: a requirement reads 'require WHAT from PACKAGE'";

// ---- metadata ----
template <>
inline constexpr const char* error_message<metadata_tarball> =
    "expected the metadata tarball after 'metadata': it reads 'metadata \"${PARAMETER}\"'";
template <>
inline constexpr const char* error_message<metadata_end> =
    "expected the end of the line after the metadata tarball: it reads 'metadata \"${PARAMETER}\"'";

// ---- token ----
template <>
inline constexpr const char* error_message<token_name_field> =
    "expected a token name after 'token': letters, digits and '_', not starting with a digit, like LXC_NAME";
template <>
inline constexpr const char* error_message<token_name_end> =
    "a token name is made of letters, digits and '_', not starting with a digit, like LXC_NAME";
template <>
inline constexpr const char* error_message<token_equals> =
    "expected '=' after the token name: a token reads 'token NAME = VALUE'";
template <>
inline constexpr const char* error_message<token_value> =
    "expected the value after '=' (\"\" for an empty one): a token reads 'token NAME = VALUE'";
template <>
inline constexpr const char* error_message<token_end> =
    "expected the end of the line after the value: a token reads 'token NAME = VALUE'";

// ---- container-file ----
template <>
inline constexpr const char* error_message<container_file_name> =
    "expected a file name after 'container-file': it reads 'container-file NAME CONTENT'";
template <>
inline constexpr const char* error_message<container_file_content> =
    "expected the content after the file name (a word, or metadata:MEMBER): it reads 'container-file NAME CONTENT'";
template <>
inline constexpr const char* error_message<container_file_end> =
    "expected the end of the line after the content: it reads 'container-file NAME CONTENT' (quote a content "
    "with blanks)";

// ---- blocks ----
template <>
inline constexpr const char* error_message<block_open> =
    "expected '{' after the block name: a block starts with 'rootfs {' or 'config {'";
template <>
inline constexpr const char* error_message<block_open_end> =
    "expected the end of the line after '{': the block's lines start on the next line";
template <>
inline constexpr const char* error_message<close_end> = "'}' must stand alone on its line";

}  // namespace corral::grammar::tmpl
