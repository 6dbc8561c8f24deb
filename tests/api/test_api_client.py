"""A client generated from the OpenAPI document (datamodel-code-generator) parses real answers of every operation.

Every 2xx JSON response of every operation names a component; the models generated
from those components (strictly: unknown fields refused where the component says
so) parse what the service really sent. The description's links resolve on the service.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from service_testing import TINY, add_key, client_for, wait_for

from api.settings import Settings

JSON_BODIES_EXEMPT = {
    ("/metrics", "get"),
    ("/v1/results/{scenario_hash}/allocations.csv", "get"),
    ("/v1/results/{scenario_hash}.xlsx", "get"),
}  # Prometheus text, CSV and a workbook: not JSON


def _generated(spec: dict[str, Any], tmp_path: Path) -> ModuleType:
    from datamodel_code_generator import DataModelType, InputFileType, generate

    out = tmp_path / "generated_client.py"
    generate(
        json.dumps(spec),
        input_file_type=InputFileType.OpenAPI,
        output=out,
        output_model_type=DataModelType.PydanticV2BaseModel,
        use_annotated=True,
        field_constraints=True,
    )
    spec_ = importlib.util.spec_from_file_location("generated_client", out)
    assert spec_ is not None and spec_.loader is not None
    module = importlib.util.module_from_spec(spec_)
    sys.modules["generated_client"] = module
    spec_.loader.exec_module(module)
    return module


def _component(op: dict[str, Any], code: int) -> str:
    schema = op["responses"][str(code)]["content"]["application/json"]["schema"]
    assert set(schema) == {"$ref"}, schema
    return str(schema["$ref"]).rsplit("/", 1)[1]


def test_every_2xx_json_response_references_a_component(embedded_settings: Settings) -> None:
    with client_for(embedded_settings) as client:
        spec = client.get("/openapi.json").json()
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for code in op["responses"]:
                if code.startswith("2") and (path, method) not in JSON_BODIES_EXEMPT:
                    assert _component(op, int(code)) in spec["components"]["schemas"], (method, path, code)
    assert _component(spec["paths"]["/v1/scenarios"]["post"], 201) == "ScenarioOut"
    assert _component(spec["paths"]["/v1/solve"]["post"], 200) == "Result"
    summary = spec["components"]["schemas"]["Summary"]["properties"]
    for name in ("cost_sharing", "pool_spending_range"):  # docs/model.md: optional
        assert name in summary and name not in spec["components"]["schemas"]["Summary"].get("required", [])
    for name in ("Scenario", "Pool", "Area", "Intervention", "Effect", "Outcome", "Policy", "Result", "Summary"):
        props = spec["components"]["schemas"][name]["properties"]
        assert all("description" in p for p in props.values()), (name, [k for k, p in props.items() if "description" not in p])
    assert "minimum" in json.dumps(spec["components"]["schemas"]["Area"]) or "exclusiveMinimum" in json.dumps(
        spec["components"]["schemas"]["Area"]
    )


def test_the_generated_client_parses_a_real_answer_of_every_operation(embedded_settings: Settings, tmp_path: Path) -> None:
    headers = add_key(embedded_settings, "generated-client-board")
    seen: set[tuple[str, str]] = set()
    with client_for(embedded_settings) as client:
        spec = client.get("/openapi.json").json()
        gen = _generated(spec, tmp_path)

        def check(method: str, path: str, code: int, response: Any) -> Any:
            assert response.status_code == code, (method, path, response.status_code, response.text[:500])
            model = getattr(gen, _component(spec["paths"][path][method], code))
            seen.add((path, method))
            return model.model_validate(response.json())

        result = check("post", "/v1/solve", 200, client.post("/v1/solve", json=TINY, headers=headers))
        assert result.model_dump(mode="json")["status"] == "optimal"
        stored = check("post", "/v1/scenarios", 201, client.post("/v1/scenarios", json={"scenario": TINY}, headers=headers))
        check("get", "/v1/scenarios", 200, client.get("/v1/scenarios", headers=headers))
        check("get", "/v1/scenarios/{scenario_id}", 200, client.get(f"/v1/scenarios/{stored.id}", headers=headers))
        check("post", "/v1/scenarios/{scenario_id}/solve", 200, client.post(f"/v1/scenarios/{stored.id}/solve", headers=headers))
        job = check(
            "post", "/v1/scenarios/{scenario_id}/solve", 202, client.post(f"/v1/scenarios/{stored.id}/solve?async=true", headers=headers)
        )
        check("get", "/v1/jobs/{job_id}", 200, client.get(f"/v1/jobs/{job.id}", headers=headers))
        analysis = check(
            "post",
            "/v1/scenarios/{scenario_id}/analyses/{kind}",
            202,
            client.post(f"/v1/scenarios/{stored.id}/analyses/appraisal", json={}, headers=headers),
        )
        wait_for(lambda: client.get(f"/v1/jobs/{analysis.id}", headers=headers).json()["status"] == "finished", 120, "the appraisal job")
        report = check("get", "/v1/jobs/{job_id}/result", 200, client.get(f"/v1/jobs/{analysis.id}/result", headers=headers))
        assert "appraisal" in json.dumps(report.model_dump(mode="json"))
        check("get", "/v1/jobs", 200, client.get("/v1/jobs", headers=headers))
        richer = {**TINY, "pools": [{**TINY["pools"][0], "budget": [60000, 60000]}, *TINY["pools"][1:]]}
        other = check("post", "/v1/scenarios", 201, client.post("/v1/scenarios", json={"scenario": richer}, headers=headers))
        compare = "/v1/scenarios/{scenario_id}/compare/{other_id}"
        check("get", compare, 200, client.get(f"/v1/scenarios/{stored.id}/compare/{other.id}", headers=headers))
        later = check("get", compare, 202, client.get(f"/v1/scenarios/{stored.id}/compare/{other.id}?async=true", headers=headers))
        wait_for(lambda: client.get(f"/v1/jobs/{later.id}", headers=headers).json()["status"] == "finished", 120, "the compare job")
        check("get", "/v1/jobs/{job_id}/result", 200, client.get(f"/v1/jobs/{later.id}/result", headers=headers))
        check("get", "/v1/results/{scenario_hash}", 200, client.get(f"/v1/results/{result.scenario_hash}", headers=headers))
        second = check(
            "post",
            "/v1/scenarios/{scenario_id}/analyses/{kind}",
            202,
            client.post(f"/v1/scenarios/{stored.id}/analyses/montecarlo", json={"samples": 500}, headers=headers),
        )
        cancelled = client.delete(f"/v1/jobs/{second.id}", headers=headers)
        if cancelled.status_code == 200:  # it may have finished first (409): both are answers
            check("delete", "/v1/jobs/{job_id}", 200, cancelled)
        else:
            assert cancelled.status_code == 409
            seen.add(("/v1/jobs/{job_id}", "delete"))
        themed = {
            **TINY,
            "schema_version": 2,
            "outcomes": [{**o, "themes": [t]} for o, t in zip(TINY["outcomes"], ("family", "safety", "health"), strict=True)],
        }
        surveyed = check("post", "/v1/scenarios", 201, client.post("/v1/scenarios", json={"scenario": themed}, headers=headers))
        rows = [{"respondent": f"r{j}", "area": "E01000001", "theme": "family", "points": 1} for j in range(10)]
        check(
            "post",
            "/v1/scenarios/{scenario_id}/residents/survey",
            201,
            client.post(f"/v1/scenarios/{surveyed.id}/residents/survey", json={"rows": rows}, headers=headers),
        )
        check("get", "/healthz", 200, client.get("/healthz"))
        check("get", "/readyz", 200, client.get("/readyz"))
    operations = {(path, method) for path, methods in spec["paths"].items() for method in methods} - JSON_BODIES_EXEMPT
    assert operations <= seen, f"operations whose answer no test parsed: {sorted(operations - seen)}"


def test_the_description_points_at_the_model_and_its_links_resolve(embedded_settings: Settings) -> None:
    with client_for(embedded_settings) as client:
        description = client.get("/openapi.json").json()["info"]["description"]
        links = re.findall(r"\]\(([^)]+)\)", description)
        assert "/guide/model.md" in links, description
        for link in links:
            answer = client.get(link)
            assert answer.status_code == 200 and answer.text.startswith("#"), (link, answer.status_code)
        assert client.get("/guide/nothing.md").status_code == 404


@pytest.mark.parametrize("name", ["model", "result-format"])
def test_the_pages_linked_are_the_repository_docs(name: str, embedded_settings: Settings) -> None:
    with client_for(embedded_settings) as client:
        served = client.get(f"/guide/{name}.md").text
    assert served == (Path(__file__).resolve().parents[2] / "docs" / f"{name}.md").read_text(encoding="utf-8")
