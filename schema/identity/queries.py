"""Identity queries."""

from __future__ import annotations

import strawberry

from schema.context import Info
from schema.identity.types import Account


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="The signed-in account, or null.")
    def me(self, info: Info) -> Account | None:
        account = info.context.viewer.account
        return Account.from_record(account) if account else None
