// The LXC container configuration language (spec/config-language.md), as
// PEGTL rules only: what is well-formed, nothing about what keys mean.
//
// A file is a list of lines separated by '\n' or '\r'. Each line is blank, a
// whole-line comment, an entry `lxc.KEY = VALUE`, or a "martian" line that
// does not start with `lxc.` (LXC ignores those silently). There is no line
// continuation, no escape and no inline comment.
#pragma once

#include <tao/pegtl.hpp>

namespace corral::grammar::lxcconf {

namespace pegtl = tao::pegtl;

struct eol : pegtl::one<'\n', '\r'> {};
struct blank : pegtl::one<' ', '\t'> {};
struct rest_of_line : pegtl::star<pegtl::not_one<'\n', '\r'>> {};

/// Only space, tab and form feed (plus the line end itself).
struct blank_line : pegtl::seq<pegtl::star<pegtl::one<' ', '\t', '\f'>>, pegtl::at<pegtl::sor<eol, pegtl::eof>>> {};
struct comment : pegtl::seq<pegtl::star<blank>, pegtl::one<'#'>, rest_of_line> {};

struct key_prefix : pegtl::string<'l', 'x', 'c', '.'> {};
/// Everything up to the first '='; trailing blanks are trimmed by the action
/// and blanks inside make the key unknown, as in LXC.
struct key : pegtl::seq<key_prefix, pegtl::star<pegtl::not_one<'=', '\n', '\r'>>> {};
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
