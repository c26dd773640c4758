"""Users of the API and the web app (admins manage them)."""

from __future__ import annotations

from fastapi import APIRouter, status

from crm_agent.api.deps import AdminDep, AuthDep, PrincipalDep
from crm_agent.api.errors import ERROR_RESPONSES
from crm_agent.api.schemas import UserCreate
from crm_agent.auth.service import NewUser, UserRead

router = APIRouter(prefix="/users", tags=["users"], responses=ERROR_RESPONSES)


@router.get("/me", response_model=UserRead, summary="The signed-in user")
async def me(principal: PrincipalDep, auth: AuthDep) -> UserRead:
    return await auth.get_user(principal.user_id)


@router.get("", response_model=list[UserRead], summary="List users (admins)")
async def list_users(_admin: AdminDep, auth: AuthDep) -> list[UserRead]:
    return await auth.list_users()


@router.post(
    "",
    response_model=NewUser,
    status_code=status.HTTP_201_CREATED,
    summary="Add a user (admins); the response holds their API key, shown only this once",
)
async def create_user(_admin: AdminDep, auth: AuthDep, body: UserCreate) -> NewUser:
    return await auth.create_user(body.email, body.role, body.name)
