"""The whole stack on one machine: moto for AWS, the app's own functions for Lambda.

`provision` creates every resource that `infra/resources.json` declares, read from that file;
`LambdaDispatcher` makes moto's Lambda run the app's Chalice functions in this process
(moto's own Lambda needs Docker); `main` serves moto and `chalice local` together.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import threading
import traceback
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "infra" / "resources.json"
PACKAGE_DIR = ROOT / "build" / "stage"  # where `chalice package` output lives, one level down
ACCOUNT_ID = "123456789012"
REGION = "ap-southeast-1"
# moto's Docker-less Lambda only echoes its input; the default backend calls the function
# model's `invoke`, which the dispatcher replaces.
MOTO_CONFIG = {"stepfunctions": {"execute_state_machine": True}}
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


# ---------------------------------------------------------------------------- configuration


def chalice_config(stage: str, function_name: str | None = None) -> Any:
    from chalice.config import Config

    config_from_disk = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return Config(
        chalice_stage=stage,
        function_name=function_name or "api_handler",
        config_from_disk=config_from_disk,
        user_provided_params={"project_dir": str(ROOT)},
    )


def stage_environment(stage: str, function_name: str | None = None) -> dict[str, str]:
    """The environment a function of this stage gets in Lambda, from `.chalice/config.json`."""
    return {
        key: str(value)
        for key, value in chalice_config(stage, function_name).environment_variables.items()
    }


# ---------------------------------------------------------------------------- dispatch


def scheduled_event(payload: dict[str, Any]) -> dict[str, Any]:
    """An EventBridge scheduled event carrying `payload`'s fields, as Chalice expects one."""
    from datetime import UTC, datetime

    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [],
        "detail": {},
        **payload,
    }


@dataclass
class LambdaContext:
    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


class FunctionFailedError(Exception):
    """Carries a failed invocation's error type to moto, as Lambda's error payload does."""


