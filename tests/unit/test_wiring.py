"""The composition root's AWS session: every service the container uses, and only those."""

from __future__ import annotations

import pytest
from botocore.exceptions import UnknownServiceError

from chalicelib.settings import load_settings
from chalicelib.wiring import AWS_SERVICES, Container


def test_the_session_makes_a_client_for_every_service_the_container_uses() -> None:
    session = Container(load_settings()).session

    clients = {name: session.client(name) for name in AWS_SERVICES}

    assert {name: client.meta.service_model.service_name for name, client in clients.items()} == {
        name: name for name in AWS_SERVICES
    }
    assert session.resource("dynamodb").Table("any").name == "any"


def test_the_container_builds_its_clients_from_that_session() -> None:
    container = Container(load_settings())

    built = {
        container.s3.meta.service_model.service_name,
        container.stepfunctions.meta.service_model.service_name,
        container.secretsmanager.meta.service_model.service_name,
        container.kms.meta.service_model.service_name,
        container.ses.meta.service_model.service_name,
        container.table.meta.client.meta.service_model.service_name,
    }

    assert built == AWS_SERVICES


def test_a_service_outside_the_list_is_refused_by_name() -> None:
    session = Container(load_settings()).session

    with pytest.raises(UnknownServiceError):
        session.client("ec2")
