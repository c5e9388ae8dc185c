"""manifest.json: schema version, topology, writer, start time, world size, config.

Reading validates everything (sizes capped before anything is allocated) and turns any damage into
one RunFormatError sentence; writing is atomic (temp file beside it, then os.replace).
"""

from __future__ import annotations

import json
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from actiscope_probe import __version__
from actiscope_probe.runformat.errors import RunFormatError, RunWriteError
from actiscope_probe.runformat.schema import (
    FORMAT_NAME,
    MANIFEST_NAME,
    MAX_IO_WIDTH,
    MAX_JSON_DEPTH,
    MAX_MANIFEST_BYTES,
    MAX_NAME_CHARS,
    MAX_PARAMS,
    MAX_SHAPE_DIMS,
    MAX_SITE_WIDTH,
    MAX_SITES,
    MAX_UNITS,
    MAX_WORLD_SIZE,
    SCHEMA_VERSION,
    WINDOW_KINDS,
    WINDOW_SINCE_START,
)

_SHORT_CHARS = 64


@dataclass(frozen=True)
class Site:
    """An activation site: name, kind ("hidden", "module", "functional"), width, activation."""

    name: str
    kind: str
    width: int
    activation: str


@dataclass(frozen=True)
class ParamLayer:
    """A parameter tensor: its name (as named_parameters() gives it, or L1...) and shape."""

    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Topology:
    """Activation sites in forward order, parameter layers, input and output widths (0: none)."""

    sites: tuple[Site, ...]
    params: tuple[ParamLayer, ...]
    input_width: int = 0
    output_width: int = 0

    @property
    def n_units(self) -> int:
        """Units of every site together (the length of a per-unit list)."""
        return sum(site.width for site in self.sites)

    def unit_offsets(self) -> np.ndarray:
        """(n_sites + 1,) int64: site i's units are [offsets[i], offsets[i + 1]) of a unit list."""
        return np.cumsum([0, *(site.width for site in self.sites)], dtype=np.int64)

    def split_units(self, flat: np.ndarray) -> list[np.ndarray]:
        """A per-unit list (n_units,) split into one array per site (views)."""
        return np.split(flat, self.unit_offsets()[1:-1])


def now_iso() -> str:
    """The current time as ISO 8601 UTC with seconds, e.g. 2026-12-01T10:00:00+00:00."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Manifest:
    """Everything about a run that does not change per step."""

    topology: Topology
    writer_name: str = "actiscope-probe"
    writer_version: str = __version__
    started: str = field(default_factory=now_iso)
    world_size: int = 1
    window: str = WINDOW_SINCE_START
    config: dict[str, Any] | None = None
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (plain dicts and lists)."""
        topo = self.topology
        return {
            "format": FORMAT_NAME,
            "schema_version": self.schema_version,
            "writer": {"name": self.writer_name, "version": self.writer_version},
            "started": self.started,
            "world_size": self.world_size,
            "window": self.window,
            "topology": {
                "input_width": topo.input_width,
                "output_width": topo.output_width,
                "sites": [{"name": s.name, "kind": s.kind, "width": s.width,
                           "activation": s.activation} for s in topo.sites],
                "params": [{"name": p.name, "shape": list(p.shape)} for p in topo.params],
            },
            "config": self.config,
        }

    def to_json(self) -> str:
        """The manifest as indented JSON text."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"

    @classmethod
    def from_dict(cls, doc: object, where: str = "The run manifest") -> Manifest:
        """Validate a parsed document; RunFormatError naming the first problem."""
        return _parse(doc, where)

    @classmethod
    def from_json(cls, text: str | bytes, where: str = "The run manifest") -> Manifest:
        """Parse and validate manifest text (at most MAX_MANIFEST_BYTES)."""
        if len(text) > MAX_MANIFEST_BYTES:
            raise RunFormatError(f"{where} is larger than {MAX_MANIFEST_BYTES // 2**20} MB, "
                                 "so it is not a run manifest.")
        try:
            doc = json.loads(text, parse_constant=_reject_constant)
        except RecursionError:
            raise RunFormatError(f"{where} is nested too deeply to be a run manifest.") from None
        except (ValueError, UnicodeDecodeError):
            raise RunFormatError(f"{where} is not valid JSON (truncated or damaged).") from None
        return _parse(doc, where)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed")


def _fail(where: str, problem: str) -> RunFormatError:
    return RunFormatError(f"{where} is damaged: {problem}.")


def _depth(doc: object) -> int:
    """Nesting depth of a parsed JSON document, without recursion."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            break
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return deepest


def _int(value: object, where: str, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, f"'{name}' must be a whole number")
    if not low <= value <= high:
        raise _fail(where, f"'{name}' must be between {low:,} and {high:,}")
    return value


def _str(value: object, where: str, name: str, limit: int, empty: bool = False) -> str:
    if not isinstance(value, str) or len(value) > limit or (not value and not empty):
        raise _fail(where, f"'{name}' must be a {'' if empty else 'non-empty '}text of at most "
                           f"{limit} characters")
    return value


def _dict(value: object, where: str, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, f"'{name}' must be an object")
    return value


def _list(value: object, where: str, name: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, f"'{name}' must be a list")
    if len(value) > limit:
        raise _fail(where, f"'{name}' has more than {limit:,} entries")
    return value


