// Mount lines as glibc's getmntent_r reads them (spec/fstab-and-mount-entries.md
// §2), as PEGTL rules only: the fields and escapes of a line, nothing about
// what the options mean.
//
// A file is a list of lines separated by '\n'. After leading blanks a line is
// empty, a comment ('#'), or an entry: fields separated by runs of spaces and
// tabs, `fsname dir type opts [freq [passno]]`, extra fields being ignored.
// '\r' is an ordinary character (it stays in the last field of a CRLF line).
// In a field, `\040` `\011` `\012` `\134` and `\\` are escapes; any other
// backslash is literal. corral requires the first four fields (glibc would
// pass empty strings for missing ones).
#pragma once

#include <tao/pegtl.hpp>

namespace corral::grammar::fstab {

namespace pegtl = tao::pegtl;

struct eol : pegtl::one<'\n'> {};
struct blank : pegtl::one<' ', '\t'> {};
struct rest_of_line : pegtl::star<pegtl::not_one<'\n'>> {};

/// The five escapes glibc decodes, left to right.
struct escape : pegtl::seq<pegtl::one<'\\'>, pegtl::sor<pegtl::string<'0', '4', '0'>, pegtl::string<'0', '1', '1'>,
                                                       pegtl::string<'0', '1', '2'>, pegtl::string<'1', '3', '4'>,
                                                       pegtl::one<'\\'>>> {};
/// A backslash and three octal digits that are not one of the escapes
/// (`\054`): glibc keeps all four characters.
struct octal_lookalike : pegtl::seq<pegtl::one<'\\'>, pegtl::rep<3, pegtl::odigit>> {};
struct plain_char : pegtl::not_one<' ', '\t', '\n'> {};
struct field_char : pegtl::sor<escape, octal_lookalike, plain_char> {};

struct source : pegtl::plus<field_char> {};
struct target : pegtl::plus<field_char> {};
struct fstype : pegtl::plus<field_char> {};
struct options : pegtl::plus<field_char> {};
struct freq : pegtl::plus<field_char> {};
struct passno : pegtl::plus<field_char> {};
/// Fields after the sixth: ignored by glibc.
struct extra_field : pegtl::plus<field_char> {};

struct separator : pegtl::plus<blank> {};
struct target_field : pegtl::seq<separator, target> {};
struct fstype_field : pegtl::seq<separator, fstype> {};
struct options_field : pegtl::seq<separator, options> {};

/// A line whose first character (after blanks) is not '#' is an entry, and
/// then it needs its first four fields.
struct entry : pegtl::seq<pegtl::if_must<source, target_field, fstype_field, options_field>,
                          pegtl::opt<separator, freq>, pegtl::opt<separator, passno>,
                          pegtl::star<separator, extra_field>, pegtl::star<blank>> {};
struct comment : pegtl::seq<pegtl::one<'#'>, rest_of_line> {};

struct line : pegtl::seq<pegtl::star<blank>, pegtl::opt<pegtl::sor<comment, entry>>> {};
/// A line that raised an error: skipped so that the next lines are read.
struct bad_line : rest_of_line {};
struct any_line : pegtl::sor<pegtl::try_catch<line>, bad_line> {};

/// A whole lxc.mount.fstab file.
struct file : pegtl::seq<pegtl::list<any_line, eol>, pegtl::eof> {};
/// One lxc.mount.entry value (it has no line end).
struct single_line : pegtl::seq<line, pegtl::eof> {};

}  // namespace corral::grammar::fstab