class LambdaDispatcher:
    """Runs moto's Lambda invocations as calls to the app's own Chalice functions."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.prefix = f"coissuer-{stage}-"
        self.dead_letter_queues: dict[str, tuple[str, int]] = {}
        self._env_lock = threading.RLock()
        self._handlers: dict[str, Any] | None = None
        self._function_env: dict[str, dict[str, str]] = {}
        self._original_invoke: Any = None

    def handlers(self) -> dict[str, Any]:
        if self._handlers is None:
            import app as app_module

            chalice_app = app_module.app
            found: dict[str, Any] = {}
            for function in [*chalice_app.pure_lambda_functions, *chalice_app.event_sources]:
                found[function.name] = getattr(app_module, function.handler_string.split(".")[-1])
            self._handlers = found
        return self._handlers

    def function_names(self) -> list[str]:
        return sorted(self.handlers())

    def run_on_demand(self, name: str, payload: dict[str, Any]) -> Any:
        """One function run now, as its trigger would run it: a schedule gets the payload in a
        scheduled event's envelope (a scheduled function reads its fields from the event)."""
        from chalice.app import ScheduledEventConfig

        import app as app_module

        scheduled = {
            source.name
            for source in app_module.app.event_sources
            if isinstance(source, ScheduledEventConfig)
        }
        event = scheduled_event(payload) if name in scheduled else payload
        with self._function_environment(name):
            return self.handlers()[name](event, LambdaContext(self.prefix + name))

    def install(self) -> None:
        from moto.awslambda.models import LambdaFunction

        dispatcher = self
        self._original_invoke = LambdaFunction.invoke

        def invoke(function: Any, body: Any, request_headers: Any, response_headers: Any) -> Any:
            return dispatcher.invoke(
                function.function_name, body, request_headers, response_headers
            )

        LambdaFunction.invoke = invoke  # type: ignore[method-assign]

    def uninstall(self) -> None:
        from moto.awslambda.models import LambdaFunction

        if self._original_invoke is not None:
            LambdaFunction.invoke = self._original_invoke  # type: ignore[method-assign]
            self._original_invoke = None

    def invoke(
        self, function_name: str, body: Any, request_headers: Any, response_headers: Any
    ) -> bytes:
        name = function_name.removeprefix(self.prefix)
        event = json.loads(body) if isinstance(body, str | bytes) and body else (body or {})
        handler = self.handlers().get(name)
        if handler is None:
            return self._failure(response_headers, "FunctionNotFound", f"no function {name}")
        if _is_sqs_batch(event):
            return self._invoke_sqs(name, handler, event)
        try:
            with self._function_environment(name):
                result = handler(event, LambdaContext(function_name))
        except Exception as error:
            return self._failure(response_headers, type(error).__name__, str(error))
        return json.dumps(result, default=str).encode()

    def _invoke_sqs(self, name: str, handler: Any, event: dict[str, Any]) -> bytes:
        """Retry a failed batch as SQS redelivery would, then park it in the dead-letter queue."""
        queue_arn = event["Records"][0]["eventSourceARN"]
        dead_letter = self.dead_letter_queues.get(queue_arn)
        attempts = dead_letter[1] if dead_letter else 1
        for _ in range(attempts):
            try:
                with self._function_environment(name):
                    handler(event, LambdaContext(self.prefix + name))
                return b"null"
            except Exception:
                traceback.print_exc()
        if dead_letter:
            _send_to_dead_letter_queue(dead_letter[0], event)
        return b"null"

    @contextmanager
    def _function_environment(self, name: str) -> Iterator[None]:
        extra = self._function_env.get(name)
        if extra is None:
            stage_env = stage_environment(self.stage)
            extra = {
                k: v
                for k, v in stage_environment(self.stage, name).items()
                if stage_env.get(k) != v
            }
            self._function_env[name] = extra
        if not extra:
            yield
            return
        with self._env_lock:
            saved = {key: os.environ.get(key) for key in extra}
            os.environ.update(extra)
            try:
                yield
            finally:
                for key, value in saved.items():
                    if value is None:
                        os.environ.pop(key, None)
                    else:
                        os.environ[key] = value

    @staticmethod
    def _failure(response_headers: Any, error_type: str, message: str) -> bytes:
        response_headers["x-amz-function-error"] = "Unhandled"
        return json.dumps(
            {"errorType": error_type, "errorMessage": message[:1000], "trace": []}
        ).encode()


def _is_sqs_batch(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    return bool(records) and records[0].get("eventSource") == "aws:sqs"


def _send_to_dead_letter_queue(queue_arn: str, event: dict[str, Any]) -> None:
    import boto3

    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.get_queue_url(QueueName=queue_arn.rsplit(":", 1)[-1])["QueueUrl"]
    for record in event["Records"]:
        sqs.send_message(QueueUrl=queue_url, MessageBody=record["body"])


_DYNAMODB_WRITES = (
    "put_item",
    "update_item",
    "delete_item",
    "batch_write_item",
    "transact_write_items",
)
_DYNAMODB_READS = ("get_item", "query", "scan", "batch_get_item", "transact_get_items")


@contextmanager
def atomic_dynamodb_writes() -> Iterator[None]:
    """Make moto's DynamoDB check a condition and write in one step, and apply a transaction
    as one step to readers too, as DynamoDB does.

    moto evaluates a condition, then writes, without a lock, and writes a transaction's items
    one after another; the local stack runs workflow tasks in threads beside API requests, so
    without this two writers could both pass the same condition, and a reader could see a
    dossier's new status without the history event written in the same transaction.
    """
    import functools

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.RLock()
    originals = {
        name: getattr(DynamoDBBackend, name) for name in (*_DYNAMODB_WRITES, *_DYNAMODB_READS)
    }

    def holding(method: Any) -> Any:
        @functools.wraps(method)
        def locked(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return locked

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, holding(method))
    DynamoDBBackend.transact_write_items = holding(  # type: ignore[method-assign]
        _checked_first(originals["transact_write_items"])
    )
    try:
        yield
    finally:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)


