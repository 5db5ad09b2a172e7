// Seccomp policies compiled into BPF and loaded. The compile follows LXC
// 5.0.2's parse_config_v1/v2 (src/lxc/seccomp.c) call for call: separate
// libseccomp contexts for the native and each compat ABI, merged at the end,
// so the BPF denies and allows what LXC's filter does on every ABI.
#include "exec/seccomp.hpp"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "util/fd.hpp"
#include "util/fs.hpp"

namespace corral::exec {

namespace {

using config::SeccompAction;
using config::SeccompCompare;
using config::SeccompPolicy;
using config::SeccompRule;

struct ContextRelease {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, ContextRelease>;

/// A libseccomp call that returned -errno.
Error libseccomp_error(std::string call, int rc) { return Error::system(std::move(call), "", -rc); }


/// Where a rule was written: file:line:col when the source table knows the file.
SourceLoc rule_loc(const SeccompRule& r, const config::SourceTable* sources) {
  const config::SourceFile* f = sources ? sources->get(r.origin.file) : nullptr;
  if (!f) return {};
  return SourceLoc{f->path, r.origin.line, r.origin.col};
}

/// "rule 'mount'", plus its line when the location cannot name the file.
std::string rule_label(const SeccompRule& r, const SourceLoc& loc) {
  std::string out = "rule '" + r.name + "'";
  if (loc.file.empty() && r.origin.line != 0) out += " at line " + std::to_string(r.origin.line);
  return out;
}

constexpr const char* kNoNotify =
    "which needs a seccomp notify proxy (lxc.seccomp.notify.proxy): corral does not implement one";

/// corral has no notify proxy: a filter returning SECCOMP_RET_USER_NOTIF
/// without a listener would only make those calls fail with ENOSYS.
std::optional<Error> refuse_notify(const SeccompPolicy& policy, const config::SourceTable* sources) {
  if (policy.default_action.kind == SeccompAction::Kind::notify)
    return Error::config(std::string("the policy's default action is 'notify', ") + kNoNotify);
  for (const SeccompRule& r : policy.rules) {
    if (r.action.kind != SeccompAction::Kind::notify) continue;
    SourceLoc loc = rule_loc(r, sources);
    std::string label = rule_label(r, loc);
    return Error::config(label + " uses the action 'notify', " + kNoNotify, std::move(loc));
  }
  return std::nullopt;
}

/// One of LXC's contexts: the policy's default action, no automatic
/// no_new_privs, and only `arch` (get_new_ctx() for a compat ABI).
Result<Context> new_context(const SeccompPolicy& policy, uint32_t arch) {
  Context ctx(seccomp_init(policy.default_action.scmp()));
  if (!ctx) {
    return Error::config("libseccomp cannot create a filter with the default action '" + policy.default_action.str() +
                         "'");
  }
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0); rc < 0)
    return libseccomp_error("seccomp_attr_set SCMP_FLTATR_CTL_NNP", rc);
  if (arch != seccomp_arch_native()) {
    if (int rc = seccomp_arch_add(ctx.get(), arch); rc < 0)
      return libseccomp_error("seccomp_arch_add " + config::seccomp_arch_name(arch), rc);
    if (int rc = seccomp_arch_remove(ctx.get(), SCMP_ARCH_NATIVE); rc < 0)
      return libseccomp_error("seccomp_arch_remove native", rc);
  }
  return ctx;
}

/// The libseccomp calls LXC's do_resolve_add_rule() makes for one rule.
Result<void> add_rule(const SeccompPolicy& policy, const SeccompRule& r,
                      const std::vector<std::pair<uint32_t, Context>>& contexts,
                      const config::SourceTable* sources) {
  std::vector<scmp_arg_cmp> cmps = config::scmp_arg_cmps(r);
  auto count = static_cast<unsigned int>(cmps.size());
  const scmp_arg_cmp* data = cmps.empty() ? nullptr : cmps.data();
  for (uint32_t arch : r.arches) {
    void* ctx = nullptr;
    for (const auto& [a, c] : contexts)
      if (a == arch) ctx = c.get();
    SourceLoc loc = rule_loc(r, sources);
    if (!ctx) {
      std::string label = rule_label(r, loc);
      return Error::config(label + " is for the ABI " + config::seccomp_arch_name(arch) +
                               ", which the policy's filter does not cover",
                           std::move(loc));
    }
    // Version 1 uses seccomp_rule_add (parse_config_v1); version 2 the exact form.
    int rc = policy.version == 1 ? seccomp_rule_add_array(ctx, r.action.scmp(), r.nr, count, data)
                                 : seccomp_rule_add_exact_array(ctx, r.action.scmp(), r.nr, count, data);
    if (rc < 0) {
      std::string label = rule_label(r, loc);
      return Error::config("libseccomp refuses " + label + " (" + r.action.str() + ") on " +
                               config::seccomp_arch_name(arch) + ": " + std::strerror(-rc),
                           std::move(loc));
    }
  }
  return {};
}

/// seccomp_export_bpf() writes to an fd: a memfd, read back whole.
Result<SeccompProgram> export_bpf(void* ctx) {
  UniqueFd fd(memfd_create("corral-seccomp-bpf", MFD_CLOEXEC));
  if (fd.get() < 0) return Error::system("memfd_create", "", errno);
  if (int rc = seccomp_export_bpf(ctx, fd.get()); rc < 0) return libseccomp_error("seccomp_export_bpf", rc);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) return Error::system("fstat of the exported filter", "", errno);
  auto size = static_cast<size_t>(st.st_size);
  if (size == 0 || size % sizeof(struct sock_filter) != 0) {
    return Error(Error::Kind::internal, "seccomp_export_bpf wrote " + std::to_string(size) +
                                            " bytes, not a whole number of BPF instructions");
  }
  size_t count = size / sizeof(struct sock_filter);
  if (count > BPF_MAXINSNS) {
    return Error::config("the compiled seccomp filter has " + std::to_string(count) +
                         " BPF instructions: the kernel loads at most " + std::to_string(BPF_MAXINSNS));
  }
  SeccompProgram program;
  program.filter.resize(count);
  auto* bytes = reinterpret_cast<char*>(program.filter.data());
  size_t done = 0;
  while (done < size) {
    ssize_t n = pread(fd.get(), bytes + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::system("read the exported filter", "", errno);
    if (n == 0) return Error(Error::Kind::internal, "the exported seccomp filter is shorter than its size");
    done += static_cast<size_t>(n);
  }
  return program;
}


}  // namespace

