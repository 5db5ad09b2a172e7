"""Differential test: corral against the real LXC 5.0.2 (python3-lxc).

Loads every file of a corpus with liblxc (the oracle, through lxc_oracle.py)
and with `corral config`, then compares:
  * accept/reject: LXC's load_config() against `corral config check`;
  * for files both reject, that the line LXC stops at (from its error log)
    is one of the lines corral reports an error on;
  * for files both accept, the value of every key: the union of what LXC
    lists (get_keys(), get_keys('lxc.net.N') for each interface) and what
    `corral config get --json --all` prints, plus a few keys neither lists
    (lxc.namespace.share.NS, lxc.net.N.type for every index in the source).
Values are compared as the raw strings liblxc returns, before the Python
binding turns newline-terminated values into lists (which would drop
repeated trailing newlines). Two differences are not failures: LXC's
"(null)" equals corral's "" (a printf artifact corral does not copy), and
hwaddr values whose source contains x/X (randomised while parsing) are
compared by shape. Where corral deliberately rejects what LXC accepts, the
case must be listed in DIVERGENCES below, with the reason; any other
difference is a failure.

Corpus:
  stock        /usr/share/lxc/config/*.conf
  golden       tests/cases/config/*.conf (not *.inc.conf), loaded in that
               directory
  differential tests/cases/differential/*.conf (not *.inc.conf), loaded in
               that directory
Every file is loaded with CORRAL_GOLDEN_VAR=from-env in the environment of
both programs (bare lxc.environment names read it).

Usage: /usr/bin/python3 differential.py --corral BINARY [--source DIR]
           [--filter SUBSTRING] [--summary]
Prints one line per file, details under each failure, and ends with the
line `N passed, M failed`; the exit status is 1 when anything failed.
"""

import argparse
import collections
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
from typing import Callable, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "lxc_oracle.py")
STOCK_DIR = "/usr/share/lxc/config"
TIMEOUT = 60
# Keys that neither LXC's get_keys() nor corral's --all list unless set.
NAMESPACES = ("user", "mnt", "pid", "uts", "ipc", "net", "cgroup", "time")
ALWAYS_READ = ["lxc.namespace.share." + ns for ns in NAMESPACES]
NET_INDEX_LIMIT = 2147483647


# ---- values as LXC parses them --------------------------------------------------

def lxc_uint(value: str) -> Optional[int]:
    """The number LXC's lxc_safe_uint() reads from `value` (strtoul base 0,
    leading blanks and '+' allowed, no '-', 32 bits), or None."""
    s = value.lstrip(" \t\n\v\f\r")
    if s.startswith("-"):
        return None
    m = re.fullmatch(r"\+?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", s)
    if not m:
        return None
    digits = m.group(1)
    if digits[:2] in ("0x", "0X"):
        n = int(digits[2:], 16)
    elif digits.startswith("0"):
        n = int(digits, 8)
    else:
        n = int(digits)
    return n if n <= 0xFFFFFFFF else None


def not_a_uint(value: Optional[str]) -> bool:
    return value is not None and lxc_uint(value) is None


def shmounts_without_host(value: Optional[str]) -> bool:
    if value is None:
        return False
    return any(t == "shmounts:" or t.startswith("shmounts::") for t in value.split())


# ---- the deliberate divergences ---------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Divergence:
    """corral rejects a line that LXC accepts (or crashes on)."""
    name: str
    key: str                                   # regex, full match on the line's key
    value: Optional[Callable[[Optional[str]], bool]]  # predicate on its value; None: any
    lxc: str                                   # what LXC does: "accept" or "crash"
    reason: str


DIVERGENCES = [
    Divergence("include-cycle", r"lxc\.include", None, "crash",
               "LXC has no cycle detection and recurses until it segfaults; "
               "corral rejects the cycle and shows the include chain"),
    Divergence("init-uid-gid", r"lxc\.init\.(uid|gid)", not_a_uint, "accept",
               "LXC 5.0.2 returns a stale errno for a value that is not a uint, "
               "so the line is sometimes silently ignored; corral always rejects it"),
    Divergence("seccomp-allow-nesting", r"lxc\.seccomp\.allow_nesting", not_a_uint, "accept",
               "same stale-errno bug as lxc.init.uid: a non-numeric value is "
               "sometimes silently ignored; corral always rejects it"),
    Divergence("hook-version", r"lxc\.hook\.version", not_a_uint, "accept",
               "same stale-errno bug as lxc.init.uid: a non-numeric value is "
               "sometimes silently ignored; corral always rejects it"),
    Divergence("shmounts-empty-host", r"lxc\.mount\.auto", shmounts_without_host, "accept",
               "LXC accepts `shmounts:` and `shmounts::/x` but leaves the host "
               "path unset or empty (a parser bug); corral rejects them"),
]


