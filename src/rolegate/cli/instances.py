"""``rolegate instance register|list|deregister``: the registered-instance API (``rolegate-instances``) through
botocore, signed like any AWS call — the default credential chain, ``AWS_ENDPOINT_URL`` (or
``AWS_ENDPOINT_URL_ROLEGATE_INSTANCES``) and the region as the AWS CLI finds them — with rolegate's own model
on botocore's loader search path (docs/adr/0038-registered-instances.md)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any, Optional

import botocore.session
import typer
from botocore.exceptions import BotoCoreError, ClientError

from rolegate.wire.models import MODEL_DIR

SERVICE = "rolegate-instances"
DEFAULT_REGION = "us-east-1"  # when neither --region nor the AWS configuration names one

instance_app = typer.Typer(help="Registered instances: the platform's EC2 instances and their join tokens.",
                           no_args_is_help=True)

EndpointUrl = Annotated[Optional[str], typer.Option(
    "--endpoint-url", help="The server's URL (default: AWS_ENDPOINT_URL, as the AWS CLI reads it).")]
Region = Annotated[Optional[str], typer.Option("--region", help="The region to sign for.")]


def instances_client(endpoint_url: str | None = None, region: str | None = None) -> Any:
    """A botocore client of ``rolegate-instances``: credentials, endpoint and region from the AWS
    configuration unless given."""
    session = botocore.session.get_session()
    session.get_component("data_loader").search_paths.append(str(MODEL_DIR))
    return session.create_client(SERVICE, endpoint_url=endpoint_url,
                                 region_name=region or session.get_config_variable("region") or DEFAULT_REGION)


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _call(endpoint_url: str | None, region: str | None, operation: str, **params: Any) -> dict[str, Any]:
    try:
        result: dict[str, Any] = getattr(instances_client(endpoint_url, region), operation)(**params)
    except (ClientError, BotoCoreError) as exc:
        typer.echo(f"rolegate: {exc}", err=True)
        raise typer.Exit(1) from None
    result.pop("ResponseMetadata", None)
    return result


def _tag(text: str) -> dict[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise typer.BadParameter(f"{text!r}: a tag is KEY=VALUE")
    return {"Key": key, "Value": value}


@instance_app.command("register")
def register(
    instance_profile: Annotated[str, typer.Option("--instance-profile", help="The instance profile's name.")],
    tag: Annotated[Optional[list[str]], typer.Option("--tag", help="KEY=VALUE, repeatable.")] = None,
    join_token_ttl: Annotated[Optional[int], typer.Option(
        "--join-token-ttl", help="Seconds the join token stays valid (60 to 604800; default 900).")] = None,
    endpoint_url: EndpointUrl = None,
    region: Region = None,
) -> None:
    """Register an instance with an instance profile; print its id and its one-time join token as JSON."""
    params: dict[str, Any] = {"InstanceProfileName": instance_profile}
    if tag:
        params["Tags"] = [_tag(t) for t in tag]
    if join_token_ttl is not None:
        params["JoinTokenTtlSeconds"] = join_token_ttl
    result = _call(endpoint_url, region, "register_instance", **params)
    typer.echo(json.dumps({"InstanceId": result["InstanceId"], "JoinToken": result["JoinToken"],
                           "Expiration": _timestamp(result["Expiration"])}))


@instance_app.command("list")
def list_instances(endpoint_url: EndpointUrl = None, region: Region = None) -> None:
    """Print the account's registered instances as JSON."""
    instances: list[dict[str, Any]] = []
    params: dict[str, Any] = {}
    while True:
        page = _call(endpoint_url, region, "list_instances", **params)
        instances += [{**i, "CreatedAt": _timestamp(i["CreatedAt"])} for i in page["Instances"]]
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    typer.echo(json.dumps({"Instances": instances}, indent=2))


@instance_app.command("deregister")
def deregister(instance_id: Annotated[str, typer.Argument(help="The instance's id (i-…).")],
               endpoint_url: EndpointUrl = None, region: Region = None) -> None:
    """Deregister an instance: its association goes, and its instance credential stops working at once."""
    _call(endpoint_url, region, "deregister_instance", InstanceId=instance_id)
