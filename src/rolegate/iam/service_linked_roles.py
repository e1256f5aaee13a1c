"""Service-linked roles: roles an AWS service owns, made and removed only through CreateServiceLinkedRole
and DeleteServiceLinkedRole (IAM User Guide, "Using service-linked roles"; IAM API reference).

Such a role lives under ``/aws-service-role/<service principal>/``; its trust policy lets exactly that
service principal assume it; ordinary role operations refuse to change it (``UnmodifiableEntity``, in
``roles.py``). Deletion is a task with an id the caller polls; ours completes before the call returns.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass

from rolegate.authz import RequestContext
from rolegate.core import ids
from rolegate.core.arns import role_arn
from rolegate.core.errors import EntityAlreadyExists, InvalidInput, NoSuchEntity


from .aws_managed import aws_managed_policy, aws_policy_arn
from .entities import RoleRecord, ServiceRoleDeletionRecord
from .limits import DEFAULT_LIMITS, IamLimits
from .ports import IamStore
from .roles import SERVICE_ROLE_PATH_PREFIX, insert_role

NAME_PREFIX = "AWSServiceRoleFor"


@dataclass(frozen=True, slots=True)
class KnownService:
    role_suffix: str  # the name after "AWSServiceRoleFor", as the service's own documentation gives it
    policy: str | None  # path and name of the AWS managed policy the service attaches to its role
    accepts_custom_suffix: bool = True


_POLICY = "aws-service-role/"  # AWS managed, in the account's partition (``aws_policy_arn``)

# Names and policies from each service's "Using service-linked roles for …" page in its user guide, and
# "AWS services that work with IAM" (https://docs.aws.amazon.com/IAM/latest/UserGuide/
# reference_aws-services-that-work-with-iam.html); every policy is one of the catalogue's
# ``aws-service-role/`` policies (tests/iam/test_service_linked_roles.py checks each resolves).
KNOWN_SERVICES: dict[str, KnownService] = {
    "autoscaling.amazonaws.com": KnownService("AutoScaling", _POLICY + "AutoScalingServiceRolePolicy"),
    "elasticloadbalancing.amazonaws.com": KnownService(
        "ElasticLoadBalancing", _POLICY + "AWSElasticLoadBalancingServiceRolePolicy", False),
    "ecs.amazonaws.com": KnownService("ECS", _POLICY + "AmazonECSServiceRolePolicy", False),
    "rds.amazonaws.com": KnownService("RDS", _POLICY + "AmazonRDSServiceRolePolicy", False),
    "ssm.amazonaws.com": KnownService("AmazonSSM", _POLICY + "AmazonSSMServiceRolePolicy", False),
    "elasticbeanstalk.amazonaws.com": KnownService(
        "ElasticBeanstalk", _POLICY + "AWSElasticBeanstalkServiceRolePolicy"),
    "eks.amazonaws.com": KnownService("AmazonEKS", _POLICY + "AmazonEKSServiceRolePolicy", False),
    "spot.amazonaws.com": KnownService("EC2Spot", _POLICY + "AWSEC2SpotServiceRolePolicy", False),
    "organizations.amazonaws.com": KnownService(
        "Organizations", _POLICY + "AWSOrganizationsServiceTrustPolicy", False),
    "cloudtrail.amazonaws.com": KnownService("CloudTrail", _POLICY + "CloudTrailServiceRolePolicy", False),
    "config.amazonaws.com": KnownService("Config", _POLICY + "AWSConfigServiceRolePolicy", False),
    "guardduty.amazonaws.com": KnownService(
        "AmazonGuardDuty", _POLICY + "AmazonGuardDutyServiceRolePolicy", False),
    "es.amazonaws.com": KnownService(
        "AmazonElasticsearchService", _POLICY + "AmazonElasticsearchServiceRolePolicy", False),
    "opensearchservice.amazonaws.com": KnownService(
        "AmazonOpenSearchService", _POLICY + "AmazonOpenSearchServiceRolePolicy", False),
    "elasticache.amazonaws.com": KnownService("ElastiCache", _POLICY + "ElastiCacheServiceRolePolicy", False),
    "redshift.amazonaws.com": KnownService(
        "Redshift", _POLICY + "AmazonRedshiftServiceLinkedRolePolicy", False),
    "support.amazonaws.com": KnownService("Support", _POLICY + "AWSSupportServiceRolePolicy", False),
    "trustedadvisor.amazonaws.com": KnownService(
        "TrustedAdvisor", _POLICY + "AWSTrustedAdvisorServiceRolePolicy", False),
    "dynamodb.application-autoscaling.amazonaws.com": KnownService(
        "ApplicationAutoScaling_DynamoDBTable", _POLICY + "AWSApplicationAutoscalingDynamoDBTablePolicy", False),
    "ecs.application-autoscaling.amazonaws.com": KnownService(
        "ApplicationAutoScaling_ECSService", _POLICY + "AWSApplicationAutoscalingECSServicePolicy", False),
    "lambda.application-autoscaling.amazonaws.com": KnownService(
        "ApplicationAutoScaling_LambdaConcurrency", _POLICY + "AWSApplicationAutoscalingLambdaConcurrencyPolicy",
        False),
    "sagemaker.application-autoscaling.amazonaws.com": KnownService(
        "ApplicationAutoScaling_SageMakerEndpoint", _POLICY + "AWSApplicationAutoscalingSageMakerEndpointPolicy",
        False),
    "ec2.application-autoscaling.amazonaws.com": KnownService(
        "ApplicationAutoScaling_EC2SpotFleetRequest",
        _POLICY + "AWSApplicationAutoscalingEC2SpotFleetRequestPolicy", False),
    "kafka.application-autoscaling.amazonaws.com": KnownService(
        "ApplicationAutoScaling_KafkaCluster", _POLICY + "AWSApplicationAutoscalingKafkaClusterPolicy", False),
    "access-analyzer.amazonaws.com": KnownService("AccessAnalyzer", _POLICY + "AccessAnalyzerServiceRolePolicy",
                                                  False),
    "dax.amazonaws.com": KnownService("DAX", _POLICY + "DAXServiceRolePolicy", False),
    "replication.dynamodb.amazonaws.com": KnownService(
        "DynamoDBReplication", _POLICY + "DynamoDBReplicationServiceRolePolicy", False),
    "contributorinsights.dynamodb.amazonaws.com": KnownService(
        "DynamoDBCloudWatchContributorInsights",
        _POLICY + "DynamoDBCloudWatchContributorInsightsServiceRolePolicy", False),
    "backup.amazonaws.com": KnownService("Backup", _POLICY + "AWSBackupServiceLinkedRolePolicyForBackup", False),
    "securityhub.amazonaws.com": KnownService("SecurityHub", _POLICY + "AWSSecurityHubServiceRolePolicy", False),
    "macie.amazonaws.com": KnownService("AmazonMacie", _POLICY + "AmazonMacieServiceRolePolicy", False),
    "inspector2.amazonaws.com": KnownService("AmazonInspector2", _POLICY + "AmazonInspector2ServiceRolePolicy",
                                             False),
    "sso.amazonaws.com": KnownService("SSO", _POLICY + "AWSSSOServiceRolePolicy", False),
    "elasticfilesystem.amazonaws.com": KnownService(
        "AmazonElasticFileSystem", _POLICY + "AmazonElasticFileSystemServiceRolePolicy", False),
    "fsx.amazonaws.com": KnownService("AmazonFSx", _POLICY + "AmazonFSxServiceRolePolicy", False),
    "batch.amazonaws.com": KnownService("Batch", _POLICY + "BatchServiceRolePolicy", False),
    "kafka.amazonaws.com": KnownService("Kafka", _POLICY + "KafkaServiceRolePolicy", False),
    "kafkaconnect.amazonaws.com": KnownService("KafkaConnect", _POLICY + "KafkaConnectServiceRolePolicy", False),
    "events.amazonaws.com": KnownService("CloudWatchEvents", _POLICY + "CloudWatchEventsServiceRolePolicy", False),
    "compute-optimizer.amazonaws.com": KnownService(
        "ComputeOptimizer", _POLICY + "ComputeOptimizerServiceRolePolicy", False),
    "ec2fleet.amazonaws.com": KnownService("EC2Fleet", _POLICY + "AWSEC2FleetServiceRolePolicy", False),
    "spotfleet.amazonaws.com": KnownService("EC2SpotFleet", _POLICY + "AWSEC2SpotFleetServiceRolePolicy", False),
    "replication.ecr.amazonaws.com": KnownService(
        "ECRReplication", _POLICY + "ECRReplicationServiceRolePolicy", False),
    "cloud9.amazonaws.com": KnownService("AWSCloud9", _POLICY + "AWSCloud9ServiceRolePolicy", False),
    "globalaccelerator.amazonaws.com": KnownService(
        "GlobalAccelerator", _POLICY + "AWSGlobalAcceleratorSLRPolicy", False),
    "route53resolver.amazonaws.com": KnownService(
        "Route53Resolver", _POLICY + "Route53ResolverServiceRolePolicy", False),
    "emr-containers.amazonaws.com": KnownService(
        "AmazonEMRContainers", _POLICY + "AmazonEMRContainersServiceRolePolicy", False),
}

_SERVICE_PRINCIPAL = re.compile(r"([a-z0-9][a-z0-9-]*\.)+amazonaws\.com")
_TASK_ID = re.compile(r"task/aws-service-role/([^/]+)/([\w+=,.@-]+)/([0-9a-f-]{36})")


def service_role_name(service: str, custom_suffix: str | None = None) -> str:
    """The role name AWS gives ``service``'s role: a documented name for known services; otherwise
    ``AWSServiceRoleFor`` + the principal's labels before ``.amazonaws.com`` in CamelCase (our fallback,
    since AWS derives unlisted names per service); ``_<suffix>`` appended when one is given."""
    known = KNOWN_SERVICES.get(service)
    if known is not None:
        base = NAME_PREFIX + known.role_suffix
    else:
        labels = service[: -len(".amazonaws.com")].replace("-", ".").split(".")
        base = NAME_PREFIX + "".join(label[:1].upper() + label[1:] for label in reversed(labels))
    return f"{base}_{custom_suffix}" if custom_suffix else base


def service_trust_policy(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": [service]}, "Action": ["sts:AssumeRole"]}]})


class ServiceLinkedRoleService:
    def __init__(self, store: IamStore, limits: IamLimits = DEFAULT_LIMITS) -> None:
        self._store = store
        self._limits = limits

    def create_service_linked_role(self, request: RequestContext, service: str, *, description: str | None = None,
                                   custom_suffix: str | None = None) -> RoleRecord:
        if not _SERVICE_PRINCIPAL.fullmatch(service):
            raise InvalidInput(f"Invalid service name {service}: a service principal looks like "
                               f"elasticbeanstalk.amazonaws.com.")
        known = KNOWN_SERVICES.get(service)
        if custom_suffix and known is not None and not known.accepts_custom_suffix:
            raise InvalidInput(f"Custom suffix is not allowed for {service}")
        name = service_role_name(service, custom_suffix)
        if len(name) > 64:
            raise InvalidInput(f"The role name {name} would be longer than 64 characters; use a shorter "
                               f"suffix.")
        path = f"{SERVICE_ROLE_PATH_PREFIX}{service}/"
        role = RoleRecord(
            account_id=request.account_id, role_id=ids.new_unique_id(ids.ROLE), name=name, path=path,
            arn=role_arn(request.account_id, name, path, request.partition), trust_policy=service_trust_policy(service),
            created_at=request.timestamp, description=description)
        with self._store.write() as tx:
            try:
                insert_role(tx, role, self._limits)
            except EntityAlreadyExists:
                # AWS answers a taken name with InvalidInput, not EntityAlreadyExists.
                raise InvalidInput(f"Service role name {name} has been taken in this account, please try a "
                                   f"different suffix.") from None
            policy_arn = aws_policy_arn(known.policy, request.partition) if known and known.policy else None
            # The service attaches its own managed policy (every table entry names one in the shipped
            # catalogue, tests/iam pin that); the check keeps an attachment resolvable all the same.
            if policy_arn is not None and aws_managed_policy(policy_arn) is not None:
                tx.managed_policies.attach("Role", role.role_id, policy_arn)
        return role

    def delete_service_linked_role(self, request: RequestContext, role_name: str) -> str:
        """Delete the role now and return the DeletionTaskId that reports it SUCCEEDED."""
        with self._store.write() as tx:
            role = tx.roles.get_by_name(request.account_id, role_name)
            if role is None:
                raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
            if not role.path.startswith(SERVICE_ROLE_PATH_PREFIX):
                raise InvalidInput(f"Role {role.name} is not a service-linked role; delete it with DeleteRole.")
            service = role.path[len(SERVICE_ROLE_PATH_PREFIX):].strip("/")
            task_id = f"task/aws-service-role/{service}/{role.name}/{uuid.uuid4()}"
            # The service's attached policies and the role's tags go with it (the store cascades both).
            tx.roles.delete(role.role_id)
            tx.service_role_deletions.create(ServiceRoleDeletionRecord(
                task_id=task_id, account_id=request.account_id, role_name=role.name, status="SUCCEEDED",
                created_at=request.timestamp))
        return task_id

    def deletion_status(self, request: RequestContext, task_id: str) -> ServiceRoleDeletionRecord:
        if not _TASK_ID.fullmatch(task_id):
            raise InvalidInput(f"Invalid deletion task id {task_id}.")
        with self._store.read() as tx:
            task = tx.service_role_deletions.get(task_id)
        if task is None or task.account_id != request.account_id:
            raise NoSuchEntity(f"Deletion task {task_id} cannot be found.")
        return task