# ---- reading the sources the way LXC does (approximately) --------------------------

def unquote(value: str) -> str:
    if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
        return value[1:-1]
    return value


def split_entry(line: str):
    """(key, value) of a config line, or (text, None) without '='; None for
    blank, comment and martian lines."""
    text = line.lstrip(" \t")
    if not text.startswith("lxc."):
        return None
    if "=" not in text:
        return text.rstrip(" \t"), None
    key, value = text.split("=", 1)
    return key.rstrip(" \t"), unquote(value.strip(" \t"))


def source_entries(path: str, cwd: str, reading=()):
    """Every (key, value) of `path` and of the files it includes, in order:
    used only to find interface indices and hwaddr templates, where an
    approximation of LXC's reading is enough. `reading` stops include cycles."""
    real = os.path.realpath(path)
    if real in reading:
        return
    reading = reading + (real,)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return
    data = data.split(b"\0", 1)[0]  # LXC stops at the first NUL byte
    for raw in re.split(rb"[\r\n]", data):
        entry = split_entry(raw.decode("latin-1"))
        if not entry or entry[1] is None:
            continue
        key, value = entry
        yield key, value
        if key != "lxc.include" or not value:
            continue
        target = value if os.path.isabs(value) else os.path.join(cwd, value)
        if os.path.isdir(target):
            for name in sorted(os.listdir(target)):
                full = os.path.join(target, name)
                if len(name) >= 6 and name.endswith(".conf") and os.path.isfile(full):
                    yield from source_entries(full, cwd, reading)
        else:
            yield from source_entries(target, cwd, reading)


def scan_sources(path: str, cwd: str):
    """(interface indices written anywhere, {index: last hwaddr written}
    for the interfaces whose last hwaddr has x/X to randomise)."""
    indices, hwaddr = set(), {}
    for key, value in source_entries(path, cwd):
        m = re.match(r"lxc\.net\.([0-9]+)(\.|$)", key)
        if not m or int(m.group(1)) >= NET_INDEX_LIMIT:
            continue
        index = int(m.group(1))
        indices.add(index)
        if key[m.end():] == "hwaddr":
            hwaddr[index] = value
    return sorted(indices), {i: v for i, v in hwaddr.items() if re.search(r"[xX]", v)}


# ---- running corral and the oracle --------------------------------------------------

@dataclasses.dataclass
class Run:
    status: int
    stdout: str
    stderr: str


def run(argv, cwd, env, stdin=None) -> Run:
    p = subprocess.run(argv, cwd=cwd, env=env, input=stdin, capture_output=True, timeout=TIMEOUT)
    return Run(p.returncode, p.stdout.decode("utf-8", "surrogateescape"),
               p.stderr.decode("utf-8", "surrogateescape"))


@dataclasses.dataclass
class CorralError:
    message: str
    text: Optional[str]   # the excerpt of the line it points at
    key: Optional[str]    # of the line the error points at
    value: Optional[str]


def corral_errors(stderr: str):
    """The errors of corral's rendered diagnostics, each with the key and
    value of the line it points at (from the excerpt under it)."""
    lines = stderr.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"^(\S.*?): error: (.*)$", line)
        if not m:
            continue
        text = key = value = None
        if i + 1 < len(lines):
            x = re.match(r"^ +[0-9]+ \| (.*)$", lines[i + 1])
            if x:
                text = x.group(1)
                entry = split_entry(text)
                if entry:
                    key, value = entry
        out.append(CorralError(m.group(2), text, key, value))
    return out


def corral_json(corral, args, cwd, env):
    r = run([corral, "config", "get", "--json"] + args, cwd, env)
    if r.status != 0:
        raise RuntimeError("`corral config get --json` exited %d: %s" % (r.status, r.stderr.strip()))
    return json.loads(r.stdout)


# ---- comparing values -----------------------------------------------------------------

def same_shape(template: str, a: str, b: str) -> bool:
    """hwaddr values randomised from `template`: where it has x/X both hold
    a hex digit (an even one in the second place, which LXC forces to a
    unicast address), everywhere else they are equal."""
    hexdigits = "0123456789abcdefABCDEF"
    if not len(template) == len(a) == len(b):
        return False
    for i, (t, x, y) in enumerate(zip(template, a, b)):
        if t not in "xX":
            if x != y:
                return False
        elif x not in hexdigits or y not in hexdigits or (i == 1 and (int(x, 16) % 2 or int(y, 16) % 2)):
            return False
    return True


