"""Loads one configuration file with the real liblxc and reports what it read.

Run by differential.py as a child process, because liblxc can crash on some
inputs (an include cycle recurses until the stack overflows) and because
relative includes and bare lxc.environment names depend on the working
directory and the environment of the process that loads the file.

Usage: /usr/bin/python3 lxc_oracle.py FILE < request.json > answer.json

The request is a JSON object:
  {"keys": [KEY, ...],            keys to read besides the ones LXC lists
   "net_indices": [N, ...]}       interface indices that may exist
The answer is a JSON object:
  {"accept": bool,                what load_config() returned
   "values": {KEY: str | null},   the raw get_config_item() string, or null
                                  when LXC refuses to read the key
   "undecodable": [KEY, ...],     keys whose value is not UTF-8 (the Python
                                  binding cannot return them)
   "interfaces": [N, ...],        the indices LXC has an interface for
   "errors": [str, ...],          when rejected: LXC's error log messages
   "failed_line": str | null}     when rejected: the line LXC stopped at
"""

import json
import os
import re
import sys
import tempfile

import _lxc
import lxc


def raw_value(container, key):
    """get_config_item without the binding's list conversion, which drops
    repeated trailing newlines; (value, decodable)."""
    try:
        value = _lxc.Container.get_config_item(container, key)
    except KeyError:
        return None, True
    except UnicodeDecodeError:
        return None, False
    if value is False:
        return None, True
    return value, True


def rejection(path):
    """LXC's error messages for a file it rejects, and the line it stopped
    at. A second load with logging on: the log settings would otherwise
    show up in the values of an accepted file."""
    with tempfile.TemporaryDirectory(prefix="corral-diff-") as lxcpath:
        container = lxc.Container("x", lxcpath)
        log = os.path.join(lxcpath, "log")
        container.set_config_item("lxc.log.file", log)
        container.set_config_item("lxc.log.level", "ERROR")
        container.load_config(path)
        try:
            with open(log, encoding="utf-8", errors="surrogateescape") as f:
                lines = f.read().splitlines()
        except OSError:
            return [], None
    # lxc 20261127180754.130 ERROR    parse - ../src/lxc/parse.c:fn:129 - MESSAGE
    errors = [line.split(" - ", 2)[-1] for line in lines if " ERROR " in line]
    failed = None
    for e in errors:
        m = re.match(r'Failed to parse config file ".*" at line "(.*)"$', e, re.S)
        if m:  # the innermost file comes first
            failed = m.group(1)
            break
    return errors, failed


def main():
    path = sys.argv[1]
    request = json.load(sys.stdin)
    with tempfile.TemporaryDirectory(prefix="corral-diff-") as lxcpath:
        container = lxc.Container("x", lxcpath)
        accept = bool(container.load_config(path))
        answer = {"accept": accept, "values": {}, "undecodable": [], "interfaces": [],
                  "errors": [], "failed_line": None}
        if not accept:
            answer["errors"], answer["failed_line"] = rejection(path)
        if accept:
            keys = list(container.get_keys())
            for index in request["net_indices"]:
                try:
                    subkeys = container.get_keys("lxc.net.%d" % index)
                except KeyError:
                    continue
                if isinstance(subkeys, str):  # the binding returns "" for no subkeys
                    subkeys = [subkeys] if subkeys else []
                answer["interfaces"].append(index)
                keys.extend("lxc.net.%d.%s" % (index, sub) for sub in subkeys)
            keys.extend(request["keys"])
            for key in dict.fromkeys(keys):
                value, decodable = raw_value(container, key)
                if not decodable:
                    answer["undecodable"].append(key)
                    continue
                answer["values"][key] = value
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
