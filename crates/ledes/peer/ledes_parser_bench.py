"""Time the independent `ledes-parser` package on one LEDES 1998B file.

Usage: python3 ledes_parser_bench.py FILE
Prints {"line_items": N, "seconds": S} (parse time only, file already in memory).
"""
import json
import sys
import time

from ledes_parser import get_parser


def main(path):
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    parser = get_parser("LEDES98B")
    start = time.perf_counter()
    result = parser.parse(text)
    seconds = time.perf_counter() - start
    json.dump({"line_items": len(result["line_items"]), "seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
