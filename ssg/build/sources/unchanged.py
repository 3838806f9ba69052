"""The site source of a build where nothing changed: no input file changed
and every output file is as the last build left it (ssg/build/survey.py). Nothing
is loaded, rendered or committed; ``ssg_build_finished`` still runs, with a
site whose pages were not loaded, and the last build's warnings stand."""

from __future__ import annotations

from ssg.build.dirty import Decision
from ssg.build.pipeline import Build, Decline, NewRecords, Prepared
from ssg.build.prune import Pruned
from ssg.build.survey import Survey
from ssg.graph.state import Learnt
from ssg.model import Site


class Unchanged:
    name = "unchanged"

    def __init__(self, survey: Survey):
        self.survey = survey

    def prepare(self, build: Build) -> Prepared:
        if not (self.survey.on_disk and self.survey.inputs_same):
            raise Decline("an input or an output changed")
        site = Site(root=build.root, config=build.config, output_root=build.output_root,
                    **build.options.site_flags())
        return Prepared(site, planned=[row[0] for row in self.survey.stamps],
                        warnings=build.state.meta_json("warnings", list))

    def dirty(self, build: Build, prepared: Prepared) -> Decision:
        return Decision()

    def learnt(self, build: Build, prepared: Prepared, new: NewRecords, pruned: Pruned | None) -> Learnt | None:
        return None

    def committed(self, build: Build, prepared: Prepared, token: str) -> None:
        raise AssertionError("nothing is committed")
