"""The answers match the OpenAPI document: one regression test for each thing the fuzz found (issue 6).

(Bodies that could not be parsed, deep nesting, offsets past 64 bits and unknown query parameters are
among the hostile inputs of ``test_api_hostile.py``.)
"""

from __future__ import annotations

import copy
import json

from service_testing import TINY, add_key, client_for

from api.settings import Settings
from optimizer.scenario import Scenario


def test_the_document_describes_the_422_the_service_sends_and_the_scenario_it_takes(embedded_settings: Settings) -> None:
    """Found: FastAPI documented pydantic's 422 (``loc`` a list, ``type``), and a scenario as "any object"."""
    headers = add_key(embedded_settings, "board")
    with client_for(embedded_settings) as client:
        spec = client.get("/openapi.json").json()
        refused = client.post("/v1/solve", json={**TINY, "horizon_years": 0}, headers=headers)
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for code, response in op["responses"].items():
                if code == "422":
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Problems"}, path
                elif code[0] in "45":
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Message"}, path
            if path.startswith("/v1/"):
                assert {"401", "429", "503"} <= set(op["responses"]), f"{method} {path}"
                assert "Retry-After" in op["responses"]["429"]["headers"]
    problem = schemas["Problem"]
    assert refused.status_code == 422 and all(set(p) == set(problem["required"]) for p in refused.json()["detail"])
    scenario = schemas["Scenario"]
    assert scenario["required"] == Scenario.model_json_schema()["required"] and scenario["additionalProperties"] is False
    assert spec["paths"]["/v1/solve"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/Scenario")
    assert schemas["ScenarioCreate"]["properties"]["scenario"]["$ref"].endswith("/Scenario")
    json.dumps(spec)  # and it is one JSON document


def test_405_lists_every_method_the_path_has(embedded_settings: Settings) -> None:
    """Found: Starlette's 405 named only the first route's method (``Allow: POST`` on /v1/scenarios, which also has GET)."""
    with client_for(embedded_settings) as client:
        put = client.put("/v1/scenarios", json={})
        assert put.status_code == 405 and put.headers["allow"] == "GET, HEAD, POST"
        patch = client.patch(f"/v1/jobs/job_{'0' * 32}")
        assert patch.status_code == 405 and patch.headers["allow"] == "DELETE, GET, HEAD"
        assert client.post("/healthz").headers["allow"] == "GET, HEAD"


def test_a_job_asked_for_while_the_service_stops_gets_503_not_500(embedded_settings: Settings) -> None:
    """Found: after the embedded job threads were shut down, queueing a job raised RuntimeError (500)."""
    headers = add_key(embedded_settings, "board")
    with client_for(embedded_settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers).json()
        client.app.state.ctx.queue.close()  # what the lifespan's shutdown does
        answer = client.post(f"/v1/scenarios/{stored['id']}/solve?async=true", headers=headers)
        assert answer.status_code == 503 and "shutting down" in answer.json()["detail"] and answer.headers["retry-after"] == "30"
        assert client.get("/v1/jobs", headers=headers).json()["items"] == []  # nothing kept of the refused request


def test_a_stored_scenario_reads_back_as_a_valid_scenario(embedded_settings: Settings) -> None:
    """The canonical document served by GET /v1/scenarios/{id} is itself a scenario the service accepts, with the same hash."""
    headers = add_key(embedded_settings, "board")
    changed = copy.deepcopy(TINY)
    changed["areas"][1]["name"] = ""
    with client_for(embedded_settings) as client:
        stored = client.post("/v1/scenarios", json={"scenario": changed}, headers=headers).json()
        document = client.get(f"/v1/scenarios/{stored['id']}", headers=headers).json()["scenario"]
        again = client.post("/v1/scenarios", json={"scenario": document}, headers=headers).json()
    assert again["scenario_hash"] == stored["scenario_hash"]
