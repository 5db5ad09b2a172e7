// LXC seccomp policy files (spec/seccomp-policy.md), as PEGTL rules only:
// what liblxc 5.0.2 reads, nothing about what system calls exist.
//
// LXC reads a policy with scanf-style calls; the rules below reproduce them:
//   1. the version, read with fscanf("%d\n"): blanks, newlines and a sign
//      before the number, and all whitespace after it, are skipped;
//   2. the header: the rest of that line. Version 1 needs 'allowlist' in it;
//      version 2 starts with the list type and may give a default action
//      after the first space;
//   3. the body, one item per '\n'-terminated line ('\r' is an ordinary
//      character). Version 1: a native syscall number per line. Version 2:
//      '#' comments, '[arch]' sections, and rules `NAME[ ACTION][ ARGS]`.
// The driver (src/config/seccomp_policy.cpp) parses `version` first and then,
// depending on its value, `v1_rest` or `v2_rest`.
//
// A version 2 rule line is read twice, as LXC does: once split at the first
// space into NAME and ACTION (`rule_line`), and, when the line contains '[',
// once split at every ']' into argument groups (`arg_groups`, parsed over the
// same line by the action of rule_line).
#pragma once

#include <tao/pegtl.hpp>

namespace corral::grammar::seccomp {

namespace pegtl = tao::pegtl;

struct eol : pegtl::one<'\n'> {};
struct end_of_line : pegtl::at<pegtl::sor<eol, pegtl::eof>> {};
struct rest_of_line : pegtl::star<pegtl::not_one<'\n'>> {};
/// isspace() except '\n': what scanf skips inside a line.
struct line_space : pegtl::one<' ', '\t', '\v', '\f', '\r'> {};
/// isspace(): what scanf skips across lines.
struct any_space : pegtl::one<' ', '\t', '\v', '\f', '\r', '\n'> {};
struct sign : pegtl::one<'+', '-'> {};
/// scanf("%d") inside a line.
struct decimal : pegtl::seq<pegtl::star<line_space>, pegtl::opt<sign>, pegtl::plus<pegtl::digit>> {};

// ---- the version: fscanf(f, "%d\n") ----------------------------------------------
struct version_number : pegtl::seq<pegtl::star<any_space>, pegtl::opt<sign>, pegtl::plus<pegtl::digit>> {};
/// The "\n" of the format skips every whitespace character, newlines included.
struct version_end : pegtl::star<any_space> {};
struct version : pegtl::seq<pegtl::must<version_number>, version_end> {};

// ---- actions: matched by prefix; the rest of the text is ignored ------------------
struct kill_word : pegtl::string<'k', 'i', 'l', 'l'> {};
struct errno_word : pegtl::string<'e', 'r', 'r', 'n', 'o'> {};
struct errno_number : decimal {};
struct errno_action : pegtl::if_must<errno_word, errno_number> {};
struct allow_word : pegtl::string<'a', 'l', 'l', 'o', 'w'> {};
struct trap_word : pegtl::string<'t', 'r', 'a', 'p'> {};
struct notify_word : pegtl::string<'n', 'o', 't', 'i', 'f', 'y'> {};
struct action_word : pegtl::sor<kill_word, errno_action, allow_word, trap_word, notify_word> {};
struct action_tail : rest_of_line {};
struct explicit_action : pegtl::seq<action_word, action_tail> {};

// ---- the header line ----------------------------------------------------------------
/// The header is whatever follows the version; a file that ends there has none.
struct header_present : pegtl::not_at<pegtl::eof> {};
struct allowlist_word : pegtl::string<'a', 'l', 'l', 'o', 'w', 'l', 'i', 's', 't'> {};
struct debug_word : pegtl::string<'d', 'e', 'b', 'u', 'g'> {};
/// 'debug' anywhere in the header line is refused ("not implemented").
struct no_debug : pegtl::not_at<pegtl::star<pegtl::not_at<debug_word>, pegtl::not_one<'\n'>>, debug_word> {};
/// Version 1: the line must contain 'allowlist' somewhere; the rest is ignored.
struct has_allowlist : pegtl::at<pegtl::star<pegtl::not_at<allowlist_word>, pegtl::not_one<'\n'>>, allowlist_word> {};
struct v1_header
    : pegtl::seq<pegtl::must<header_present>, pegtl::must<has_allowlist>, pegtl::must<no_debug>, rest_of_line> {};

struct denylist_type : pegtl::sor<pegtl::string<'d', 'e', 'n', 'y', 'l', 'i', 's', 't'>,
                                  pegtl::string<'b', 'l', 'a', 'c', 'k', 'l', 'i', 's', 't'>> {};
struct allowlist_type : pegtl::sor<allowlist_word, pegtl::string<'w', 'h', 'i', 't', 'e', 'l', 'i', 's', 't'>> {};
/// Version 2: the line must start with the type (a prefix: 'denylistfoo' is a denylist).
struct list_type : pegtl::sor<denylist_type, allowlist_type> {};
/// Up to the first space: ignored (a tab does not end it).
struct list_type_tail : pegtl::star<pegtl::not_one<' ', '\n'>> {};
/// After the first space, spaces are skipped and an action must follow;
/// the '\n' of the header counts as text, so a trailing space is an error.
struct default_action : pegtl::seq<pegtl::one<' '>, pegtl::star<pegtl::one<' '>>,
                                   pegtl::sor<pegtl::eof, pegtl::must<explicit_action>>> {};
struct v2_header : pegtl::seq<pegtl::must<header_present>, pegtl::must<no_debug>, pegtl::must<list_type>,
                              list_type_tail, pegtl::opt<default_action>> {};

// ---- version 1 body -----------------------------------------------------------------
struct syscall_number : decimal {};
struct syscall_number_tail : rest_of_line {};
struct v1_line : pegtl::seq<pegtl::must<syscall_number>, syscall_number_tail> {};

// ---- version 2 body -----------------------------------------------------------------
struct comment_line : pegtl::seq<pegtl::one<'#'>, rest_of_line> {};

/// Exact section names, lower or upper case; longest first where one is a
/// prefix of another.
template <char... Cs>
struct str : pegtl::string<Cs...> {};
struct arch_name
    : pegtl::sor<str<'a', 'l', 'l'>, str<'A', 'L', 'L'>, str<'x', '8', '6', '_', '6', '4'>,
                 str<'X', '8', '6', '_', '6', '4'>, str<'x', '8', '6'>, str<'X', '8', '6'>, str<'x', '3', '2'>,
                 str<'X', '3', '2'>, str<'a', 'r', 'm', '6', '4'>, str<'A', 'R', 'M', '6', '4'>, str<'a', 'r', 'm'>,
                 str<'A', 'R', 'M'>, str<'p', 'p', 'c', '6', '4', 'l', 'e'>, str<'P', 'P', 'C', '6', '4', 'L', 'E'>,
                 str<'p', 'p', 'c', '6', '4'>, str<'P', 'P', 'C', '6', '4'>, str<'p', 'p', 'c'>, str<'P', 'P', 'C'>,
                 str<'m', 'i', 'p', 's', 'e', 'l', '6', '4', 'n', '3', '2'>,
                 str<'M', 'I', 'P', 'S', 'E', 'L', '6', '4', 'N', '3', '2'>,
                 str<'m', 'i', 'p', 's', 'e', 'l', '6', '4'>, str<'M', 'I', 'P', 'S', 'E', 'L', '6', '4'>,
                 str<'m', 'i', 'p', 's', 'e', 'l'>, str<'M', 'I', 'P', 'S', 'E', 'L'>,
                 str<'m', 'i', 'p', 's', '6', '4', 'n', '3', '2'>, str<'M', 'I', 'P', 'S', '6', '4', 'N', '3', '2'>,
                 str<'m', 'i', 'p', 's', '6', '4'>, str<'M', 'I', 'P', 'S', '6', '4'>, str<'m', 'i', 'p', 's'>,
                 str<'M', 'I', 'P', 'S'>, str<'s', '3', '9', '0', 'x'>, str<'S', '3', '9', '0', 'X'>,
                 str<'s', '3', '9', '0'>, str<'S', '3', '9', '0'>> {};
/// The whole line must be the section name: no blanks, no '\r'.
struct section_name : pegtl::seq<arch_name, pegtl::one<']'>, end_of_line> {};
/// A line starting with '[' is a section header.
struct section_line : pegtl::if_must<pegtl::one<'['>, section_name> {};

/// NAME: everything up to the first space (tabs and '\r' included).
struct syscall_name : pegtl::star<pegtl::not_one<' ', '\n'>> {};
struct rule_comment : pegtl::seq<pegtl::one<'#'>, rest_of_line> {};
/// After the first space, spaces are skipped; nothing or '#' means "the
/// default action", anything else must be an action.
struct rule_action : pegtl::seq<pegtl::one<' '>, pegtl::star<pegtl::one<' '>>,
                                pegtl::sor<end_of_line, rule_comment, pegtl::must<explicit_action>>> {};
struct rule_line : pegtl::seq<syscall_name, pegtl::opt<rule_action>> {};

struct v2_line : pegtl::sor<comment_line, section_line, rule_line> {};

// ---- argument groups: the rule line split at ']' (strtok), each piece read
// with sscanf("[%i,%23[^,],%30[^0-9^,],%23[^,]") from its first '[' ---------------
struct arg_index
    : pegtl::seq<pegtl::star<line_space>, pegtl::opt<sign>,
                 pegtl::sor<pegtl::seq<pegtl::one<'0'>, pegtl::one<'x', 'X'>, pegtl::star<pegtl::xdigit>>,
                            pegtl::seq<pegtl::one<'0'>, pegtl::star<pegtl::odigit>>, pegtl::plus<pegtl::digit>>> {};
struct index_comma : pegtl::one<','> {};
struct arg_value : pegtl::rep_min_max<1, 23, pegtl::not_one<',', ']', '\n'>> {};
struct value_comma : pegtl::one<','> {};
struct arg_op
    : pegtl::rep_min_max<1, 30, pegtl::not_one<'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '^', ',', ']', '\n'>> {
};
struct mask_comma : pegtl::one<','> {};
/// At most 23 characters are read; the rest of the piece is ignored.
struct arg_mask : pegtl::rep_opt<23, pegtl::not_one<',', ']', '\n'>> {};
struct group_body : pegtl::seq<pegtl::must<arg_index>, pegtl::must<index_comma>, pegtl::must<arg_value>,
                               pegtl::must<value_comma>, pegtl::must<arg_op>, pegtl::opt<mask_comma, arg_mask>> {};