Result<SeccompProgram> compile_seccomp(const SeccompPolicy& policy, const config::SourceTable* sources) {
  if (std::optional<Error> e = refuse_notify(policy, sources)) return std::move(*e);
  if (policy.arches.empty()) return Error::config("the seccomp policy covers no ABI");

  // The first ABI (the native one, for a parsed policy) is the context the
  // others are merged into, as LXC's conf->seccomp.seccomp_ctx.
  std::vector<std::pair<uint32_t, Context>> contexts;
  for (uint32_t arch : policy.arches) {
    Result<Context> ctx = new_context(policy, arch);
    if (!ctx) return std::move(ctx.error());
    contexts.emplace_back(arch, std::move(ctx.value()));
  }
  for (const SeccompRule& r : policy.rules) CORRAL_TRY(add_rule(policy, r, contexts, sources));

  void* merged = contexts.front().second.get();
  for (size_t i = 1; i < contexts.size(); ++i) {
    if (int rc = seccomp_merge(merged, contexts[i].second.get()); rc < 0)
      return libseccomp_error("seccomp_merge " + config::seccomp_arch_name(contexts[i].first), rc);
    (void)contexts[i].second.release();  // seccomp_merge freed it
  }
  return export_bpf(merged);
}

Result<SeccompProgram> compile_seccomp_file(const std::string& path) {
  Result<std::string> text = read_text_file(path, "cannot read seccomp policy");
  if (!text) return std::move(text.error());
  config::Diagnostics diags;
  config::SourceTable sources;
  SeccompPolicy policy = config::parse_seccomp_policy(text.value(), path, diags, sources);
  if (diags.error_count() > 0) {
    std::string rendered;
    for (const config::Diagnostic& d : diags.items())
      if (d.severity == config::Severity::error) rendered += config::render(d, sources);
    while (!rendered.empty() && rendered.back() == '\n') rendered.pop_back();
    return Error::config("invalid seccomp policy `" + path + "`:\n" + rendered);
  }
  Result<SeccompProgram> program = compile_seccomp(policy, &sources);
  // An error located in the file already names it.
  if (!program && program.error().loc().file.empty()) program.error().wrap("seccomp policy `" + path + "`");
  return program;
}

