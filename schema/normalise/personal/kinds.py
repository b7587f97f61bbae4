"""What a finding of personal data is, whose it is, and which listing kinds are private."""

from dataclasses import dataclass
from typing import Literal

#: Mailbox providers for private persons; an address there is never an organisation's own.
FREEMAIL_DOMAINS = frozenset({
    "gmx.de", "gmx.net", "gmx.at", "web.de", "t-online.de", "gmail.com", "googlemail.com",
    "yahoo.de", "yahoo.com", "outlook.de", "outlook.com", "hotmail.de", "hotmail.com",
    "live.de", "freenet.de", "aol.com", "aol.de", "icloud.com", "posteo.de", "mail.de",
    "arcor.de", "online.de", "email.de", "vodafone.de", "kabelmail.de", "mailbox.org",
})

StaffContacts = Literal["withhold", "publish"]
FindingKind = Literal["salutation", "mobile", "mailbox", "private_address"]
#: Who a finding belongs to, which decides where it is withheld: `home` a person's home
#: (always), `named` a named person, maybe an institution's staff (groups; centres and
#: organisations unless their staff contacts may be published), `member` a mobile number or
#: unnamed free-mail box (groups only: an institution may have those too).
Holder = Literal["home", "named", "member"]
#: Listing kinds whose contacts are private persons.
PRIVATE_KINDS = frozenset({"group", "rare_condition"})


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    start: int
    end: int
    holder: Holder
