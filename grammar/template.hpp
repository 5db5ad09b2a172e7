// corral templates (corral-template(5)), as PEGTL rules only: statements,
// blocks, words and `${NAME}` references; nothing about what a step or a
// parameter type means.
//
// A file is a list of lines separated by '\n'. At the top level a line is
// blank, a comment ('#' after blanks), a statement (`description`, `param`,
// `require`, `metadata`, `token`, `container-file`), the first line of a
// block (`rootfs {`, `config {`), or an error. Inside `rootfs { ... }` each
// line is a step `KEYWORD WORD...`; inside `config { ... }` each line is
// text, or a directive `@KEYWORD WORD...`. A block ends at a line holding
// only `}`; a line that starts with a statement keyword, or the end of the
// file, also ends it (the actions report both as errors).
//
// Every line is read on its own: a line that raises is skipped (try_catch
// plus a rest-of-line rule), so that every error of a file is reported.
#pragma once

#include <tao/pegtl.hpp>

namespace corral::grammar::tmpl {

namespace pegtl = tao::pegtl;

struct eol : pegtl::one<'\n'> {};
struct blank : pegtl::one<' ', '\t'> {};
struct blanks : pegtl::star<blank> {};
struct line_end : pegtl::sor<pegtl::at<eol>, pegtl::eof> {};
struct rest_of_line : pegtl::star<pegtl::not_one<'\n'>> {};
struct comment : pegtl::seq<pegtl::one<'#'>, rest_of_line> {};

/// What may follow a keyword: anything but a letter, digit, '-', '_' or '.'
/// (`mkdir-p` is a word of its own, not `mkdir` and `-p`).
struct keyword_char : pegtl::sor<pegtl::alnum, pegtl::one<'-', '_', '.'>> {};
template <char... Cs>
struct keyword : pegtl::seq<pegtl::string<Cs...>, pegtl::not_at<keyword_char>> {};

/// Parameter names: `[a-z][a-z0-9-]*`.
struct identifier : pegtl::seq<pegtl::range<'a', 'z'>, pegtl::star<pegtl::ranges<'a', 'z', '0', '9', '-'>>> {};

// ---- words ------------------------------------------------------------------------
/// `${NAME}`: once `${` is seen, a name and '}' must follow.
struct reference_open : pegtl::string<'$', '{'> {};
struct reference_name : identifier {};
struct reference_close : pegtl::one<'}'> {};
struct reference : pegtl::if_must<reference_open, reference_name, reference_close> {};

struct escape_code : pegtl::one<'n', 't', '"', '\\', '$'> {};
struct escape : pegtl::if_must<pegtl::one<'\\'>, escape_code> {};
struct word_end : pegtl::at<pegtl::sor<blank, eol, pegtl::eof>> {};

struct open_quote : pegtl::one<'"'> {};
struct quoted_char : pegtl::sor<escape, reference, pegtl::not_one<'"', '\\', '\n'>> {};
struct close_quote : pegtl::seq<pegtl::star<quoted_char>, pegtl::one<'"'>> {};
/// After the closing quote the word must end: `"a"b` is an error.
struct quoted_end : word_end {};
struct quoted_word : pegtl::if_must<open_quote, close_quote, quoted_end> {};

/// A bare word: no blanks and no '"'; backslashes are ordinary characters.
struct bare_char : pegtl::sor<reference, pegtl::not_one<' ', '\t', '\n', '"'>> {};
struct bare_end : word_end {};
struct bare_word : pegtl::seq<pegtl::plus<bare_char>, pegtl::must<bare_end>> {};

struct word : pegtl::sor<quoted_word, bare_word> {};
/// Words separated by blanks, up to the end of the line.
struct words : pegtl::seq<pegtl::star<pegtl::plus<blank>, word>, blanks> {};

// ---- description "TEXT" -------------------------------------------------------------
struct description_keyword : keyword<'d', 'e', 's', 'c', 'r', 'i', 'p', 't', 'i', 'o', 'n'> {};
struct description_text : pegtl::seq<blanks, quoted_word> {};
struct description_end : pegtl::seq<blanks, line_end> {};
struct description_statement : pegtl::if_must<description_keyword, description_text, description_end> {};

// ---- param NAME = DEFAULT [: TYPE] ["HELP"] ---------------------------------------------
struct param_keyword : keyword<'p', 'a', 'r', 'a', 'm'> {};
struct param_name_end : pegtl::at<pegtl::sor<blank, pegtl::one<'='>, eol, pegtl::eof>> {};
struct param_name : pegtl::seq<identifier, pegtl::must<param_name_end>> {};
/// `-m`: the short option that sets the parameter too.
struct param_short_letter : pegtl::ranges<'a', 'z', 'A', 'Z', '0', '9'> {};
struct param_short_end : pegtl::at<pegtl::sor<blank, pegtl::one<'='>, eol, pegtl::eof>> {};
struct param_short
    : pegtl::if_must<pegtl::seq<pegtl::plus<blank>, pegtl::one<'-'>>, param_short_letter, param_short_end> {};
struct param_name_field : pegtl::seq<blanks, param_name, pegtl::opt<param_short>> {};
struct param_equals : pegtl::seq<blanks, pegtl::one<'='>> {};
struct param_default : pegtl::seq<blanks, word> {};
struct param_type_name : pegtl::plus<pegtl::sor<pegtl::alnum, pegtl::one<'-', '_'>>> {};
struct param_type_end : word_end {};
struct param_type : pegtl::seq<blanks, param_type_name, pegtl::must<param_type_end>> {};
struct param_type_field : pegtl::if_must<pegtl::seq<blanks, pegtl::one<':'>>, param_type> {};
struct param_help : pegtl::seq<pegtl::plus<blank>, quoted_word> {};
/// What may follow the default: `: TYPE`, a quoted help text, the end.
struct param_tail : pegtl::seq<pegtl::opt<param_type_field>, pegtl::opt<param_help>, blanks, line_end> {};
struct param_statement
    : pegtl::if_must<param_keyword, param_name_field, param_equals, param_default, param_tail> {};

// ---- require WORD from PACKAGE --------------------------------------------------------
struct require_keyword : keyword<'r', 'e', 'q', 'u', 'i', 'r', 'e'> {};
struct require_what : pegtl::seq<blanks, word> {};
struct require_from : pegtl::seq<blanks, keyword<'f', 'r', 'o', 'm'>> {};
/// A Debian package name: lowercase letters, digits, '+', '-' and '.'.
struct package_name : pegtl::seq<pegtl::ranges<'a', 'z', '0', '9'>,
                                  pegtl::star<pegtl::sor<pegtl::ranges<'a', 'z', '0', '9'>, pegtl::one<'+', '-', '.'>>>> {};
struct require_package : pegtl::seq<blanks, package_name> {};
struct require_end : pegtl::seq<blanks, line_end> {};
struct require_statement
    : pegtl::if_must<require_keyword, require_what, require_from, require_package, require_end> {};

// ---- metadata WORD ------------------------------------------------------------------------
struct metadata_keyword : keyword<'m', 'e', 't', 'a', 'd', 'a', 't', 'a'> {};
struct metadata_tarball : pegtl::seq<blanks, word> {};
struct metadata_end : pegtl::seq<blanks, line_end> {};
struct metadata_statement : pegtl::if_must<metadata_keyword, metadata_tarball, metadata_end> {};

// ---- token NAME = WORD ----------------------------------------------------------------------
struct token_keyword : keyword<'t', 'o', 'k', 'e', 'n'> {};
/// Token names: `[A-Za-z_][A-Za-z0-9_]*`, as LXC writes `LXC_NAME`.
struct token_name : pegtl::seq<pegtl::ranges<'A', 'Z', 'a', 'z', '_'>,
                               pegtl::star<pegtl::ranges<'A', 'Z', 'a', 'z', '0', '9', '_'>>> {};
struct token_name_end : pegtl::at<pegtl::sor<blank, pegtl::one<'='>, eol, pegtl::eof>> {};
struct token_name_field : pegtl::seq<blanks, token_name, pegtl::must<token_name_end>> {};
struct token_equals : pegtl::seq<blanks, pegtl::one<'='>> {};
struct token_value : pegtl::seq<blanks, word> {};
struct token_end : pegtl::seq<blanks, line_end> {};
struct token_statement : pegtl::if_must<token_keyword, token_name_field, token_equals, token_value, token_end> {};

// ---- container-file NAME CONTENT --------------------------------------------------------------
struct container_file_keyword : keyword<'c', 'o', 'n', 't', 'a', 'i', 'n', 'e', 'r', '-', 'f', 'i', 'l', 'e'> {};
struct container_file_name : pegtl::seq<blanks, word> {};
struct container_file_content : pegtl::seq<blanks, word> {};
struct container_file_end : pegtl::seq<blanks, line_end> {};
struct container_file_statement
    : pegtl::if_must<container_file_keyword, container_file_name, container_file_content, container_file_end> {};

// ---- blocks -------------------------------------------------------------------------------
struct rootfs_keyword : keyword<'r', 'o', 'o', 't', 'f', 's'> {};
struct config_keyword : keyword<'c', 'o', 'n', 'f', 'i', 'g'> {};
struct statement_keyword
    : pegtl::sor<description_keyword, param_keyword, require_keyword, metadata_keyword, token_keyword,
                 container_file_keyword, rootfs_keyword, config_keyword> {};

/// `{` ends the first line of a block.
struct block_open : pegtl::seq<blanks, pegtl::one<'{'>> {};
struct block_open_end : pegtl::seq<blanks, line_end> {};
struct block_header : pegtl::must<block_open, block_open_end> {};
/// A block header that raised: the block is read all the same.
struct bad_block_header : rest_of_line {};
struct block_start : pegtl::sor<pegtl::try_catch<block_header>, bad_block_header> {};

/// `rootfs {}`: an empty block on one line.
struct empty_block : pegtl::seq<blanks, pegtl::one<'{'>, blanks, pegtl::one<'}'>, blanks, line_end> {};

/// A line that ends a block: `}` or a statement keyword first.
struct leaves_block : pegtl::seq<blanks, pegtl::sor<pegtl::one<'}'>, statement_keyword>> {};

struct close_brace : pegtl::one<'}'> {};
struct close_end : pegtl::seq<blanks, line_end> {};
/// `}` followed by more text: reported, and the block is closed anyway.
struct bad_close_end : rest_of_line {};
struct close_line
    : pegtl::seq<eol, blanks, close_brace, pegtl::sor<pegtl::try_catch<pegtl::must<close_end>>, bad_close_end>> {};
/// The next line starts a statement: the block was not closed.
struct closed_by_statement : pegtl::at<eol, blanks, statement_keyword> {};
struct closed_by_eof : pegtl::eof {};
struct block_close : pegtl::sor<close_line, closed_by_statement, closed_by_eof> {};

/// A line that raised an error: skipped so that the next lines are read.
struct bad_line : rest_of_line {};

// rootfs { KEYWORD WORD... }
struct mkdir_keyword : keyword<'m', 'k', 'd', 'i', 'r'> {};
struct copy_keyword : keyword<'c', 'o', 'p', 'y'> {};
struct binary_keyword : keyword<'b', 'i', 'n', 'a', 'r', 'y'> {};
struct symlink_keyword : keyword<'s', 'y', 'm', 'l', 'i', 'n', 'k'> {};
struct write_keyword : keyword<'w', 'r', 'i', 't', 'e'> {};
struct append_keyword : keyword<'a', 'p', 'p', 'e', 'n', 'd'> {};
struct device_keyword : keyword<'d', 'e', 'v', 'i', 'c', 'e'> {};
struct extract_keyword : keyword<'e', 'x', 't', 'r', 'a', 'c', 't'> {};
struct debootstrap_keyword : keyword<'d', 'e', 'b', 'o', 'o', 't', 's', 't', 'r', 'a', 'p'> {};
struct chroot_keyword : keyword<'c', 'h', 'r', 'o', 'o', 't'> {};
struct substitute_keyword : keyword<'s', 'u', 'b', 's', 't', 'i', 't', 'u', 't', 'e'> {};
struct replace_keyword : keyword<'r', 'e', 'p', 'l', 'a', 'c', 'e'> {};
struct print_keyword : keyword<'p', 'r', 'i', 'n', 't'> {};
struct step_keyword
    : pegtl::sor<mkdir_keyword, copy_keyword, binary_keyword, symlink_keyword, write_keyword, append_keyword,
                 device_keyword, extract_keyword, debootstrap_keyword, chroot_keyword, substitute_keyword,
                 replace_keyword, print_keyword> {};
/// The arguments are counted by the action, which knows the arity of each step.
struct step : pegtl::seq<step_keyword, words> {};
/// The first word of a line that is no step keyword, then the rest ignored.
struct unknown_step_word : pegtl::plus<pegtl::not_one<' ', '\t', '\n'>> {};
struct unknown_step : pegtl::seq<unknown_step_word, rest_of_line> {};
struct rootfs_line : pegtl::seq<blanks, pegtl::sor<line_end, comment, step, unknown_step>> {};
struct rootfs_body
    : pegtl::star<eol, pegtl::not_at<leaves_block>, pegtl::sor<pegtl::try_catch<rootfs_line>, bad_line>> {};
struct rootfs_block
    : pegtl::seq<rootfs_keyword, pegtl::sor<empty_block, pegtl::seq<block_start, rootfs_body, block_close>>> {};

// config { TEXT... }: each line is kept; the `${` references of a line
// are read, except in '#' lines, which are copied as they are. A line
// that starts with '@' is a directive, its words read as a step's are.
struct config_text : pegtl::star<pegtl::sor<reference, pegtl::not_one<'\n'>>> {};
struct config_plain : pegtl::sor<comment, config_text> {};
struct move_keyword : keyword<'m', 'o', 'v', 'e'> {};
struct emit_keyword : keyword<'e', 'm', 'i', 't'> {};
struct insert_keyword : keyword<'i', 'n', 's', 'e', 'r', 't'> {};
struct if_keyword : keyword<'i', 'f'> {};
struct directive_keyword : pegtl::sor<move_keyword, emit_keyword, insert_keyword, if_keyword> {};
/// The arguments are counted by the action, as a step's are.
struct directive : pegtl::seq<directive_keyword, words> {};
/// What follows '@' when it is no directive keyword (perhaps nothing).
struct unknown_directive_word : pegtl::star<pegtl::not_one<' ', '\t', '\n'>> {};
struct unknown_directive : pegtl::seq<unknown_directive_word, rest_of_line> {};
struct directive_sigil : pegtl::one<'@'> {};
struct config_directive : pegtl::seq<directive_sigil, pegtl::sor<directive, unknown_directive>> {};
struct config_line : pegtl::seq<blanks, pegtl::sor<config_directive, config_plain>> {};
struct config_body
    : pegtl::star<eol, pegtl::not_at<leaves_block>, pegtl::sor<pegtl::try_catch<config_line>, bad_line>> {};
struct config_block
    : pegtl::seq<config_keyword, pegtl::sor<empty_block, pegtl::seq<block_start, config_body, block_close>>> {};

// ---- the top level ------------------------------------------------------------------------
/// `}` with no block open.
struct stray_close : pegtl::seq<pegtl::one<'}'>, rest_of_line> {};
struct unknown_statement_word : pegtl::plus<pegtl::not_one<' ', '\t', '\n'>> {};
struct unknown_statement : pegtl::seq<unknown_statement_word, rest_of_line> {};
struct statement : pegtl::sor<description_statement, param_statement, require_statement, metadata_statement,
                              token_statement, container_file_statement, rootfs_block, config_block> {};
struct top_line : pegtl::seq<blanks, pegtl::sor<line_end, comment, statement, stray_close, unknown_statement>> {};
struct any_line : pegtl::sor<pegtl::try_catch<top_line>, bad_line> {};

/// A whole template.
struct file : pegtl::seq<pegtl::list<any_line, eol>, pegtl::eof> {};

}  // namespace corral::grammar::tmpl