def _checked_first(transact: Any) -> Any:
    """moto's transaction with its conditions checked before it starts, not by rollback.

    moto snapshots every table a transaction names (a deep copy, once per item) to roll a
    cancelled transaction back, which makes each transaction cost as much as the table is
    large. Under the write lock the conditions can be checked first: a transaction that would
    be cancelled is refused untouched, and one that passes needs only a shallow snapshot.
    """
    import copy
    import functools

    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import ConditionalCheckFailed, TransactionCanceledException
    from moto.dynamodb.models.table import Table

    def snapshot(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):
            clone = copy.copy(value)
            clone.items = defaultdict(dict)
            for key, rows in value.items.items():
                clone.items[key] = dict(rows) if value.has_range_key else rows
            return clone
        return copy.deepcopy(value, memo)

    def failures(backend: Any, transact_items: list[dict[str, Any]]) -> list[Any]:
        errors: list[Any] = []
        for item in transact_items:
            _, op = next(iter(item.items()))
            table = backend.get_table(op["TableName"])
            key = op.get("Key") or {
                name: op["Item"][name]
                for name in (table.hash_key_attr, table.range_key_attr)
                if name is not None
            }
            current = backend.get_item(op["TableName"], key)
            condition = op.get("ConditionExpression")
            passed = condition is None or get_filter_expression(
                condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
            ).expr(current)
            if passed:
                errors.append((None, None, None))
                continue
            wants_old = op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            old = current.to_json()["Attributes"] if wants_old and current else None
            errors.append(("ConditionalCheckFailed", ConditionalCheckFailed().message, old))
        return errors

    @functools.wraps(transact)
    def checked(backend: Any, transact_items: list[dict[str, Any]]) -> Any:
        if len(transact_items) <= 100:
            errors = failures(backend, transact_items)
            if any(code is not None for code, _, _ in errors):
                raise TransactionCanceledException(errors)
        real_copy = dynamodb_models.copy  # type: ignore[attr-defined]
        dynamodb_models.copy = SimpleNamespace(deepcopy=snapshot)  # type: ignore[attr-defined]
        try:
            return transact(backend, transact_items)
        finally:
            dynamodb_models.copy = real_copy  # type: ignore[attr-defined]

    return checked


# ---------------------------------------------------------------------------- provisioning


@dataclass
class Provisioned:
    """Physical names and ARNs of what `provision` created, by logical id."""

    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