def values_equal(key: str, lxc_value, corral_value, random_hwaddr) -> bool:
    if lxc_value == "(null)" and corral_value == "":
        return True
    if lxc_value == corral_value:
        return True
    m = re.fullmatch(r"lxc\.net\.([0-9]+)\.hwaddr", key)
    template = random_hwaddr.get(int(m.group(1))) if m else None
    if template is not None and lxc_value is not None and corral_value is not None:
        return same_shape(template, lxc_value, corral_value)
    return False


def family_of(key: str) -> str:
    """The key as the registry names it, for grouping mismatches."""
    m = re.fullmatch(r"lxc\.net\.[0-9]+(\..*)?", key)
    if m:
        return "lxc.net.[i]" + (m.group(1) or "")
    for prefix in ("lxc.cgroup2", "lxc.cgroup", "lxc.sysctl", "lxc.proc", "lxc.prlimit",
                   "lxc.namespace.share"):
        if key.startswith(prefix + ".") and not key.startswith("lxc.cgroup.dir") and \
                key != "lxc.cgroup.relative":
            return prefix + ".*"
    return key


# ---- one file ------------------------------------------------------------------------

@dataclasses.dataclass
class Result:
    ok: bool
    summary: str
    details: list
    mismatched_keys: list


def check_file(corral: str, path: str, cwd: str, env) -> Result:
    check = run([corral, "config", "check", path], cwd, env)
    if check.status not in (0, 1):
        return Result(False, "corral crashed (exit %d)" % check.status, [check.stderr.strip()], [])
    corral_accepts = check.status == 0

    indices, random_hwaddr = scan_sources(path, cwd)
    corral_values, get_all_error = {}, None
    if corral_accepts:
        try:
            corral_values = corral_json(corral, [path, "--all"], cwd, env)
        except (RuntimeError, ValueError) as e:
            get_all_error = str(e)
    extra = list(dict.fromkeys(list(corral_values) + ALWAYS_READ +
                               ["lxc.net.%d.type" % i for i in indices]))
    request = json.dumps({"keys": extra, "net_indices": indices}).encode()
    # liblxc overflows its stack on some files (include cycles), so the
    # oracle cannot always remove its own temporary lxcpath: it makes it
    # in a directory of ours.
    with tempfile.TemporaryDirectory(prefix="corral-diff-oracle-") as scratch:
        try:
            oracle = run(["/usr/bin/python3", ORACLE, path], cwd, dict(env, TMPDIR=scratch), stdin=request)
        except subprocess.TimeoutExpired:
            return Result(False, "LXC timed out", [], [])

    if oracle.status < 0 or oracle.status >= 128:
        lxc_outcome = "crash"
    elif oracle.status != 0:
        return Result(False, "the oracle failed (exit %d)" % oracle.status, [oracle.stderr.strip()[-2000:]], [])
    else:
        answer = json.loads(oracle.stdout)
        lxc_outcome = "accept" if answer["accept"] else "reject"

    if lxc_outcome != "accept" or not corral_accepts:
        r = compare_outcomes(lxc_outcome, corral_accepts, check.stderr,
                             answer if lxc_outcome != "crash" else None)
        if get_all_error:
            r.details.append(get_all_error)
        return r
    if get_all_error:
        return Result(False, "`corral config check` accepts, `config get --json --all` fails", [get_all_error], [])

    lxc_values = answer["values"]
    missing = [k for k in lxc_values if k not in corral_values]
    if missing:
        corral_values.update(corral_json(corral, [path] + missing, cwd, env))
    details, mismatched = [], []
    for key in dict.fromkeys(list(lxc_values) + list(corral_values)):
        if key in answer["undecodable"]:
            continue
        lv, cv = lxc_values.get(key), corral_values.get(key)
        if not values_equal(key, lv, cv, random_hwaddr):
            mismatched.append(key)
            details.append("%s: lxc %s, corral %s" % (key, describe(lv), describe(cv)))
    skipped = answer["undecodable"]
    note = " (not compared, not UTF-8 for the binding: %s)" % ", ".join(skipped) if skipped else ""
    if mismatched:
        return Result(False, "%d key(s) differ%s" % (len(mismatched), note), details, mismatched)
    return Result(True, "both accept, %d keys equal%s" % (len(lxc_values.keys() | corral_values.keys()), note), [], [])


def describe(value) -> str:
    return "cannot read it" if value is None else json.dumps(value)