uint32_t seccomp_verdict(const SeccompProgram& program, const struct seccomp_data& call) {
  const std::vector<struct sock_filter>& code = program.filter;
  uint32_t a = 0, x = 0;
  uint32_t mem[BPF_MEMWORDS] = {};
  auto word_at = [&call](uint32_t offset, uint32_t* out) {
    if (offset % 4 != 0 || offset > sizeof call - 4) return false;
    std::memcpy(out, reinterpret_cast<const char*>(&call) + offset, 4);
    return true;
  };
  for (size_t pc = 0; pc < code.size(); ++pc) {
    const struct sock_filter& i = code[pc];
    const uint32_t k = i.k;
    const uint32_t operand = BPF_SRC(i.code) == BPF_X ? x : k;
    switch (BPF_CLASS(i.code)) {
      case BPF_LD:
      case BPF_LDX: {
        uint32_t& reg = BPF_CLASS(i.code) == BPF_LD ? a : x;
        if (BPF_SIZE(i.code) != BPF_W) return SECCOMP_RET_KILL_PROCESS;
        switch (BPF_MODE(i.code)) {
          case BPF_ABS:
            if (BPF_CLASS(i.code) != BPF_LD || !word_at(k, &reg)) return SECCOMP_RET_KILL_PROCESS;
            break;
          case BPF_LEN: reg = sizeof call; break;
          case BPF_IMM: reg = k; break;
          case BPF_MEM:
            if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
            reg = mem[k];
            break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        break;
      }
      case BPF_ST:
      case BPF_STX:
        if (k >= BPF_MEMWORDS) return SECCOMP_RET_KILL_PROCESS;
        mem[k] = BPF_CLASS(i.code) == BPF_ST ? a : x;
        break;
      case BPF_ALU:
        switch (BPF_OP(i.code)) {
          case BPF_ADD: a += operand; break;
          case BPF_SUB: a -= operand; break;
          case BPF_MUL: a *= operand; break;
          case BPF_DIV:
          case BPF_MOD:
            if (operand == 0) return 0;  // the kernel's filter then returns 0: kill
            a = BPF_OP(i.code) == BPF_DIV ? a / operand : a % operand;
            break;
          case BPF_OR: a |= operand; break;
          case BPF_AND: a &= operand; break;
          case BPF_XOR: a ^= operand; break;
          case BPF_LSH: a = operand < 32 ? a << operand : 0; break;
          case BPF_RSH: a = operand < 32 ? a >> operand : 0; break;
          case BPF_NEG: a = 0 - a; break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        break;
      case BPF_JMP: {
        size_t skip = 0;
        switch (BPF_OP(i.code)) {
          case BPF_JA: skip = k; break;
          case BPF_JEQ: skip = a == operand ? i.jt : i.jf; break;
          case BPF_JGT: skip = a > operand ? i.jt : i.jf; break;
          case BPF_JGE: skip = a >= operand ? i.jt : i.jf; break;
          case BPF_JSET: skip = (a & operand) != 0 ? i.jt : i.jf; break;
          default: return SECCOMP_RET_KILL_PROCESS;
        }
        if (skip >= code.size() - pc - 1) return SECCOMP_RET_KILL_PROCESS;
        pc += skip;
        break;
      }
      case BPF_RET:
        if (BPF_RVAL(i.code) == BPF_K) return k;
        if (BPF_RVAL(i.code) == BPF_A) return a;
        return SECCOMP_RET_KILL_PROCESS;
      case BPF_MISC:
        if (BPF_MISCOP(i.code) == BPF_TAX) x = a;
        else if (BPF_MISCOP(i.code) == BPF_TXA) a = x;
        else return SECCOMP_RET_KILL_PROCESS;
        break;
      default: return SECCOMP_RET_KILL_PROCESS;
    }
  }
  return SECCOMP_RET_KILL_PROCESS;  // ran off the end: the kernel refuses such a program
}

struct seccomp_data seccomp_call(int nr, std::initializer_list<uint64_t> args, uint32_t arch) {
  struct seccomp_data call {};
  call.nr = nr;
  call.arch = arch ? arch : seccomp_arch_native();
  size_t i = 0;
  for (uint64_t a : args)
    if (i < 6) call.args[i++] = a;
  return call;
}

bool seccomp_allows(uint32_t verdict) {
  const uint32_t action = verdict & SECCOMP_RET_ACTION_FULL;
  return action == SECCOMP_RET_ALLOW || action == SECCOMP_RET_LOG;
}

Result<void> load_seccomp(const SeccompProgram& program) {
  // Error messages stay within std::string's small buffer: nothing is allocated.
  struct sock_fprog prog {};
  prog.len = static_cast<unsigned short>(program.filter.size());
  prog.filter = const_cast<struct sock_filter*>(program.filter.data());
  if (program.filter.size() > BPF_MAXINSNS) return Error::system("load seccomp", "", E2BIG);
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0) return {};
  if (errno != ENOSYS) return Error::system("load seccomp", "", errno);
  // Kernels before 3.17 have no seccomp(2).
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0) return {};
  return Error::system("load seccomp", "", errno);
}

}  // namespace corral::exec
