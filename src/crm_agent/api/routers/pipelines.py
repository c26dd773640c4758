"""Deal pipelines and their stages (HubSpot's pipelines API)."""

from __future__ import annotations

from fastapi import APIRouter, status

from crm_agent.api.deps import CrmDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.api.schemas import PipelineCreate
from crm_agent.crm.schemas import PipelineRecord
from crm_agent.errors import NotFound

router = APIRouter(prefix="/pipelines", tags=["pipelines"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[PipelineRecord], summary="List deal pipelines with their stages")
async def list_pipelines(crm: CrmDep) -> list[PipelineRecord]:
    return await crm.list_pipelines()


@router.get("/{pipeline_id}", response_model=PipelineRecord, summary="Get a pipeline")
async def get_pipeline(crm: CrmDep, pipeline_id: str) -> PipelineRecord:
    found = next((p for p in await crm.list_pipelines() if p.id == pipeline_id), None)
    if found is None:
        raise NotFound("pipeline", pipeline_id, "see GET /pipelines")
    return found


@router.post("", response_model=PipelineRecord, status_code=status.HTTP_201_CREATED, summary="Add a pipeline (admins)")
async def create_pipeline(crm: CrmDep, body: PipelineCreate) -> PipelineRecord:
    return await crm.create_pipeline(body.label, [(s.label, s.probability, s.isClosed) for s in body.stages])
