"""Experiment queries: for experiment_admin and admin, plus the viewer's own assignments."""

from __future__ import annotations

import strawberry

from resolvers import experiments
from schema.context import Info
from schema.directives import field
from schema.experiments.types import EXPERIMENTERS, Assignment, Experiment, ExperimentResults


@strawberry.type
class ExperimentsQuery:
    @field(roles=EXPERIMENTERS)
    async def experiments(self, info: Info) -> list[Experiment]:
        return [Experiment.of(found) for found in await experiments.list_all(info.context)]

    @field(roles=EXPERIMENTERS)
    async def experiment(self, info: Info, id: strawberry.ID) -> Experiment:
        return Experiment.of(await experiments.get(info.context, id))

    @field(roles=EXPERIMENTERS, description="Lifts with 95% and always-valid intervals.")
    async def experiment_results(
        self, info: Info, experiment_id: strawberry.ID
    ) -> ExperimentResults:
        return ExperimentResults.of(await experiments.results(info.context, experiment_id))

    @field(roles=[], description="The variants the active profile is in.")
    async def assignments(self, info: Info) -> list[Assignment]:
        return [Assignment.of(a) for a in await experiments.assignments(info.context)]
