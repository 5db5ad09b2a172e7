#include "cli/lxc_compat.hpp"

#include <getopt.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string_view>

namespace corral::cli {

namespace {

constexpr int kOptRcfile = 0x100;
constexpr int kOptUsage = 0x101;
constexpr int kOptVersion = 0x102;
constexpr int kOptToolBase = 0x200;  // long-only tool options

void print_help(const LxcTool& tool) {
  std::string h = "Usage: " + tool.prog + " " + tool.usage + "\n\n" + tool.description + "\n\nOptions :\n";
  for (const LxcOption& o : tool.options) {
    std::string flag = o.short_name ? std::string("  -") + o.short_name + ", --" + o.long_name
                                    : std::string("      --") + o.long_name;
    char line[512];
    std::snprintf(line, sizeof line, "%-28s %s\n", flag.c_str(), o.help);
    h += line;
  }
  h +=
      "\nCommon options :\n"
      "  -o, --logfile=FILE               Output log to FILE instead of stderr\n"
      "  -l, --logpriority=LEVEL          Set log priority to LEVEL\n"
      "  -q, --quiet                      Don't produce any output\n"
      "  -P, --lxcpath=PATH               Use specified container path\n"
      "  -?, --help                       Give this help list\n"
      "      --usage                      Give a short usage message\n"
      "      --version                    Print the version number\n"
      "\nMandatory or optional arguments to long options are also mandatory or optional\n"
      "for any corresponding short options.\n"
      "\nSee the " + tool.prog + " man page for further information.\n\n";
  std::cerr << h;
}

}  // namespace

std::optional<int> parse_lxc_args(const LxcTool& tool, const std::vector<std::string>& args, LxcCommon& common) {
  std::vector<option> longs;
  std::string shorts = "+";  // placeholder, replaced below
  shorts.clear();
  auto add = [&](const char* name, int has_arg, int val) { longs.push_back(option{name, has_arg, nullptr, val}); };
  for (size_t i = 0; i < tool.options.size(); ++i) {
    const LxcOption& o = tool.options[i];
    add(o.long_name, o.has_arg, o.short_name ? o.short_name : kOptToolBase + static_cast<int>(i));
    if (o.short_name) {
      shorts += o.short_name;
      if (o.has_arg == required_argument) shorts += ':';
      if (o.has_arg == optional_argument) shorts += "::";
    }
  }
  add("name", required_argument, 'n');
  add("lxcpath", required_argument, 'P');
  add("logfile", required_argument, 'o');
  add("logpriority", required_argument, 'l');
  add("quiet", no_argument, 'q');
  add("rcfile", required_argument, kOptRcfile);
  add("help", no_argument, 'h');
  add("usage", no_argument, kOptUsage);
  add("version", no_argument, kOptVersion);
  longs.push_back(option{nullptr, 0, nullptr, 0});
  shorts += "n:P:o:l:qh?";

  std::vector<std::string> storage;
  storage.push_back(tool.prog);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  int lxcpath_count = 0;
  optind = 0;  // full re-initialisation of getopt
  opterr = 1;
  for (;;) {
    int idx = -1;
    int c = getopt_long(static_cast<int>(argv.size() - 1), argv.data(), shorts.c_str(), longs.data(), &idx);
    if (c == -1) break;
    switch (c) {
      case 'n':
        common.name = optarg;
        common.name_by_option = true;
        break;
      case 'P': {
        if (++lxcpath_count > 1) {
          std::cerr << "This command only accepts 1 -P,--lxcpath arguments\n";
          return 1;
        }
        std::string p = optarg;
        while (p.size() > 1 && p.back() == '/') p.pop_back();
        common.lxcpath = p;
        break;
      }
      case 'o':
        common.logfile = optarg;
        break;
      case 'l':
        common.logpriority = optarg;
        break;
      case 'q':
        common.quiet = true;
        break;
      case kOptRcfile:
        common.rcfile = optarg;
        break;
      case 'h':
        print_help(tool);
        return 0;
      case '?':
        // getopt already printed its message for a bad option; a literal
        // -? asks for help.
        print_help(tool);
        return optopt == '?' ? 0 : 1;
      case kOptUsage:
        std::cerr << "Usage: " << tool.prog << " " << tool.usage << "\n";
        return 0;
      case kOptVersion:
        std::cout << "5.0.2\n";
        return 0;
      default: {
        const LxcOption* o = nullptr;
        if (c >= kOptToolBase) {
          o = &tool.options[static_cast<size_t>(c - kOptToolBase)];
        } else {
          for (const LxcOption& t : tool.options)
            if (t.short_name == c) o = &t;
        }
        if (!o || !tool.on_option(o->short_name, o->long_name, optarg)) {
          std::cerr << tool.prog << ": could not parse command line\n";
          return 1;
        }
      }
    }
  }
  for (int i = optind; i < static_cast<int>(argv.size() - 1); ++i) common.rest.emplace_back(argv[static_cast<size_t>(i)]);
  // Without -n, the first non-option argument is the name.
  if (!common.name && !common.rest.empty()) {
    common.name = common.rest.front();
    common.rest.erase(common.rest.begin());
  }
  return std::nullopt;
}

void OutputFormat::offer(LxcTool& tool) const {
  tool.options.push_back({"format", 0, required_argument, "Output format: text (default) or json"});
}

bool OutputFormat::take(const char* long_name, const char* arg) {
  if (!long_name || std::string_view(long_name) != "format") return false;
  json = std::string_view(arg) == "json";
  bad = !json && std::string_view(arg) != "text";
  return true;
}

std::optional<int> OutputFormat::check(const std::string& prog) const {
  if (!bad) return std::nullopt;
  std::cerr << prog << ": --format takes 'text' or 'json'\n";
  return 2;
}

std::optional<int> parse_lxc_args_named(const LxcTool& tool, const std::vector<std::string>& args,
                                        LxcCommon& common) {
  if (std::optional<int> done = parse_lxc_args(tool, args, common)) return done;
  if (common.name) return std::nullopt;
  std::cerr << tool.prog << ": No container name specified\n";
  return 1;
}

}  // namespace corral::cli
