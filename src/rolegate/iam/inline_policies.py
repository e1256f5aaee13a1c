"""Inline policies of any owner (user, group, role): IAM's rules for putting, reading, deleting and listing
them inside a transaction the caller holds. Sizes are an aggregate per owner (IAM quotas page)."""

from __future__ import annotations

from rolegate.core.errors import NoSuchEntity
from rolegate.core.pagination import Page

from . import documents
from .paging import page_after
from .ports import InlinePolicyRepository


def check_new_document(document: str) -> None:
    """Before the transaction: the document must be a valid identity policy."""
    documents.check_document(document, "inline")


def put(repo: InlinePolicyRepository, owner_id: str, *, entity: str, owner_name: str, limit: int,
        policy_name: str, document: str) -> None:
    """Add or replace a policy, keeping the owner's inline policies within ``limit`` characters together."""
    others = [d for n, d in repo.list_inline_policies(owner_id) if n != policy_name]
    documents.check_inline_aggregate([*others, document], limit, entity, owner_name)
    repo.put_inline_policy(owner_id, policy_name, document)


def get(repo: InlinePolicyRepository, owner_id: str, *, entity: str, policy_name: str) -> str:
    document = repo.get_inline_policy(owner_id, policy_name)
    if document is None:
        raise no_such_policy(entity, policy_name)
    return document


def delete(repo: InlinePolicyRepository, owner_id: str, *, entity: str, policy_name: str) -> None:
    if not repo.delete_inline_policy(owner_id, policy_name):
        raise no_such_policy(entity, policy_name)


def names_page(repo: InlinePolicyRepository, owner_id: str, marker: str | None,
               max_items: int | None) -> Page[str]:
    return page_after([n for n, _ in repo.list_inline_policies(owner_id)], lambda n: n, marker, max_items)


def no_such_policy(entity: str, policy_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {entity} policy with name {policy_name} cannot be found.")
