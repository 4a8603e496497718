#!/usr/bin/env python3
"""Where a server's on-CPU time goes per request, from `perf record -e cpu-clock` profiles.

    scripts/perf_split.py split PERF_DATA NS_PER_REQUEST
    scripts/perf_split.py diff LABEL_A PERF_DATA_A NS_A LABEL_B PERF_DATA_B NS_B [TOP]

`split` prints one line: the shares of ring (P-256, SHA-256), the kernel (and within it the
self time of `_raw_spin_unlock_irqrestore`, which with a call graph sits under
`sock_def_readable` in `send()`: waking the idle client on the other vCPU), glibc's
malloc/free, memcpy/memset, serde_json and the rest, with microseconds per request for some.

`diff` sets two profiles side by side in microseconds per request (each symbol's share of its
profile times that server's on-CPU time per request): the same kinds, then the TOP symbols
(default 25) by how much more time per request A spends in them than B. Used by
scripts/bench.sh (PROFILE=1; `null` mode: dpopd against the null endpoint), documented in
docs/performance.md.
"""
import re
import subprocess
import sys
from collections import defaultdict

LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s*$")
RING = re.compile(r"nistz256|sha256|p256|LIMBS|^ring")
ALLOC = re.compile(r"malloc|free|calloc|realloc|unlink_chunk|consolidate")
KINDS = ["ring", "kernel", "malloc/free", "memcpy/memset", "serde_json", "rest"]
WAKE = "_raw_spin_unlock_irqrestore"


def kind(dso, mode, sym):
    if mode == "k":
        return "kernel"
    if RING.search(sym):
        return "ring"
    if "libc" in dso and ALLOC.search(sym):
        return "malloc/free"
    if "libc" in dso and sym.startswith("__mem"):
        return "memcpy/memset"
    if re.match(r"<?serde_(json|core)::", sym):
        return "serde_json"
    return "rest"


def symbols(data):
    """{(library, mode, symbol): share in percent} of a perf data file, self time; the server's
    own binary is named `server`, so that two servers' profiles line up."""
    out = subprocess.run(
        ["perf", "report", "-i", data, "--no-children", "--sort", "dso,sym", "--stdio"],
        capture_output=True, text=True, check=False,
    ).stdout
    shares = defaultdict(float)
    for line in out.splitlines():
        m = LINE.match(line)
        if m and not line.startswith("#"):
            pct, dso, mode, sym = m.groups()
            if dso not in ("[kernel.kallsyms]", "[vdso]") and not dso.endswith(".so") and ".so." not in dso:
                dso = "server"
            shares[(dso, mode, sym)] += float(pct)
    return shares


def by_kind(shares):
    kinds = defaultdict(float)
    for (dso, mode, sym), pct in shares.items():
        kinds[kind(dso, mode, sym)] += pct
    kinds["wake"] = sum(p for (_, m, s), p in shares.items() if m == "k" and s == WAKE)
    return kinds


def split(data, ns):
    shares = symbols(data)
    total = sum(shares.values())
    if total == 0:
        print("  profile: no samples (is perf allowed here?)")
        return
    k = by_kind(shares)
    us = float(ns) / 1000 / total
    print(
        f"  profile: ring {k['ring']:.1f}% ({k['ring'] * us:.1f} us)  "
        f"kernel {k['kernel']:.1f}% ({k['kernel'] * us:.1f} us; client wake-up {k['wake']:.1f}%)  "
        f"malloc/free {k['malloc/free']:.1f}%  memcpy/memset {k['memcpy/memset']:.1f}%  "
        f"serde_json {k['serde_json']:.1f}%  rest {k['rest']:.1f}% ({k['rest'] * us:.1f} us)"
    )


def per_request(data, ns):
    """{(dso, mode, symbol): microseconds per request}."""
    shares = symbols(data)
    total = sum(shares.values()) or 1
    return {key: pct / total * float(ns) / 1000 for key, pct in shares.items()}


def diff(label_a, data_a, ns_a, label_b, data_b, ns_b, top=25):
    a, b = per_request(data_a, ns_a), per_request(data_b, ns_b)
    ka, kb = by_kind(a), by_kind(b)
    print(f"  per request, {label_a} against {label_b} (us): "
          f"total {float(ns_a) / 1000:.1f} / {float(ns_b) / 1000:.1f} ({(float(ns_a) - float(ns_b)) / 1000:+.1f})")
    for name in KINDS + ["wake"]:
        shown = "  of it client wake-up" if name == "wake" else name
        print(f"    {shown:24s} {ka[name]:6.1f} {kb[name]:6.1f} {ka[name] - kb[name]:+6.1f}")
    keys = sorted(set(a) | set(b), key=lambda x: b.get(x, 0) - a.get(x, 0))
    print(f"  the {top} symbols {label_a} spends most more time in (us per request, {label_a} / {label_b} / difference):")
    for key in keys[: int(top)]:
        dso, mode, sym = key
        print(f"    {a.get(key, 0):5.2f} {b.get(key, 0):5.2f} {a.get(key, 0) - b.get(key, 0):+5.2f}  "
              f"[{kind(dso, mode, sym)}] {sym[:100]}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "split":
        split(*sys.argv[2:])
    elif len(sys.argv) in (8, 9) and sys.argv[1] == "diff":
        diff(*sys.argv[2:])
    else:
        sys.exit(__doc__)
