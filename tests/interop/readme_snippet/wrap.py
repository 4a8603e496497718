"""Writes the README's token endpoint as a runnable Flask application: the first ```python
block under "## Use it from your server" in README.md, below the lines the README says to add
(`import requests`, `from flask import Flask, Response, request`, `app = Flask(__name__)`,
`DPOPD = ...`) and above the call that serves it. Nothing else is added, so what runs is what a
reader pastes. Exits non-zero, saying why, when the heading, the block or its end is missing.

Usage: wrap.py OUT.py DPOPD_URL PORT"""

import sys
from pathlib import Path

README = Path(__file__).resolve().parents[3] / "README.md"
HEADING = "## Use it from your server"


def fail(why: str) -> None:
    sys.exit(f"readme-snippet: {why} in {README}")


def snippet(text: str) -> str:
    lines = text.splitlines()
    if HEADING not in lines:
        fail(f"no heading {HEADING!r}")
    for i in range(lines.index(HEADING) + 1, len(lines)):
        if lines[i].startswith("## "):
            break
        if lines[i].strip() == "```python":
            for j in range(i + 1, len(lines)):
                if lines[j].strip() == "```":
                    return "\n".join(lines[i + 1 : j]) + "\n"
            fail(f"the ```python block under {HEADING!r} has no end")
    fail(f"no ```python block under {HEADING!r}")
    raise AssertionError("unreachable")


def main() -> None:
    out, dpopd_url, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    app = (
        "import requests\n"
        "from flask import Flask, Response, request\n"
        "\n"
        "app = Flask(__name__)\n"
        f"DPOPD = {dpopd_url!r}\n"
        "\n"
        f"{snippet(README.read_text(encoding='utf-8'))}"
        "\n"
        f"app.run(host='127.0.0.1', port={port})\n"
    )
    Path(out).write_text(app, encoding="utf-8")


if __name__ == "__main__":
    main()
