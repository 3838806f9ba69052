"""What changed since the last build, found before any site source is tried:
the settings, the input files (by their listing), and whether every output
file and folder is as the last build left it. Files with new times and the
same bytes (a fresh checkout, a restored cache) are taken as unchanged
(ssg/build/restamp.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from ssg.build.pipeline import Build
from ssg.build.prune import outputs_intact
from ssg.runtime.parallel import in_background
from ssg.sources.inputs import Inputs


@dataclass
class Survey:
    now: datetime
    settings: str                 # the settings fingerprint (Build.settings_fingerprint)
    same_root: bool               # the last build wrote the same output folder
    same_settings: bool           # ... with the same settings
    unfinished: list[str]         # files a build killed in this folder was writing (its journal)
    inputs: Inputs                # the input files as they are now
    stamps: list[tuple[str, int, int, bool]]   # the last build's output files, when checked (else [])
    on_disk: bool                 # every output file and folder is as the last build left it
    last_inputs: str | None       # the fingerprint of the inputs the last build read

    @property
    def inputs_same(self) -> bool:
        """No input file changed since the last build."""
        return self.inputs.fingerprint() == self.last_inputs


def survey(build: Build, *, check_outputs: bool) -> Survey:
    """``check_outputs``: look whether the outputs are intact (when the last
    build succeeded with these settings and no page's time has come)."""
    state, now = build.state, datetime.now(UTC)
    settings = build.settings_fingerprint()
    same_root = state.meta("output_root") == str(build.output_root)
    same_settings = same_root and state.meta("settings") == settings
    unfinished = state.journal(str(build.output_root))
    next_change = state.meta_time("next_change")
    intact, stamps = None, []
    if (check_outputs and same_settings and state.meta("failed") == "0" and not state.journal_path.exists()
            and (next_change is None or now < next_change)):
        # The other core checks the output folders and half the output files
        # while this one scans the inputs, then checks the other half.
        stamps = state.output_stamps()
        half = len(stamps) // 2
        check = partial(outputs_intact, str(build.output_root), stamps[:half], state.folders())
        intact = in_background(check, fork=build.workers > 1)
    inputs = Inputs.scan(build.root, build.theme, build.config.path)
    found = Survey(now, settings, same_root, same_settings, unfinished, inputs, stamps, False, state.meta("inputs"))
    if intact is not None:
        mine = outputs_intact(str(build.output_root), stamps[half:], {})
        found.on_disk = intact() and mine      # the child's answer is always read: it is waited for
        if not found.on_disk or not found.inputs_same:
            from ssg.build.restamp import restamp

            restamped = restamp(state, inputs, build.root, build.theme, str(build.output_root), stamps,
                                outputs_checked=found.on_disk, workers=build.workers)
            found.on_disk, build.result.restamped = restamped.outputs_intact, restamped.inputs + restamped.outputs
            found.last_inputs = state.meta("inputs")
            build.lap("restamp")
    return found
