// Small string helpers shared by the parsers and printers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corral {

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim_blanks(std::string_view s);
std::string_view trim_left_blanks(std::string_view s);
std::string_view trim_right_blanks(std::string_view s);

/// Splits on runs of spaces and tabs; no empty tokens.
std::vector<std::string_view> split_blanks(std::string_view s);
/// Splits on every occurrence of `sep`; keeps empty pieces.
std::vector<std::string_view> split(std::string_view s, char sep);

/// Tabs, CR and LF as \t, \r, \n and other control bytes as '?', so that
/// a value can be quoted in a one-line message.
std::string escape_control(std::string_view s);

std::string join(const std::vector<std::string>& items, std::string_view sep);
std::string to_lower(std::string_view s);
std::string to_upper(std::string_view s);

/// Levenshtein distance, giving up (returning max+1) once it exceeds `max`.
unsigned edit_distance(std::string_view a, std::string_view b, unsigned max);

/// The candidate closest to `word` within `max` edits, if any.
std::optional<std::string_view> closest_match(std::string_view word,
                                              const std::vector<std::string_view>& candidates,
                                              unsigned max = 3);

/// A JSON string literal of `s`: control characters, '"' and '\\' escaped,
/// every other byte copied (LXC values are bytes).
std::string json_quote(std::string_view s);

/// `len` random characters from [a-zA-Z0-9] (getrandom), as LXC draws the
/// names of veth host ends and ephemeral copies.
std::string random_alnum(size_t len);

}  // namespace corral