def _parse(doc: object, where: str) -> Manifest:
    if _depth(doc) > MAX_JSON_DEPTH:
        raise RunFormatError(f"{where} is nested too deeply to be a run manifest.")
    doc = _dict(doc, where, "the document")
    if doc.get("format") != FORMAT_NAME:
        raise RunFormatError(f"{where} is not an Actiscope run manifest "
                             f"(its 'format' is not '{FORMAT_NAME}').")
    version = doc.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(where, "'schema_version' must be a whole number from 1")
    if version > SCHEMA_VERSION:
        raise RunFormatError(
            f"{where} uses run-format version {min(version, 10**9)}, newer than the version "
            f"{SCHEMA_VERSION} this program reads; update Actiscope (or actiscope-probe).")
    writer = _dict(doc.get("writer"), where, "writer")
    started = _str(doc.get("started"), where, "started", _SHORT_CHARS)
    try:
        datetime.fromisoformat(started)
    except ValueError:
        raise _fail(where, "'started' must be an ISO 8601 time") from None
    window = doc.get("window")
    if window not in WINDOW_KINDS:
        raise _fail(where, f"'window' must be one of {', '.join(WINDOW_KINDS)}")
    config = doc.get("config")
    if config is not None:
        config = _dict(config, where, "config")
    return Manifest(
        topology=_topology(_dict(doc.get("topology"), where, "topology"), where),
        writer_name=_str(writer.get("name"), where, "writer.name", _SHORT_CHARS),
        writer_version=_str(writer.get("version"), where, "writer.version", _SHORT_CHARS),
        started=started,
        world_size=_int(doc.get("world_size"), where, "world_size", 1, MAX_WORLD_SIZE),
        window=window, config=config, schema_version=version,
    )


def _topology(doc: dict[str, Any], where: str) -> Topology:
    sites = []
    for entry in _list(doc.get("sites"), where, "topology.sites", MAX_SITES):
        entry = _dict(entry, where, "topology.sites[]")
        sites.append(Site(
            name=_str(entry.get("name"), where, "site name", MAX_NAME_CHARS),
            kind=_str(entry.get("kind"), where, "site kind", _SHORT_CHARS),
            width=_int(entry.get("width"), where, "site width", 1, MAX_SITE_WIDTH),
            activation=_str(entry.get("activation"), where, "site activation", _SHORT_CHARS,
                            empty=True),
        ))
    params = []
    for entry in _list(doc.get("params"), where, "topology.params", MAX_PARAMS):
        entry = _dict(entry, where, "topology.params[]")
        shape = _list(entry.get("shape"), where, "parameter shape", MAX_SHAPE_DIMS)
        params.append(ParamLayer(
            name=_str(entry.get("name"), where, "parameter name", MAX_NAME_CHARS),
            shape=tuple(_int(n, where, "parameter shape", 0, 2**48) for n in shape),
        ))
    for kind, names in (("site", [s.name for s in sites]), ("parameter", [p.name for p in params])):
        if len(set(names)) != len(names):
            raise _fail(where, f"two {kind}s share a name")
    if sum(site.width for site in sites) > MAX_UNITS:
        raise _fail(where, f"its sites hold more than {MAX_UNITS:,} units")
    return Topology(
        sites=tuple(sites), params=tuple(params),
        input_width=_int(doc.get("input_width"), where, "input_width", 0, MAX_IO_WIDTH),
        output_width=_int(doc.get("output_width"), where, "output_width", 0, MAX_IO_WIDTH),
    )


def read_manifest(folder: str | os.PathLike[str]) -> Manifest:
    """Read and validate FOLDER/manifest.json (never writes); RunFormatError on any problem."""
    path = Path(folder) / MANIFEST_NAME
    where = f"The manifest of '{Path(folder).name}'"
    try:
        with open(path, "rb") as file:
            text = file.read(MAX_MANIFEST_BYTES + 1)
    except FileNotFoundError:
        raise RunFormatError(f"'{Path(folder).name}' has no {MANIFEST_NAME}, so it is not an "
                             "Actiscope run (or its writer has not started yet).") from None
    except OSError as error:
        raise RunFormatError(f"{where} could not be read ({error.strerror or error}).") from None
    return Manifest.from_json(text, where)


def write_manifest(folder: str | os.PathLike[str], manifest: Manifest) -> Path:
    """Write FOLDER/manifest.json atomically; RunWriteError if the disk refuses."""
    if not all(math.isfinite(v) for v in _numbers(manifest.config)):
        raise RunFormatError("The run manifest's config holds a NaN or infinite number.")
    text = Manifest.from_dict(manifest.to_dict()).to_json()  # never write what cannot be read
    path = Path(folder) / MANIFEST_NAME
    temp = path.with_name(f".manifest-{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temp, path)
    except OSError as error:
        temp.unlink(missing_ok=True)
        raise RunWriteError(f"Could not write {path} ({error.strerror or error}).") from None
    return path


def _numbers(value: object) -> list[float]:
    """Every float in a JSON-like value (to refuse NaN before json.dumps does, with a sentence)."""
    found, stack = [], [value]
    while stack:
        node = stack.pop()
        if isinstance(node, float):
            found.append(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return found