/// What scanf leaves unread in a piece: ignored.
struct group_tail : pegtl::star<pegtl::not_one<']', '\n'>> {};

/// The text of a piece before its '[': the name and action for the first
/// piece, blanks (or anything) between groups for the others.
struct first_lead : pegtl::star<pegtl::not_one<'[', ']', '\n'>> {};
struct next_lead : pegtl::star<pegtl::not_one<'[', ']', '\n'>> {};
struct first_open : pegtl::one<'['> {};
struct next_open : pegtl::one<'['> {};
struct first_group : pegtl::seq<first_lead, pegtl::must<first_open>, group_body, group_tail> {};
struct next_group : pegtl::seq<next_lead, pegtl::must<next_open>, group_body, group_tail> {};
struct group_gap : pegtl::plus<pegtl::one<']'>> {};
struct more_group : pegtl::seq<group_gap, pegtl::not_at<end_of_line>, next_group> {};
/// LXC reads at most six pieces; the rest of the line is not looked at.
struct extra_groups : pegtl::seq<group_gap, pegtl::not_at<end_of_line>, rest_of_line> {};
struct arg_groups : pegtl::seq<pegtl::star<pegtl::one<']'>>, first_group, pegtl::rep_opt<5, more_group>,
                               pegtl::opt<extra_groups>, pegtl::star<pegtl::one<']'>>, end_of_line> {};

// ---- files -------------------------------------------------------------------------
/// A line that raised an error: skipped so that the next lines are read.
struct bad_line : rest_of_line {};
/// Lines as getline() returns them: a final '\n' does not start another line.
template <typename Line>
struct lines : pegtl::sor<pegtl::eof, pegtl::seq<pegtl::sor<pegtl::try_catch<Line>, bad_line>,
                                                 pegtl::star<eol, pegtl::not_at<pegtl::eof>,
                                                             pegtl::sor<pegtl::try_catch<Line>, bad_line>>,
                                                 pegtl::opt<eol>, pegtl::eof>> {};
struct v1_header_line : pegtl::seq<pegtl::sor<pegtl::try_catch<v1_header>, bad_line>, pegtl::opt<eol>> {};
struct v2_header_line : pegtl::seq<pegtl::sor<pegtl::try_catch<v2_header>, bad_line>, pegtl::opt<eol>> {};
struct v1_rest : pegtl::seq<v1_header_line, lines<v1_line>> {};
struct v2_rest : pegtl::seq<v2_header_line, lines<v2_line>> {};

}  // namespace corral::grammar::seccomp
