// The LXC container configuration language (spec/config-language.md), as
// PEGTL rules only: what is well-formed, nothing about what keys mean.
//
// A file is a list of lines separated by '\n' or '\r'. Each line is blank, a
// whole-line comment, an entry `lxc.KEY = VALUE`, or a "martian" line that
// does not start with `lxc.` (LXC ignores those silently). There is no line
// continuation, no escape and no inline comment.
#pragma once

#include <tao/pegtl.hpp>
#include <tao/pegtl/contrib/analyze_traits.hpp>

namespace corral::grammar::lxcconf {

namespace pegtl = tao::pegtl;

/// Consumes bytes up to (not including) the first of `Stops`, or the end;
/// always succeeds. Equivalent to star<not_one<Stops...>>, but a tight loop:
/// most of a large config is the text of its values.
template <char... Stops>
struct skip_until {
  using rule_t = skip_until;
  using subs_t = pegtl::type_list<>;
  template <typename ParseInput>
  static bool match(ParseInput& in) noexcept {
    const char* p = in.current();
    const char* end = in.end();
    while (p != end && ((*p != Stops) && ...)) ++p;
    in.bump_in_this_line(static_cast<std::size_t>(p - in.current()));
    return true;
  }
};

struct eol : pegtl::one<'\n', '\r'> {};
struct blank : pegtl::one<' ', '\t'> {};
struct rest_of_line : skip_until<'\n', '\r'> {};

/// Only space, tab and form feed (plus the line end itself).
struct blank_line : pegtl::seq<pegtl::star<pegtl::one<' ', '\t', '\f'>>, pegtl::at<pegtl::sor<eol, pegtl::eof>>> {};
struct comment : pegtl::seq<pegtl::star<blank>, pegtl::one<'#'>, rest_of_line> {};

struct key_prefix : pegtl::string<'l', 'x', 'c', '.'> {};
/// Everything up to the first '='; trailing blanks are trimmed by the action
/// and blanks inside make the key unknown, as in LXC.
struct key : pegtl::seq<key_prefix, skip_until<'=', '\n', '\r'>> {};
struct equals : pegtl::one<'='> {};
struct value : rest_of_line {};
/// Seeing `lxc.` at the start of a line commits it to being an entry.
struct entry : pegtl::seq<pegtl::star<blank>, pegtl::if_must<key, equals, pegtl::star<blank>, value>> {};

/// A line that starts with `lxc.` but could not be read as an entry; its
/// error has already been reported when `entry` raised.
struct bad_entry : pegtl::seq<pegtl::star<blank>, key_prefix, rest_of_line> {};
/// Any other line: ignored by LXC, warned about by corral.
struct martian : pegtl::seq<pegtl::star<blank>, rest_of_line> {};

struct line : pegtl::sor<blank_line, comment, pegtl::try_catch<entry>, bad_entry, martian> {};
struct file : pegtl::seq<pegtl::list<line, eol>, pegtl::eof> {};

}  // namespace corral::grammar::lxcconf

/// skip_until may succeed without consuming anything, like star<>.
template <typename Name, char... Stops>
struct tao::pegtl::analyze_traits<Name, corral::grammar::lxcconf::skip_until<Stops...>> : analyze_opt_traits<> {};
