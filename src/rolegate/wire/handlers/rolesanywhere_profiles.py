"""IAM Roles Anywhere profile, CRL and subject operations (API reference: CreateProfile … DisableProfile,
PutAttributeMapping, DeleteAttributeMapping, ImportCrl … DisableCrl, ListSubjects, GetSubject)."""

from __future__ import annotations

from typing import Any

from rolegate.anywhere.entities import CrlRecord, ProfileRecord, SubjectRecord

from .registry import HandlerContext, operation
from .rolesanywhere_trust_anchors import SERVICE, tags_in


def _profile(p: ProfileRecord) -> dict[str, Any]:
    return {"profile": {
        "profileId": p.profile_id, "profileArn": p.arn, "name": p.name, "enabled": p.enabled,
        "createdBy": p.created_by, "roleArns": list(p.role_arns), "managedPolicyArns": list(p.managed_policy_arns),
        "sessionPolicy": p.session_policy, "durationSeconds": p.duration_seconds,
        "requireInstanceProperties": p.require_instance_properties,
        "acceptRoleSessionName": p.accept_role_session_name, "createdAt": p.created_at, "updatedAt": p.updated_at,
        "attributeMappings": [{"certificateField": field, "mappingRules": [{"specifier": s} for s in specifiers]}
                              for field, specifiers in p.attribute_mappings]}}


def _crl_detail(c: CrlRecord) -> dict[str, Any]:
    return {"crlId": c.crl_id, "crlArn": c.arn, "name": c.name, "enabled": c.enabled, "crlData": c.crl_data,
            "trustAnchorArn": c.trust_anchor_arn, "createdAt": c.created_at, "updatedAt": c.updated_at}


def _subject_summary(s: SubjectRecord) -> dict[str, Any]:
    return {"subjectArn": s.arn, "subjectId": s.subject_id, "enabled": s.enabled, "x509Subject": s.x509_subject,
            "lastSeenAt": s.last_seen_at, "createdAt": s.created_at, "updatedAt": s.updated_at}


# --- profiles ------------------------------------------------------------------------------------------


@operation(SERVICE, "CreateProfile")
def create_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.create(
        ctx.request, p["name"], p["roleArns"], managed_policy_arns=p.get("managedPolicyArns", ()),
        session_policy=p.get("sessionPolicy"), duration_seconds=p.get("durationSeconds"),
        enabled=p.get("enabled", False), require_instance_properties=p.get("requireInstanceProperties", False),
        accept_role_session_name=p.get("acceptRoleSessionName", False), tags=tags_in(p.get("tags")),
        alias_name=p.get("aliasName"), tip_configuration=p.get("tipConfiguration")))


@operation(SERVICE, "GetProfile")
def get_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.get(ctx.request, p["profileId"]))


@operation(SERVICE, "ListProfiles")
def list_profiles(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.anywhere_profiles.list(ctx.request, token=p.get("nextToken"), page_size=p.get("pageSize"))
    return {"profiles": [_profile(x)["profile"] for x in page.items], "nextToken": page.next_token}


@operation(SERVICE, "UpdateProfile")
def update_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.update(
        ctx.request, p["profileId"], name=p.get("name"), role_arns=p.get("roleArns"),
        managed_policy_arns=p.get("managedPolicyArns"), session_policy=p.get("sessionPolicy"),
        duration_seconds=p.get("durationSeconds"), accept_role_session_name=p.get("acceptRoleSessionName"),
        alias_name=p.get("aliasName"), tip_configuration=p.get("tipConfiguration")))


@operation(SERVICE, "DeleteProfile")
def delete_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.delete(ctx.request, p["profileId"]))


@operation(SERVICE, "EnableProfile")
def enable_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.set_enabled(ctx.request, p["profileId"], True))


@operation(SERVICE, "DisableProfile")
def disable_profile(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.set_enabled(ctx.request, p["profileId"], False))


@operation(SERVICE, "PutAttributeMapping")
def put_attribute_mapping(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.put_attribute_mapping(
        ctx.request, p["profileId"], p["certificateField"], p["mappingRules"]))


@operation(SERVICE, "DeleteAttributeMapping")
def delete_attribute_mapping(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return _profile(ctx.services.anywhere_profiles.delete_attribute_mapping(
        ctx.request, p["profileId"], p["certificateField"], p.get("specifiers")))


# --- CRLs ----------------------------------------------------------------------------------------------


@operation(SERVICE, "ImportCrl")
def import_crl(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"crl": _crl_detail(ctx.services.crls.import_crl(
        ctx.request, p["name"], p["crlData"], p["trustAnchorArn"], enabled=p.get("enabled", False),
        tags=tags_in(p.get("tags")), alias_name=p.get("aliasName")))}


@operation(SERVICE, "GetCrl")
def get_crl(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"crl": _crl_detail(ctx.services.crls.get(ctx.request, p["crlId"]))}


@operation(SERVICE, "ListCrls")
def list_crls(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.crls.list(ctx.request, token=p.get("nextToken"), page_size=p.get("pageSize"))
    return {"crls": [_crl_detail(c) for c in page.items], "nextToken": page.next_token}


@operation(SERVICE, "UpdateCrl")
def update_crl(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"crl": _crl_detail(ctx.services.crls.update(ctx.request, p["crlId"], name=p.get("name"),
                                                        data=p.get("crlData"), alias_name=p.get("aliasName")))}


@operation(SERVICE, "DeleteCrl")
def delete_crl(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"crl": _crl_detail(ctx.services.crls.delete(ctx.request, p["crlId"]))}


@operation(SERVICE, "EnableCrl")
def enable_crl(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"crl": _crl_detail(ctx.services.crls.set_enabled(ctx.request, p["crlId"], True))}


@operation(SERVICE, "DisableCrl")
def disable_crl(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return {"crl": _crl_detail(ctx.services.crls.set_enabled(ctx.request, p["crlId"], False))}


# --- subjects ------------------------------------------------------------------------------------------


@operation(SERVICE, "ListSubjects")
def list_subjects(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    page = ctx.services.subjects.list(ctx.request, token=p.get("nextToken"), page_size=p.get("pageSize"))
    return {"subjects": [_subject_summary(s) for s in page.items], "nextToken": page.next_token}


@operation(SERVICE, "GetSubject")
def get_subject(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    s = ctx.services.subjects.get(ctx.request, p["subjectId"])
    return {"subject": {
        **_subject_summary(s),
        "credentials": [{"seenAt": c.seen_at, "serialNumber": c.serial_number, "issuer": c.issuer,
                         "enabled": True, "x509CertificateData": c.certificate_pem, "failed": c.failed}
                        for c in s.credentials],
        "instanceProperties": [{"seenAt": at, "properties": dict(props), "failed": failed}
                               for at, props, failed in s.instance_properties]}}
