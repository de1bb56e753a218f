from tests.stack import Stack, json_body


def test_health_reports_stage_version_and_dependencies(stack: Stack) -> None:
    response = stack.http.get("/health")

    assert response.status_code == 200
    body = json_body(response)
    assert body == {
        "status": "ok",
        "stage": "local",
        "version": "0.1.0",
        "table": True,
        "bucket": True,
    }


def test_health_is_degraded_when_the_bucket_is_gone(stack: Stack) -> None:
    stack.client("s3").delete_bucket(Bucket="coissuer-local-documents")

    response = stack.http.get("/health")

    assert response.status_code == 503
    assert json_body(response)["bucket"] is False
