"""Parse LEDES 1998B files with the independent `ledes-parser` package (PyPI) and print JSON.

Usage: python3 ledes_parser_check.py FILE [FILE ...]
Prints {"files": [{"path": ..., "line_items": [{field: value, ...}, ...]}, ...]} with dates as
YYYY-MM-DD and decimals as strings. Exit status 3 when ledes-parser is not installed.
"""
import json
import sys

try:
    from ledes_parser import get_parser
except ImportError:  # pragma: no cover - reported to the Rust test
    print("ledes-parser is not installed", file=sys.stderr)
    sys.exit(3)


def plain(v):
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)


def main(paths):
    parser = get_parser("LEDES98B")
    out = []
    for path in paths:
        with open(path, encoding="utf-8", newline="") as f:
            result = parser.parse(f.read())
        items = [{k: plain(v) for k, v in li.items()} for li in result["line_items"]]
        out.append({"path": path, "line_items": items})
    json.dump({"files": out}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
