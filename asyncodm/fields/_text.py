"""Text-like scalar fields: strings, emails, URLs, IP addresses, regexes and JavaScript code.

Stage: fields. Strings are stored as they are, so ``StringField`` and the fields built on it load
with no conversion (``identity_load``). String lookups (``contains``, ``istartswith`` ...) become
compiled patterns here, with the user's text regex-escaped, as MongoEngine does, so a
``ListField(StringField())`` answers them for its items too.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any, ClassVar

from bson import Code, Regex

from asyncodm.errors import InvalidDocumentError
from asyncodm.fields._base import BaseField, InlineCheck, TypeIs, describe
from asyncodm.fields._prepare import prepare_scalar
from asyncodm.fields._spec import frozen_mapping

__all__ = [
    "PATTERN_TEMPLATES",
    "EmailField",
    "GenericIPAddressField",
    "JavaScriptField",
    "RegularExpressionField",
    "StringField",
    "URLField",
    "string_pattern",
]

#: Lookup -> regex template (``%s``: the user's text, escaped); an ``i`` prefix ignores case.
#: The one source of these patterns: ``queryset._operators.string_condition`` (the ``$regex``
#: of a filter) and ``StringField.prepare_query_value`` (a compiled pattern) both build theirs
#: with ``string_pattern``. The end of the text is ``(?![\s\S])`` ("no character follows"),
#: not ``$``: in PCRE (and Python) ``$`` also matches before a final newline, so
#: ``endswith="x"`` would match ``"x\n"``.
PATTERN_TEMPLATES: dict[str, str] = {
    "contains": "%s",
    "startswith": "^%s",
    "endswith": r"%s(?![\s\S])",
    "exact": r"^%s(?![\s\S])",
    "wholeword": r"\b%s\b",
}


def string_pattern(op: str, value: str) -> tuple[str, bool] | None:
    """The regex source for the string lookup ``op`` on the user's text ``value``, and
    whether it ignores case; None when ``op`` is no string lookup.

    The text is escaped (``re.escape``), so it only ever matches itself; ``regex``/``iregex``
    take it as the pattern, because there the pattern *is* the input."""
    insensitive = op[:1] == "i" and op not in PATTERN_TEMPLATES and op != "regex"
    base = op[1:] if insensitive else op
    if base == "regex":
        return value, insensitive
    template = PATTERN_TEMPLATES.get(base)
    if template is None:
        return None
    return template % re.escape(value), insensitive


def _string_query(op: str | None, value: Any) -> Any:
    """The compiled pattern for a string lookup, or ``value`` itself for any other operator
    (and for case-sensitive ``exact``: equality is the same match, and it can use an index)."""
    if not isinstance(op, str) or not isinstance(value, str) or op == "exact":
        return value
    found = string_pattern(op, value)
    if found is None:
        return value
    source, insensitive = found
    return re.compile(source, re.IGNORECASE if insensitive else 0)


class StringField(BaseField[str]):
    """A unicode string, optionally bounded in length and matched against ``regex``.

    The regex must match at the start of the value (``re.match``), as in MongoEngine; anchor
    it with ``$`` to match the whole value.
    """

    identity_load = True
    expected = "a string"

    def __init__(
        self,
        db_field: str | None = None,
        *,
        min_length: int | None = None,
        max_length: int | None = None,
        regex: str | re.Pattern[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(db_field, **kwargs)
        if min_length is not None and max_length is not None and min_length > max_length:
            raise InvalidDocumentError(
                f"min_length ({min_length}) is greater than max_length ({max_length})"
            )
        self.min_length = min_length
        self.max_length = max_length
        self.regex: re.Pattern[str] | None = re.compile(regex) if isinstance(regex, str) else regex

    identity_dump = True

    kind = "string"

    def _describe(self) -> dict[str, Any]:
        constraints = frozen_mapping(
            min_length=self.min_length,
            max_length=self.max_length,
            regex=self.regex.pattern if self.regex is not None else None,
        )
        return {**super()._describe(), "constraints": constraints}

    def quick_check(self) -> Callable[[Any], bool] | None:
        if type(self) is not StringField or self.regex is not None:
            return None  # subclasses (email, url) check more than the type
        low, high = self.min_length, self.max_length
        if low is None and high is None:
            return TypeIs(str)
        if low is None:
            return InlineCheck("type(v) is str and len(v) <= {high}", high=high)
        top = high if high is not None else float("inf")
        return InlineCheck("type(v) is str and {low} <= len(v) <= {top}", low=low, top=top)

    def check(self, value: Any) -> str | None:
        if not isinstance(value, str):
            return f"expected {self.expected}, found {describe(value)}"
        size = len(value)
        if self.max_length is not None and size > self.max_length:
            return f"expected at most {self.max_length} characters, found {size} characters"
        if self.min_length is not None and size < self.min_length:
            return f"expected at least {self.min_length} characters, found {size} characters"
        if self.regex is not None and self.regex.match(value) is None:
            return f"expected a string matching {self.regex.pattern!r}, found {describe(value)}"
        return None

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """String lookups give compiled patterns (user text escaped); others the value."""
        if op is not None and isinstance(value, str):
            return _string_query(op, value)
        return prepare_scalar(op, value, self.to_mongo)


class EmailField(StringField):
    """An email address: a dot-atom or quoted local part, ``@``, and a domain name.

    Args:
        allow_utf8_user: Accept non-ASCII letters in the local part (RFC 6531).
        domain_whitelist: Domains accepted as they are (``localhost``, intranet names).
        allow_ip_domain: Accept an IP literal domain (``user@[192.168.0.1]``).
    """

    expected = "an email address"

    kind = "email"

    def _describe(self) -> dict[str, Any]:
        options = frozen_mapping(
            allow_utf8_user=self.allow_utf8_user,
            allow_ip_domain=self.allow_ip_domain,
            domain_whitelist=tuple(self.domain_whitelist) or None,
        )
        return {**super()._describe(), "options": options}

    USER_REGEX: ClassVar[re.Pattern[str]] = re.compile(
        # dot-atom (RFC 5322 section 3.2.3)
        r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z]+(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z]+)*\Z"
        # quoted-string (RFC 5322 section 3.2.4)
        r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
        re.IGNORECASE,
    )
    UTF8_USER_REGEX: ClassVar[re.Pattern[str]] = re.compile(
        r"(^[-!#$%&'*+/=?^_`{}|~0-9A-Z\u0080-\U0010FFFF]+"
        r"(\.[-!#$%&'*+/=?^_`{}|~0-9A-Z\u0080-\U0010FFFF]+)*\Z"
        r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
        re.IGNORECASE,
    )
    DOMAIN_REGEX: ClassVar[re.Pattern[str]] = re.compile(
        r"((?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+)(?:[A-Z0-9-]{2,63}(?<!-))\Z",
        re.IGNORECASE,
    )

    def __init__(
        self,
        db_field: str | None = None,
        *,
        allow_utf8_user: bool = False,
        domain_whitelist: list[str] | tuple[str, ...] | None = None,
        allow_ip_domain: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(db_field, **kwargs)
        self.allow_utf8_user = allow_utf8_user
        self.domain_whitelist = [d.lower() for d in domain_whitelist or ()]
        self.allow_ip_domain = allow_ip_domain

    def check(self, value: Any) -> str | None:
        message = super().check(value)
        if message is not None:
            return message
        problem = self._problem(value)
        if problem is None:
            return None
        return f"expected an email address, found {describe(value)} ({problem})"

    def _problem(self, value: str) -> str | None:
        if "@" not in value:
            return "no '@'"
        user, domain = value.rsplit("@", 1)
        if len(value) > 254:
            return "longer than 254 characters"
        if len(user) > 64:
            return "local part longer than 64 characters"
        pattern = self.UTF8_USER_REGEX if self.allow_utf8_user else self.USER_REGEX
        if not user or pattern.match(user) is None:
            return f"invalid local part {user!r}"
        if not domain:
            return "no domain"
        if not self._valid_domain(domain):
            return f"invalid domain {domain!r}"
        return None

    def _valid_domain(self, domain: str) -> bool:
        if domain.lower() in self.domain_whitelist or self.DOMAIN_REGEX.match(domain):
            return True
        if domain[0] == "[" and domain[-1] == "]":
            if not self.allow_ip_domain:
                return False
            try:
                ipaddress.ip_address(domain[1:-1])
            except ValueError:
                return False
            return True
        try:  # an internationalised domain is checked in its ASCII (punycode) form
            ascii_domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return False
        return ascii_domain != domain and self.DOMAIN_REGEX.match(ascii_domain) is not None


class URLField(StringField):
    """A URL whose scheme is one of ``schemes`` and whose host is a domain, localhost or an IP.

    Args:
        schemes: Accepted schemes (default http, https, ftp, ftps), compared ignoring case.
        url_regex: Replace the built-in host/path pattern (the scheme is still checked).
    """

    expected = "a URL"

    kind = "url"

    def _describe(self) -> dict[str, Any]:
        pattern = self.url_regex.pattern if self.url_regex is not None else None
        options = frozen_mapping(schemes=self.schemes, url_regex=pattern)
        return {**super()._describe(), "options": options}

    URL_REGEX: ClassVar[re.Pattern[str]] = re.compile(
        r"^(?:[a-z0-9.+\-]*)://"  # the scheme is checked separately
        r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"  # user:password@
        r"(?:(?:[A-Z0-9](?:[A-Z0-9-_]{0,61}[A-Z0-9])?\.)+(?:[A-Z]{2,6}\.?|[A-Z0-9-]{2,}(?<!-)\.?)|"
        r"localhost|"
        r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|"
        r"\[?[A-F0-9]*:[A-F0-9:]+\]?)"
        r"(?::\d+)?"  # port
        r"(?:/?|[/?#]\S+)\Z",
        re.IGNORECASE,
    )
    SCHEMES: ClassVar[tuple[str, ...]] = ("http", "https", "ftp", "ftps")

    def __init__(
        self,
        db_field: str | None = None,
        *,
        schemes: list[str] | tuple[str, ...] | None = None,
        url_regex: str | re.Pattern[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(db_field, **kwargs)
        self.schemes = tuple(s.lower() for s in (schemes if schemes is not None else self.SCHEMES))
        self.url_regex = re.compile(url_regex) if isinstance(url_regex, str) else url_regex

    def check(self, value: Any) -> str | None:
        message = super().check(value)
        if message is not None:
            return message
        scheme = value.split("://", 1)[0].lower() if "://" in value else None
        if scheme not in self.schemes:
            wanted = ", ".join(self.schemes)
            found = f"scheme {scheme!r}" if scheme is not None else "no scheme"
            return f"expected a URL with scheme {wanted}, found {describe(value)} ({found})"
        pattern = self.url_regex or self.URL_REGEX
        if pattern.match(value) is None:
            return f"expected a URL, found {describe(value)}"
        return None


class GenericIPAddressField(BaseField[str]):
    """An IPv4 or IPv6 address stored as its string form.

    Args:
        protocol: ``"both"`` (default), ``"ipv4"`` or ``"ipv6"``; PyMODM's integer constants
            ``IPV4``, ``IPV6`` and ``BOTH`` are accepted too.

    ``ipaddress`` objects are accepted and become strings on assignment.
    """

    IPV4: ClassVar[int] = 0
    IPV6: ClassVar[int] = 1
    BOTH: ClassVar[int] = 2
    _PROTOCOLS: ClassVar[dict[str | int, str]] = {
        "both": "both",
        "ipv4": "ipv4",
        "ipv6": "ipv6",
        0: "ipv4",
        1: "ipv6",
        2: "both",
    }

    identity_load = True
    coerces = True
    expected = "an IP address"

    kind = "ip"

    def _describe(self) -> dict[str, Any]:
        protocol = None if self.protocol == "both" else self.protocol  # "both" is no constraint
        return {**super()._describe(), "constraints": frozen_mapping(protocol=protocol)}

    def __init__(
        self, db_field: str | None = None, *, protocol: str | int = "both", **kwargs: Any
    ) -> None:
        super().__init__(db_field, **kwargs)
        key = protocol.lower() if isinstance(protocol, str) else protocol
        if key not in self._PROTOCOLS:
            raise InvalidDocumentError(
                f"expected protocol 'both', 'ipv4' or 'ipv6', found {protocol!r}"
            )
        self.protocol = self._PROTOCOLS[key]
        self._wanted = {"ipv4": "an IPv4 address", "ipv6": "an IPv6 address"}.get(
            self.protocol, self.expected
        )

    def coerce(self, value: Any) -> Any:
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return str(value)
        return value

    def check(self, value: Any) -> str | None:
        if isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = value
        elif isinstance(value, str):
            try:
                address = ipaddress.ip_address(value)
            except ValueError:
                return f"expected {self._wanted}, found {describe(value)}"
        else:
            return f"expected {self._wanted}, found {describe(value)}"
        if self.protocol == "ipv4" and address.version != 4:
            return f"expected an IPv4 address, found IPv6 address {describe(value)}"
        if self.protocol == "ipv6" and address.version != 6:
            return f"expected an IPv6 address, found IPv4 address {describe(value)}"
        return None

    def to_mongo(self, value: Any) -> Any:
        return self.coerce(value)

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)


class RegularExpressionField(BaseField[re.Pattern[str]]):
    """A compiled regular expression, stored as a BSON regular expression (``bson.Regex``).

    Strings and ``bson.Regex`` values are compiled on assignment. A stored pattern that only
    PCRE understands is read back as the ``bson.Regex`` it is rather than failing.
    """

    coerces = True
    expected = "a regular expression"

    kind = "regex"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, (str, Regex)):
            try:
                return value.try_compile() if isinstance(value, Regex) else re.compile(value)
            except re.error:
                return value  # kept as given: validation reports why it does not compile
        return value

    def check(self, value: Any) -> str | None:
        source = value.pattern if isinstance(value, (re.Pattern, Regex)) else value
        if isinstance(source, str) and "\x00" in source:
            return f"expected a pattern without NUL characters (BSON cannot store them), found {describe(value)}"
        if isinstance(value, (re.Pattern, Regex)):
            return None
        if isinstance(value, str):
            try:
                re.compile(value)
            except re.error as exc:
                return f"expected {self.expected}, found {describe(value)} ({exc})"
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def to_python(self, value: Any) -> Any:
        if isinstance(value, Regex):
            try:
                return value.try_compile()
            except re.error:
                return Regex(value.pattern, value.flags)
        if isinstance(value, str):
            return self.coerce(value)
        return value

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, re.Pattern):
            return Regex.from_native(value)
        if isinstance(value, Regex):
            return Regex(value.pattern, value.flags)  # Regex is mutable: never share it
        if isinstance(value, str):
            return Regex(value)
        return value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        """A pattern here is the stored value to match, not a query, so it is always converted."""
        if value is None or op in ("exists", "type", "size"):
            return value
        return self.to_mongo(value)


class JavaScriptField(BaseField[Code]):
    """JavaScript source stored as BSON code (``bson.Code``).

    Strings become ``Code`` on assignment. A ``Code`` carries a mutable ``scope``, so values are copied on load and save.
    """

    coerces = True
    expected = "JavaScript code (a string or bson.Code)"

    kind = "javascript"

    def coerce(self, value: Any) -> Any:
        if isinstance(value, str) and not isinstance(value, Code):
            return Code(value)
        return value

    def check(self, value: Any) -> str | None:
        if isinstance(value, str):
            return None
        return f"expected {self.expected}, found {describe(value)}"

    def to_python(self, value: Any) -> Any:
        return self.to_mongo(value)

    def to_mongo(self, value: Any) -> Any:
        if isinstance(value, Code):
            scope = value.scope
            return Code(str(value), dict(scope) if scope is not None else None)
        if isinstance(value, str):
            return Code(value)
        return value

    def prepare_query_value(self, op: str | None, value: Any) -> Any:
        return prepare_scalar(op, value, self.to_mongo)
