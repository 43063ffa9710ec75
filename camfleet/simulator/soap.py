"""SOAP 1.2 on the wire: a hardened request parser, reply envelopes from templates, spec-shaped faults.

Replies are text templates rather than zeep objects: zeep is a client library, and formatting a string is
what a camera's firmware does too (and costs microseconds per reply at fleet scale).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

NS = {
    "env": "http://www.w3.org/2003/05/soap-envelope",
    "tt": "http://www.onvif.org/ver10/schema",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
    "trt": "http://www.onvif.org/ver10/media/wsdl",
    "tev": "http://www.onvif.org/ver10/events/wsdl",
    "wsnt": "http://docs.oasis-open.org/wsn/b-2",
    "wsa": "http://www.w3.org/2005/08/addressing",
    "ter": "http://www.onvif.org/ver10/error",
    "tns1": "http://www.onvif.org/ver10/topics",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
MAX_REQUEST_BYTES = 64 * 1024
_ENV = "{{{}}}".format(NS["env"])
_WSSE = "{{{}}}".format(NS["wsse"])
_WSU = "{{{}}}".format(NS["wsu"])
_DECLS = " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("wsse", "wsu"))
_HEAD = f'<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope {_DECLS}>'

# No DTDs, no entity expansion, no network, no huge trees: a request is a few hundred bytes of SOAP.
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False
)


class SoapRequestError(Exception):
    """The request is not a SOAP 1.2 envelope we can read (answered with an env:Sender fault)."""


@dataclass(slots=True)
class UsernameToken:
    """The WS-Security UsernameToken of a request, as sent."""

    username: str
    password: str
    digest: bool
    nonce: str
    created: str


@dataclass(slots=True)
class SoapRequest:
    """A parsed request: the operation (local name and namespace of the Body's child) and its parts."""

    operation: str
    namespace: str
    body: etree._Element
    token: UsernameToken | None


def parse_request(data: bytes) -> SoapRequest:
    """Parse a SOAP request; raise ``SoapRequestError`` for anything a camera would refuse to read."""
    if len(data) > MAX_REQUEST_BYTES:
        raise SoapRequestError("request too large")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapRequestError(f"not well-formed XML: {exc.msg}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapRequestError("DTDs are not accepted")
    if root.tag != _ENV + "Envelope":
        raise SoapRequestError("not a SOAP 1.2 envelope")
    body = root.find(_ENV + "Body")
    if body is None or len(body) == 0:
        raise SoapRequestError("empty SOAP body")
    op = body[0]
    qname = etree.QName(op)
    return SoapRequest(qname.localname, qname.namespace or "", op, _token(root.find(_ENV + "Header")))


def _token(header: etree._Element | None) -> UsernameToken | None:
    if header is None:
        return None
    tok = header.find(f"{_WSSE}Security/{_WSSE}UsernameToken")
    if tok is None:
        return None
    pw = tok.find(_WSSE + "Password")
    return UsernameToken(
        username=tok.findtext(_WSSE + "Username", "").strip(),
        password=(pw.text or "") if pw is not None else "",
        digest=pw is not None and pw.get("Type", "").endswith("#PasswordDigest"),
        nonce=tok.findtext(_WSSE + "Nonce", "").strip(),
        created=(tok.findtext(_WSU + "Created") or tok.findtext(_WSSE + "Created") or "").strip(),
    )


def envelope(body: str, header: str = "") -> bytes:
    """A reply envelope around ``body`` (XML text using the prefixes of ``NS``)."""
    head = f"<env:Header>{header}</env:Header>" if header else ""
    return f"{_HEAD}{head}<env:Body>{body}</env:Body></env:Envelope>".encode()


@dataclass(frozen=True, slots=True)
class SoapFault:
    """A SOAP fault reply: HTTP status, env code, ONVIF subcodes (outermost first) and reason text."""

    http_status: int
    code: str
    subcodes: tuple[str, ...]
    reason: str

    def render(self) -> bytes:
        """The fault as a SOAP 1.2 envelope."""
        sub = ""
        for value in reversed(self.subcodes):
            sub = f"<env:Subcode><env:Value>{value}</env:Value>{sub}</env:Subcode>"
        return envelope(
            f"<env:Fault><env:Code><env:Value>{self.code}</env:Value>{sub}</env:Code>"
            f'<env:Reason><env:Text xml:lang="en">{escape(self.reason)}</env:Text></env:Reason></env:Fault>'
        )


# HTTP 400 for Sender faults and 500 for Receiver faults: the SOAP 1.2 HTTP binding, which is what the
# cameras we model send. (Some firmwares answer a bad password with HTTP 401 instead; zeep reads both.)
NOT_AUTHORIZED = SoapFault(400, "env:Sender", ("ter:NotAuthorized",), "Sender not Authorized")
ACTION_NOT_SUPPORTED = SoapFault(500, "env:Receiver", ("ter:ActionNotSupported",), "Optional Action Not Implemented")
NO_PROFILE = SoapFault(
    400, "env:Sender", ("ter:InvalidArgVal", "ter:NoProfile"), "The requested profile does not exist"
)
INVALID_ARGS = SoapFault(400, "env:Sender", ("ter:InvalidArgVal",), "Argument value invalid")
WELL_FORMED = SoapFault(400, "env:Sender", ("ter:WellFormed",), "XML not well-formed")


def bool_text(value: bool) -> str:
    """xs:boolean text."""
    return "true" if value else "false"
