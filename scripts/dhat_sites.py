#!/usr/bin/env python3
"""Where a process allocates, from a `valgrind --tool=dhat` output file, per request.

    scripts/dhat_sites.py DHAT_OUT_FILE REQUESTS [TOP]

Each allocation point's stack is reduced to its first frame outside the allocator and the
standard collections (alloc, core, std, hashbrown, bytes, smallvec): the code that asked for the
memory. Prints the TOP such sites (default 25) by blocks allocated per request, with the bytes
per request and the two callers above each, then the same totals by crate. Used by
scripts/bench.sh dhat (docs/performance.md, "Allocations per request"); the totals include
start-up, which is a few blocks per request at 2,000 requests.
"""
import json
import re
import sys
from collections import defaultdict

GENERIC = re.compile(
    r"^<?(alloc|core|std|hashbrown|bytes|smallvec|__rustc?|__rdl|__rg|_?_?libc|memcpy)\b|"
    r"^(malloc|calloc|realloc|free|posix_memalign|aligned_alloc|memalign)\b|vgpreload|\?\?\?|"
    r"dpopd::heap::Counting"
)
# Frames whose source is the standard library or a collection crate, whatever their name says
# (`<str as alloc::borrow::ToOwned>::to_owned` is in library/alloc/src/str.rs).
GENERIC_PLACE = re.compile(r"(^|/)library/|/rustc/|/(hashbrown|bytes|smallvec)-[0-9.]+/")
FRAME = re.compile(r"^0x[0-9A-Fa-f]+: (.*?)(?: \((?:in )?([^()]*)\))?$")


def name(frame):
    """`dpopd::x::y (src/x.rs:12:5)` without the address; the hash suffix dropped."""
    m = FRAME.match(frame)
    function, place = (m.group(1), m.group(2)) if m else (frame, None)
    function = re.sub(r"::h[0-9a-f]{16}$", "", function)
    return function, place


def crate(function):
    f = function.lstrip("<&")
    f = re.sub(r"^(dyn |mut )", "", f)
    return f.split("::", 1)[0].split(" ", 1)[0] or "?"


def main():
    path, requests = sys.argv[1], int(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    with open(path) as f:
        data = json.load(f)
    frames = data["ftbl"]
    sites = defaultdict(lambda: [0, 0, defaultdict(int)])
    crates = defaultdict(lambda: [0, 0])
    total_blocks = total_bytes = 0
    for pp in data["pps"]:
        blocks, size = pp["tbk"], pp["tb"]
        total_blocks += blocks
        total_bytes += size
        chain = [name(frames[i]) for i in pp["fs"]]
        # A name without a path (`alloc_impl`, `do_alloc<alloc::alloc::Global>`) is a generic
        # helper inlined from the standard library or a collection crate.
        meaningful = [
            c for c in chain
            if (c[0].startswith("<") or "::" in c[0].split("<", 1)[0])
            and not GENERIC.search(c[0])
            and not (c[1] and GENERIC_PLACE.search(c[1]))
        ]
        if not meaningful:
            key, callers = ("(allocator or std only)", None), ()
        else:
            key, callers = meaningful[0], tuple(c[0] for c in meaningful[1:3])
        site = sites[key]
        site[0] += blocks
        site[1] += size
        site[2][callers] += blocks
        c = crates[crate(key[0])]
        c[0] += blocks
        c[1] += size
    print(f"all: {total_blocks / requests:.1f} blocks, {total_bytes / requests:.0f} bytes per request "
          f"({total_blocks} blocks over {requests} requests, start-up included)")
    print(f"top {top} sites, blocks and bytes per request:")
    for (function, place), (blocks, size, callers) in sorted(
        sites.items(), key=lambda kv: -kv[1][0]
    )[:top]:
        via = max(callers.items(), key=lambda kv: kv[1])[0] if callers else ()
        print(f"  {blocks / requests:7.2f} {size / requests:8.0f} B  {function}"
              + (f" ({place})" if place else ""))
        if via:
            print(f"  {'':18}   <- " + " <- ".join(via))
    print("by crate of the site, blocks and bytes per request:")
    for name_, (blocks, size) in sorted(crates.items(), key=lambda kv: -kv[1][0]):
        if blocks / requests >= 0.05:
            print(f"  {blocks / requests:7.2f} {size / requests:8.0f} B  {name_}")


if __name__ == "__main__":
    main()
