"""IAM virtual MFA operations (IAM API reference: CreateVirtualMFADevice, EnableMFADevice, ResyncMFADevice,
DeactivateMFADevice, GetMFADevice, ListMFADevices, ListVirtualMFADevices, DeleteVirtualMFADevice,
TagMFADevice, UntagMFADevice, ListMFADeviceTags)."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import segno

from rolegate.core.errors import NoSuchEntity
from rolegate.iam.paging import page_by_position
from rolegate.sts.entities import MfaDeviceRecord

from .iam_users import user_out
from .common import implicit_user_name, page_out, tags_in, tags_out, tags_page_out
from .registry import HandlerContext, operation


@operation("iam", "CreateVirtualMFADevice")
def create_virtual_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    device = ctx.services.mfa.create_virtual_mfa_device(ctx.request, p["VirtualMFADeviceName"],
                                                        path=p.get("Path", "/"), tags=tags_in(p.get("Tags")))
    # Base32StringSeed is a blob: IAM returns the base32 text of the seed, base64-encoded on the wire.
    out: dict[str, Any] = {"SerialNumber": device.serial_number,
                           "Base32StringSeed": device.seed.encode("ascii"),
                           "QRCodePNG": qr_code_png(device, ctx.request.account_id)}
    if device.tags:
        out["Tags"] = tags_out(device.tags)
    return {"VirtualMFADevice": out}


@operation("iam", "EnableMFADevice")
def enable_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.mfa.enable_mfa_device(ctx.request, p["UserName"], p["SerialNumber"], p["AuthenticationCode1"],
                                       p["AuthenticationCode2"])


@operation("iam", "ResyncMFADevice")
def resync_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.mfa.resync_mfa_device(ctx.request, p["UserName"], p["SerialNumber"], p["AuthenticationCode1"],
                                       p["AuthenticationCode2"])


@operation("iam", "GetMFADevice")
def get_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    name = implicit_user_name(ctx, p.get("UserName"))
    if name is None:  # the root user: its MFA is not managed here
        raise NoSuchEntity(f"MFA Device with serial number {p['SerialNumber']} does not exist.")
    user, device = ctx.services.mfa.get_mfa_device(ctx.request, name, p["SerialNumber"])
    # Certifications describe FIDO security keys; a virtual device has none.
    return {"UserName": user.name, "SerialNumber": device.serial_number, "EnableDate": device.enabled_at}


@operation("iam", "TagMFADevice")
def tag_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.mfa.tag_mfa_device(ctx.request, p["SerialNumber"], tags_in(p["Tags"]))


@operation("iam", "UntagMFADevice")
def untag_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.mfa.untag_mfa_device(ctx.request, p["SerialNumber"], p["TagKeys"])


@operation("iam", "ListMFADeviceTags")
def list_mfa_device_tags(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    return tags_page_out(ctx.services.mfa.virtual_device(ctx.request, p["SerialNumber"]).tags, p)


@operation("iam", "DeactivateMFADevice")
def deactivate_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> None:
    name = implicit_user_name(ctx, p.get("UserName"))
    if name is None:
        raise NoSuchEntity(f"MFA Device with serial number {p['SerialNumber']} does not exist.")
    ctx.services.mfa.deactivate_mfa_device(ctx.request, name, p["SerialNumber"])


@operation("iam", "DeleteVirtualMFADevice")
def delete_virtual_mfa_device(ctx: HandlerContext, p: dict[str, Any]) -> None:
    ctx.services.mfa.delete_virtual_mfa_device(ctx.request, p["SerialNumber"])


@operation("iam", "ListMFADevices")
def list_mfa_devices(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    name = implicit_user_name(ctx, p.get("UserName"))
    if name is None:  # the root user: its MFA is not managed here
        return {"MFADevices": [], "IsTruncated": False}
    user, devices = ctx.services.mfa.list_mfa_devices(ctx.request, name)
    page = page_by_position(devices, p.get("Marker"), p.get("MaxItems"))
    return page_out(page, "MFADevices", [{"UserName": user.name, "SerialNumber": d.serial_number,
                                          "EnableDate": d.enabled_at} for d in page.items])


@operation("iam", "ListVirtualMFADevices")
def list_virtual_mfa_devices(ctx: HandlerContext, p: dict[str, Any]) -> dict[str, Any]:
    found = ctx.services.mfa.list_virtual_mfa_devices(ctx.request, p.get("AssignmentStatus") or "Any")
    page = page_by_position(found, p.get("Marker"), p.get("MaxItems"))
    return page_out(page, "VirtualMFADevices", [_virtual(d, u) for d, u in page.items])


def qr_code_png(device: MfaDeviceRecord, account_id: str) -> bytes:
    """The QR code an authenticator app scans: per the API reference (CreateVirtualMFADevice, QRCodePNG),
    ``otpauth://totp/$virtualMFADeviceName@$AccountName?secret=$Base32String``; a new device belongs to no
    user yet, so the account name is the account id."""
    uri = f"otpauth://totp/{quote(device.name, safe='@')}@{account_id}?secret={device.seed}"
    png = io.BytesIO()
    segno.make(uri, error="m", micro=False).save(png, kind="png", scale=4, border=4)
    return png.getvalue()


def _virtual(device: MfaDeviceRecord, user: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"SerialNumber": device.serial_number}
    if user is not None:
        out["User"] = user_out(user, full=False)
        out["EnableDate"] = device.enabled_at
    if device.tags:
        out["Tags"] = tags_out(device.tags)
    return out