class TemplateProvisioner:
    """Creates a CloudFormation template's resources through boto3, in dependency order."""

    def __init__(self, stage: str, dispatcher: LambdaDispatcher) -> None:
        import boto3

        self.stage = stage
        self.dispatcher = dispatcher
        self.template = json.loads(TEMPLATE.read_text())
        self.parameters = {
            name: str(spec.get("Default", ""))
            for name, spec in self.template.get("Parameters", {}).items()
        }
        self.parameters["StageName"] = stage
        self.out = Provisioned()
        self.clients = {
            name: boto3.client(name, region_name=REGION)
            for name in (
                "dynamodb",
                "s3",
                "sqs",
                "kms",
                "secretsmanager",
                "stepfunctions",
                "lambda",
                "iam",
                "ses",
            )
        }

    def run(self) -> Provisioned:
        self._create_functions()
        for logical_id in self._ordered():
            resource = self.template["Resources"][logical_id]
            creator = getattr(self, "_" + resource["Type"].replace("::", "_"), None)
            if creator is None:
                self.out.skipped.append(f"{logical_id} ({resource['Type']})")
                continue
            creator(logical_id, self._resolve(resource.get("Properties", {})))
        self._connect_event_sources()
        return self.out

    # -- intrinsic functions

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                return self.out.attributes[(argument[0], argument[1])]
            if key == "Fn::Sub":
                return self._sub(argument)
            if key == "Fn::Join":
                return argument[0].join(str(self._resolve(part)) for part in argument[1])
        return {key: self._resolve(item) for key, item in value.items()}

    def _ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::StackName": f"coissuer-{self.stage}",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        return self.out.refs[name]

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        variables = {key: self._resolve(item) for key, item in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.out.attributes[(logical_id, attribute)]
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def _ordered(self) -> list[str]:
        resources = self.template["Resources"]
        order: list[str] = []

        def visit(logical_id: str, trail: tuple[str, ...] = ()) -> None:
            if logical_id in order or logical_id not in resources:
                return
            for dependency in sorted(_dependencies(resources[logical_id])):
                if dependency not in trail:
                    visit(dependency, (*trail, logical_id))
            order.append(logical_id)

        for logical_id in resources:
            visit(logical_id)
        return order

    # -- resource types

    def _AWS_DynamoDB_Table(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        ddb = self.clients["dynamodb"]
        ddb.create_table(
            TableName=props["TableName"],
            AttributeDefinitions=props["AttributeDefinitions"],
            KeySchema=props["KeySchema"],
            GlobalSecondaryIndexes=props.get("GlobalSecondaryIndexes", []),
            BillingMode=props.get("BillingMode", "PAY_PER_REQUEST"),
        )
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=props["TableName"], TimeToLiveSpecification=ttl)
        arn = ddb.describe_table(TableName=props["TableName"])["Table"]["TableArn"]
        self.out.refs[logical_id] = props["TableName"]
        self.out.attributes[(logical_id, "Arn")] = arn

    def _AWS_S3_Bucket(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        s3 = self.clients["s3"]
        name = props["BucketName"]
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        if props.get("VersioningConfiguration"):
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration=props["VersioningConfiguration"]
            )
        queues = props.get("NotificationConfiguration", {}).get("QueueConfigurations", [])
        if queues:
            s3.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration={
                    "QueueConfigurations": [
                        {
                            "QueueArn": queue["Queue"],
                            "Events": [queue["Event"]],
                            "Filter": {"Key": {"FilterRules": queue["Filter"]["S3Key"]["Rules"]}},
                        }
                        for queue in queues
                    ]
                },
            )
        self.out.refs[logical_id] = name
        self.out.attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"

    def _AWS_SQS_Queue(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        sqs = self.clients["sqs"]
        attributes = {
            key: (json.dumps(value) if isinstance(value, dict) else str(value))
            for key, value in props.items()
            if key != "QueueName"
        }
        url = sqs.create_queue(QueueName=props["QueueName"], Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{props['QueueName']}"
        self.out.refs[logical_id] = url
        self.out.attributes[(logical_id, "Arn")] = arn
        self.out.attributes[(logical_id, "QueueName")] = props["QueueName"]
        self.out.attributes[(logical_id, "QueueUrl")] = url
        redrive = props.get("RedrivePolicy")
        if redrive:
            self.dispatcher.dead_letter_queues[arn] = (
                redrive["deadLetterTargetArn"],
                int(redrive.get("maxReceiveCount", 1)),
            )

    def _AWS_SQS_QueuePolicy(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        for url in props["Queues"]:
            self.clients["sqs"].set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
        self.out.refs[logical_id] = logical_id

    def _AWS_KMS_Key(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        key = self.clients["kms"].create_key(
            Description=props.get("Description", ""),
            KeySpec=props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            KeyUsage=props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        )["KeyMetadata"]
        self.out.refs[logical_id] = key["KeyId"]
        self.out.attributes[(logical_id, "Arn")] = key["Arn"]

    def _AWS_KMS_Alias(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        self.clients["kms"].create_alias(
            AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"]
        )
        self.out.refs[logical_id] = props["AliasName"]

    def _AWS_SecretsManager_Secret(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        generate = props.get("GenerateSecretString")
        value = props.get("SecretString")
        if generate:
            document = json.loads(generate.get("SecretStringTemplate", "{}"))
            document[generate["GenerateStringKey"]] = secrets.token_urlsafe(
                int(generate.get("PasswordLength", 32))
            )[: int(generate.get("PasswordLength", 32))]
            value = json.dumps(document)
        arguments: dict[str, Any] = {"Name": props["Name"]}
        if value is not None:
            arguments["SecretString"] = value
        arn = self.clients["secretsmanager"].create_secret(**arguments)["ARN"]
        self.out.refs[logical_id] = arn

    def _AWS_SES_EmailIdentity(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        self.clients["ses"].verify_email_identity(EmailAddress=props["EmailIdentity"])
        self.out.refs[logical_id] = props["EmailIdentity"]

    def _AWS_Serverless_StateMachine(self, logical_id: str, props: dict[str, Any]) -> None:  # noqa: N802
        definition = (PACKAGE_DIR / props["DefinitionUri"]).resolve().read_text()
        for name, value in props.get("DefinitionSubstitutions", {}).items():
            definition = definition.replace("${" + name + "}", str(value))
        arn = self.clients["stepfunctions"].create_state_machine(
            name=props["Name"],
            definition=definition,
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/coissuer-{self.stage}-states",
            type=props.get("Type", "STANDARD"),
        )["stateMachineArn"]
        self.out.refs[logical_id] = arn
        self.out.attributes[(logical_id, "Arn")] = arn
        self.out.attributes[(logical_id, "Name")] = props["Name"]

    # -- the app's own functions

    def _create_functions(self) -> None:
        from chalice.utils import to_cfn_resource_name

        role = self._lambda_role()
        package = _empty_zip()
        for name in self.dispatcher.function_names():
            function = self.clients["lambda"].create_function(
                FunctionName=self.dispatcher.prefix + name,
                Runtime="python3.11",
                Role=role,
                Handler=f"app.{name}",
                Code={"ZipFile": package},
            )
            logical_id = to_cfn_resource_name(name)
            self.out.refs[logical_id] = function["FunctionName"]
            self.out.attributes[(logical_id, "Arn")] = function["FunctionArn"]

    def _lambda_role(self) -> str:
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        return self.clients["iam"].create_role(
            RoleName=f"coissuer-{self.stage}-lambda",
            AssumeRolePolicyDocument=json.dumps(document),
        )["Role"]["Arn"]

    def _connect_event_sources(self) -> None:
        import app as app_module

        for source in app_module.app.event_sources:
            queue = getattr(source, "queue", None)
            if queue is None:
                continue
            # S3 posts a test event when its notification is set up; drop it so the first
            # real statement is not delivered one message late.
            url = self.clients["sqs"].get_queue_url(QueueName=queue)["QueueUrl"]
            self.clients["sqs"].purge_queue(QueueUrl=url)
            self.clients["lambda"].create_event_source_mapping(
                EventSourceArn=f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{queue}",
                FunctionName=self.dispatcher.prefix + source.name,
                BatchSize=getattr(source, "batch_size", 1) or 1,
            )


def _dependencies(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                found.add(item[0])
            elif key == "DependsOn":
                found.update([item] if isinstance(item, str) else item)
            elif key == "Fn::Sub":
                text = item if isinstance(item, str) else item[0]
                found.update(name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
                found |= _dependencies(item)
            else:
                found |= _dependencies(item)
    elif isinstance(value, list):
        for item in value:
            found |= _dependencies(item)
    return found


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "# the local stack runs the project's own app.py in-process\n")
    return buffer.getvalue()


def provision(stage: str, dispatcher: LambdaDispatcher) -> Provisioned:
    return TemplateProvisioner(stage, dispatcher).run()
