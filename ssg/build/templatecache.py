"""Templates as Jinja compiled them, kept in the state folder between builds
(``.ssg/templates/``): a build loads each template's code instead of
compiling its source again. The default theme's templates take 60 ms to
compile, and every ``ssg build`` process (each of its render workers) paid
that before the first page of a one-edit build was rendered.

An entry is used only when it was compiled from the same source by the same
compiler: its checksum covers the template's source, ssg's settings
fingerprint (ssg's code and its code generator, the plugins, ssg.toml), the
Jinja compiler's own code and the environment's options that change the code
(delimiters, whitespace control, extensions, autoescape, finalize). Anything
else compiles it again and replaces the entry. The cache is only ever a
cache: an entry that cannot be read is compiled, one that cannot be written
(a full disk, a read-only folder) is not kept, and neither fails a build."""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

import jinja2
import jinja2.compiler
from jinja2.bccache import Bucket

FOLDER = "templates"      # in the state folder


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    def __init__(self, folder: Path, salt: str):
        super().__init__(str(folder), "%s.code")
        self.salt = salt

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None, source: str) -> Bucket:
        return super().get_bucket(environment, name, filename, f"{self._compiled_by(environment, name)}\0{source}")

    def _compiled_by(self, environment: jinja2.Environment, name: str) -> str:
        autoescape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
        finalize = environment.finalize
        return repr((
            self.salt, _compiler_digest(), type(environment).__qualname__, sorted(environment.extensions),
            environment.block_start_string, environment.block_end_string, environment.variable_start_string,
            environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
            environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
            environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
            environment.optimized, bool(autoescape),
            None if finalize is None else getattr(finalize, "__qualname__", type(finalize).__qualname__),
        ))

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception:     # unreadable, or damaged where Jinja does not look (a cut checksum): compiled again
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:     # not kept: compiled again next time
            pass


@cache
def _compiler_digest() -> str:
    """Jinja's compiler, by its bytes: another Jinja version may compile a template otherwise."""
    return hashlib.sha256(Path(jinja2.compiler.__file__).read_bytes()).hexdigest()

