// libFuzzer target: the template grammar and parser, and the rendering of
// what it reports; the seeds are tests/cases/template.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "template/template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corral::config::SourceTable sources;
  uint32_t id = sources.add("fuzz.tmpl", {});
  corral::config::Diagnostics diags;
  std::optional<corral::tmpl::Template> t = corral::tmpl::parse_template(text, "fuzz.tmpl", id, diags);
  (void)diags.render(sources);
  if (t) {
    // What parsed must be what the later stages can take: arities within
    // the tables, directives named.
    for (const corral::tmpl::RecipeStep& s : t->rootfs)
      if (!corral::tmpl::arity_ok(s.kind, s.args.size()) || !*corral::tmpl::step_name(s.kind)) __builtin_trap();
    for (const corral::tmpl::ConfigItem& c : t->config) {
      if (!c.directive) continue;
      if (!corral::tmpl::arity_ok(*c.directive, c.args.size()) || !*corral::tmpl::directive_name(*c.directive))
        __builtin_trap();
    }
    for (const corral::tmpl::Param& p : t->params) (void)corral::tmpl::param_type_name(p.type);
  }
  return 0;
}
