"""Experiment lifecycle mutations (experiment_admin, admin)."""

from __future__ import annotations

import strawberry

from resolvers import experiments
from schema.context import Info
from schema.directives import mutation
from schema.experiments.types import EXPERIMENTERS, Experiment, ExperimentInput


@strawberry.type
class ExperimentsMutation:
    @mutation(roles=EXPERIMENTERS)
    async def create_experiment(self, info: Info, input: ExperimentInput) -> Experiment:
        return Experiment.of(await experiments.create(info.context, input.document()))

    @mutation(roles=EXPERIMENTERS)
    async def update_experiment(
        self, info: Info, id: strawberry.ID, input: ExperimentInput
    ) -> Experiment:
        return Experiment.of(await experiments.update(info.context, id, input.document()))

    @mutation(roles=EXPERIMENTERS)
    async def start_experiment(self, info: Info, id: strawberry.ID) -> Experiment:
        return Experiment.of(await experiments.transition(info.context, id, "start"))

    @mutation(roles=EXPERIMENTERS)
    async def stop_experiment(self, info: Info, id: strawberry.ID) -> Experiment:
        return Experiment.of(await experiments.transition(info.context, id, "stop"))

    @mutation(roles=EXPERIMENTERS, description="Back to DRAFT in a new phase, re-randomized.")
    async def new_experiment_phase(self, info: Info, id: strawberry.ID) -> Experiment:
        return Experiment.of(await experiments.transition(info.context, id, "new_phase"))
