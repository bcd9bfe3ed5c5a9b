"""Loads YAML files as ElastAlert 2 does and prints each result as one JSON line.

ElastAlert 2 (elastalert/yaml.py) reads a file with open() (universal newlines), applies
os.path.expandvars and calls yaml.load(text, Loader=yaml.FullLoader). The result is written with a
type-preserving encoding, so that int vs float, tuples, bytes, sets and dates survive JSON:

  None, bool, str        as themselves
  int                    {"int": "123"}
  float                  {"float": "<IEEE 754 bits, hex>"} or {"float": "nan"}
  bytes                  {"bytes": "<base64>"}
  list                   [...]
  tuple                  {"tuple": [...]}
  dict                   {"map": [[key, value], ...]} in insertion order
  set                    {"set": [...]} sorted by the elements' JSON
  datetime.date          {"date": "YYYY-MM-DD"}
  datetime.datetime      {"datetime": [y, mo, d, h, mi, s, us], "offset": minutes east of UTC or null}

Usage: python pyyaml-load.py FILE...  ->  {"file": FILE, "ok": value} or {"file": FILE, "error": "..."}
"""
import base64
import datetime
import json
import os
import struct
import sys

import yaml


def encode(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": "nan" if value != value else struct.pack(">d", value).hex()}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {"map": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"set": sorted((encode(v) for v in value), key=lambda e: json.dumps(e, sort_keys=True))}
    if isinstance(value, datetime.datetime):
        offset = value.utcoffset()
        return {
            "datetime": [value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond],
            "offset": None if offset is None else int(offset.total_seconds() // 60),
        }
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    raise TypeError("cannot encode %s" % type(value).__name__)


def load(path):
    with open(path) as f:
        text = os.path.expandvars(f.read())
    return yaml.load(text, Loader=yaml.FullLoader)


def main():
    out = sys.stdout
    for path in sys.argv[1:]:
        try:
            result = {"file": path, "ok": encode(load(path))}
        except RecursionError:
            result = {"file": path, "error": "RecursionError"}
        except Exception as e:  # every failure to load is a refusal, as in ElastAlert 2
            result = {"file": path, "error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")}
        out.write(json.dumps(result) + "\n")
    out.write(json.dumps({"pyyaml": yaml.__version__}) + "\n")


if __name__ == "__main__":
    main()
