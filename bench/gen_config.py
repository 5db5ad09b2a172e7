#!/usr/bin/env python3
"""Writes the benchmark config: 100,000 lines, about 4.6 MB, a realistic mix
of mount entries, environment variables, comments and sysctls.
usage: gen_config.py OUTPUT [LINES]"""
import random
import sys

out = sys.argv[1]
lines = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
rng = random.Random(42)  # the same file every time
words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett"]

with open(out, "w") as f:
    f.write("lxc.uts.name = bench\nlxc.rootfs.path = dir:/var/lib/lxc/bench/rootfs\n")
    for i in range(lines - 2):
        kind = i % 4
        a, b = rng.choice(words), rng.choice(words)
        if kind == 0:
            f.write(f"lxc.mount.entry = /srv/{a}/{i} srv/{b}{i} none bind,ro,create=dir 0 0\n")
        elif kind == 1:
            f.write(f"lxc.environment = {a.upper()}_{i}={b}-{rng.randrange(10**6)}\n")
        elif kind == 2:
            f.write(f"# {a} {b}: comment {i}\n")
        else:
            f.write(f"lxc.sysctl.net.{a}.{i} = {rng.randrange(2)}\n")