VERB = {"accept": "accepts", "reject": "rejects", "crash": "crashes"}


def line_text(text: str) -> str:
    """A source line as corral's excerpt shows it, without outer blanks."""
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f]", "?", text).strip(" \t")


def compare_outcomes(lxc_outcome: str, corral_accepts: bool, corral_stderr: str, answer) -> Result:
    """Accept/reject differ, or both reject. `answer` is the oracle's (None
    when LXC crashed)."""
    errors = corral_errors(corral_stderr)
    if lxc_outcome == "reject" and not corral_accepts:
        # LXC stops at its first bad line; corral reports every bad line, so
        # that line must be among them.
        failed = answer["failed_line"]
        if failed is None or any(e.text is not None and line_text(e.text) == line_text(failed) for e in errors):
            return Result(True, "both reject", [], [])
        entry = split_entry(failed)
        return Result(False, "both reject, but corral accepts the line LXC stops at",
                      ["lxc: " + m for m in answer["errors"]] + ["corral: " + e.message for e in errors],
                      [entry[0] if entry else "(acceptance)"])
    if not corral_accepts:
        # Every error corral reports must be a listed divergence for what
        # LXC did with the file.
        used, unexplained = [], []
        for e in errors:
            d = next((d for d in DIVERGENCES
                      if d.lxc == lxc_outcome and e.key is not None and re.fullmatch(d.key, e.key)
                      and (d.value is None or d.value(e.value))), None)
            if d:
                used.append(d.name)
            else:
                unexplained.append(e)
        if errors and not unexplained:
            return Result(True, "lxc %s, corral rejects: divergence %s"
                          % (VERB[lxc_outcome], ", ".join(sorted(set(used)))), [], [])
        return Result(False, "lxc %s, corral rejects" % VERB[lxc_outcome],
                      ["corral: %s" % e.message for e in unexplained] or [corral_stderr.strip()],
                      [e.key or "(acceptance)" for e in unexplained] or ["(acceptance)"])
    if lxc_outcome == "crash":
        return Result(False, "lxc crashes, corral accepts", [], ["(acceptance)"])
    entry = split_entry(answer["failed_line"] or "")
    return Result(False, "lxc rejects, corral accepts", ["lxc: " + m for m in answer["errors"]],
                  [entry[0] if entry else "(acceptance)"])


# ---- the corpus ------------------------------------------------------------------------

def corpus(source: str):
    """(label, path, working directory) for every file to load."""
    def cases(directory):
        return sorted(os.path.join(directory, n) for n in os.listdir(directory)
                      if n.endswith(".conf") and not n.endswith(".inc.conf")
                      and os.path.isfile(os.path.join(directory, n)))

    out = [("stock", p, STOCK_DIR) for p in cases(STOCK_DIR)]
    for label, sub in (("golden", "tests/cases/config"), ("differential", "tests/cases/differential")):
        directory = os.path.join(source, sub)
        out += [(label, p, directory) for p in cases(directory)]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description="compare corral with LXC 5.0.2 on a corpus of configs")
    parser.add_argument("--corral", required=True, help="the corral binary")
    parser.add_argument("--source", default=os.path.dirname(os.path.dirname(HERE)),
                        help="the corral source tree (default: this script's)")
    parser.add_argument("--filter", default="", help="only files whose path contains this")
    parser.add_argument("--summary", action="store_true", help="group mismatching keys by key family at the end")
    args = parser.parse_args()
    corral = os.path.abspath(args.corral)

    env = dict(os.environ)
    env["CORRAL_GOLDEN_VAR"] = "from-env"
    passed = failed = 0
    by_family = collections.defaultdict(list)
    for label, path, cwd in corpus(args.source):
        if args.filter not in path:
            continue
        shown = os.path.relpath(path, args.source) if label != "stock" else path
        try:
            r = check_file(corral, path, cwd, env)
        except (RuntimeError, ValueError, subprocess.TimeoutExpired) as e:
            r = Result(False, "harness error: %s" % e, [], [])
        print("%s %-12s %s: %s" % ("ok  " if r.ok else "FAIL", label, shown, r.summary))
        for d in r.details:
            print("       " + d.replace("\n", "\n       "))
        if r.ok:
            passed += 1
        else:
            failed += 1
            for k in r.mismatched_keys or ["(other)"]:
                by_family[family_of(k)].append(shown)
        sys.stdout.flush()
    if args.summary and by_family:
        print("\nmismatches by key family:")
        for family in sorted(by_family):
            files = by_family[family]
            print("  %s: %d file(s): %s" % (family, len(files), ", ".join(sorted(set(files)))))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
