"""The agent and runs endpoints: process in each mode, the server-sent-event stream, runs list
and detail, approve, reject and undo, with their error answers."""

from __future__ import annotations

import json

import httpx

CREATE = "Create contacts for Eve Johnson (eve@example.com) and Sam Lee (sam@example.com)"


def events(text: str) -> list[tuple[str, dict]]:
    out = []
    for block in text.strip().split("\n\n"):
        name, data = "message", []
        for line in block.splitlines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            out.append((name, json.loads("\n".join(data))))
    return out


async def test_process_modes(admin: httpx.AsyncClient) -> None:
    auto = await admin.post("/agent/process", json={"message": CREATE, "mode": "auto"})
    assert auto.status_code == 200
    run = auto.json()
    assert run["status"] == "succeeded" and run["actor"] == "admin@example.com" and run["model"] == "rules"
    assert [s["status"] for s in run["steps"]] == ["succeeded", "succeeded"]
    assert all(s["duration_ms"] is not None for s in run["steps"])
    assert (await admin.get("/contacts", params={"q": "eve"})).json()["total"] == 1
    dry = (
        await admin.post(
            "/agent/process", json={"message": "Create a contact for Al Bo (al@example.com)", "mode": "dry-run"}
        )
    ).json()
    assert dry["status"] == "planned" and (await admin.get("/contacts", params={"q": "al"})).json()["total"] == 0
    follow = await admin.post(
        "/agent/process", json={"message": "How many contacts are there?", "conversationId": run["conversation_id"]}
    )
    assert follow.json()["conversation_id"] == run["conversation_id"]


async def test_process_rejects_bad_bodies(admin: httpx.AsyncClient) -> None:
    bad_mode = await admin.post("/agent/process", json={"message": "hi", "mode": "yolo"})
    assert bad_mode.status_code == 422 and bad_mode.json()["errors"][0]["field"] == "mode"
    missing = await admin.post("/agent/process", json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "message"
    too_long = await admin.post("/agent/process", json={"message": "x" * 20_001})
    assert too_long.status_code == 422


async def test_stream_sends_each_step_then_the_run(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/agent/process/stream", json={"message": CREATE, "mode": "auto"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    got = events(response.text)
    assert [name for name, _ in got] == ["step", "step", "run"]
    assert [data["position"] for name, data in got if name == "step"] == [1, 2]
    assert got[-1][1]["status"] == "succeeded"
    assert got[-1][1]["id"] == (await admin.get("/runs")).json()["results"][0]["id"]


async def test_review_approve_reject_undo(admin: httpx.AsyncClient) -> None:
    plan = (await admin.post("/agent/process", json={"message": CREATE, "mode": "review"})).json()
    assert plan["status"] == "awaiting_approval"
    assert [s["status"] for s in plan["steps"]] == ["pending", "pending"]
    assert (await admin.get("/contacts")).json()["total"] == 0
    # Approving runs the plan; streaming variant sends the steps as they run.
    streamed = await admin.post(f"/runs/{plan['id']}/approve/stream")
    got = events(streamed.text)
    assert [name for name, _ in got] == ["step", "step", "run"] and got[-1][1]["status"] == "succeeded"
    again = await admin.post(f"/runs/{plan['id']}/approve")
    assert again.status_code == 422 and "awaiting approval" in again.json()["message"]
    assert (await admin.get("/contacts")).json()["total"] == 2
    # Undo reverts the run's writes; the audit log names the run.
    undone = await admin.post(f"/runs/{plan['id']}/undo")
    assert undone.status_code == 200 and undone.json()["status"] == "undone"
    assert (await admin.get("/contacts")).json()["total"] == 0
    assert (await admin.post(f"/runs/{plan['id']}/undo")).status_code == 422
    # Reject: nothing runs.
    other = (
        await admin.post(
            "/agent/process", json={"message": "Create a contact for Al Bo (al@example.com)", "mode": "review"}
        )
    ).json()
    rejected = await admin.post(f"/runs/{other['id']}/reject", json={"reason": "wrong person"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert rejected.json()["steps"][0]["status"] == "rejected"
    assert (await admin.post(f"/runs/{other['id']}/reject")).status_code == 422
    assert (await admin.get("/contacts")).json()["total"] == 0


async def test_undo_refuses_to_overwrite_later_changes(admin: httpx.AsyncClient) -> None:
    run = (await admin.post("/agent/process", json={"message": "Create a contact for Al Bo (al@example.com)"})).json()
    contact = run["steps"][0]["result"]["id"]
    await admin.patch(f"/contacts/{contact}", json={"properties": {"jobtitle": "CTO"}})
    refused = await admin.post(f"/runs/{run['id']}/undo")
    assert refused.status_code == 409 and refused.json()["category"] == "CONFLICT"
    assert contact in refused.json()["message"]


async def test_runs_list_and_detail(admin: httpx.AsyncClient) -> None:
    for i in range(3):
        await admin.post("/agent/process", json={"message": f"Create a contact for P{i} Q (p{i}@example.com)"})
    page = await admin.get("/runs", params={"limit": 2})
    assert page.status_code == 200 and len(page.json()["results"]) == 2
    rest = await admin.get("/runs", params={"limit": 2, "after": page.json()["paging"]["next"]["after"]})
    assert len(rest.json()["results"]) == 1 and rest.json()["paging"] is None
    run_id = page.json()["results"][0]["id"]
    detail = (await admin.get(f"/runs/{run_id}")).json()
    step = detail["steps"][0]
    assert {"tool", "args", "status", "result", "duration_ms", "attempts"} <= set(step)
    assert {"llm_calls", "input_tokens", "output_tokens"} <= set(detail)
    missing = await admin.get("/runs/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.json()["category"] == "OBJECT_NOT_FOUND"
    for action in ("approve", "reject", "undo"):
        assert (await admin.post(f"/runs/nope/{action}")).status_code == 404
