"""Encrypted SAML assertions: the provider's private keys, and decrypting an ``EncryptedAssertion``.

IAM lets a SAML provider hold up to two private keys (CreateSAMLProvider / UpdateSAMLProvider ``AddPrivateKey``)
and decrypts assertions the IdP encrypted to the matching certificate; "the private key must be a .pem file
that uses AES-GCM or AES-CBC encryption algorithm to decrypt SAML assertions" (IAM API reference,
CreateSAMLProvider, https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateSAMLProvider.html; IAM User
Guide, "SAML encryption", https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_saml.html).

The format is XML Encryption 1.1 (W3C xmlenc-core1, §3–§5): ``saml:EncryptedAssertion`` holds one
``xenc:EncryptedData`` (Type Element) whose content key is an ``xenc:EncryptedKey`` — inside its ``ds:KeyInfo``
or beside it in the EncryptedAssertion (SAML core §2.3.4). Accepted, with ``cryptography``:
- content: AES-128/192/256 in GCM (xmlenc11, §5.2.4: 96-bit IV first, 128-bit tag last) or CBC (xmlenc, §5.2.2:
  IV first; the last byte says how many padding bytes to drop);
- key transport: RSA-OAEP (``rsa-oaep-mgf1p``: MGF1 with SHA-1, digest SHA-1 unless ``ds:DigestMethod`` names
  another; xmlenc11 ``rsa-oaep`` with its ``xenc11:MGF``).
Refused (rolegate choice where AWS is silent): RSA PKCS#1 v1.5 key transport (its padding oracle, RFC 8017
§7.2, is exactly what an unsigned endpoint must not offer), Triple DES and anything else. Every failure is one
``DecryptionFailed`` with no detail of which step failed, so the endpoint is no oracle either.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "http://www.w3.org/2000/09/xmldsig#"
_NS = {"xenc": XENC, "xenc11": XENC11, "ds": DS}

_GCM = {XENC11 + "aes128-gcm": 16, XENC11 + "aes192-gcm": 24, XENC11 + "aes256-gcm": 32}
_CBC = {XENC + "aes128-cbc": 16, XENC + "aes192-cbc": 24, XENC + "aes256-cbc": 32}
_OAEP_MGF1P = XENC + "rsa-oaep-mgf1p"
_OAEP = XENC11 + "rsa-oaep"
_DIGESTS: dict[str, hashes.HashAlgorithm] = {
    "http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1(),
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256(),
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384(),
    "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512(),
}
_MGFS: dict[str, hashes.HashAlgorithm] = {
    XENC11 + "mgf1sha1": hashes.SHA1(), XENC11 + "mgf1sha224": hashes.SHA224(),
    XENC11 + "mgf1sha256": hashes.SHA256(), XENC11 + "mgf1sha384": hashes.SHA384(),
    XENC11 + "mgf1sha512": hashes.SHA512(),
}
MIN_RSA_BITS = 2048


class InvalidPrivateKey(ValueError):
    """``AddPrivateKey`` is not an unencrypted PEM RSA private key of at least 2048 bits."""


class DecryptionFailed(Exception):
    """The EncryptedAssertion could not be decrypted with any of the provider's keys (or uses an algorithm
    that is refused)."""


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The key ``AddPrivateKey`` carries, checked: PEM, unencrypted, RSA (XML-Enc key transport is RSA-OAEP)."""
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError):
        raise InvalidPrivateKey() from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_RSA_BITS:
        raise InvalidPrivateKey()
    return key


def decrypt_assertion(encrypted_assertion: etree._Element, keys: Sequence[rsa.RSAPrivateKey]) -> bytes:
    """The serialized ``saml:Assertion`` inside ``encrypted_assertion``, decrypted with one of ``keys``."""
    data = encrypted_assertion.findall("xenc:EncryptedData", _NS)
    if len(data) != 1:
        raise DecryptionFailed()
    encrypted_data = data[0]
    method = encrypted_data.find("xenc:EncryptionMethod", _NS)
    algorithm = method.get("Algorithm") if method is not None else None
    if algorithm not in _GCM and algorithm not in _CBC:
        raise DecryptionFailed()
    ciphertext = _cipher_value(encrypted_data)
    wrapped = encrypted_data.findall("ds:KeyInfo/xenc:EncryptedKey", _NS) + \
        encrypted_assertion.findall("xenc:EncryptedKey", _NS)
    for encrypted_key in wrapped:
        for key in keys:
            content_key = _unwrap(encrypted_key, key)
            if content_key is None:
                continue
            plain = _decrypt_content(algorithm, content_key, ciphertext)
            if plain is not None:
                return plain
    raise DecryptionFailed()


def _cipher_value(element: etree._Element) -> bytes:
    value = element.find("xenc:CipherData/xenc:CipherValue", _NS)
    if value is None or not value.text:
        raise DecryptionFailed()
    try:
        return base64.b64decode("".join(value.text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionFailed() from None


def _unwrap(encrypted_key: etree._Element, key: rsa.RSAPrivateKey) -> bytes | None:
    method = encrypted_key.find("xenc:EncryptionMethod", _NS)
    if method is None:
        return None
    algorithm = method.get("Algorithm")
    digest_el = method.find("ds:DigestMethod", _NS)
    digest = _DIGESTS.get(digest_el.get("Algorithm", "")) if digest_el is not None else hashes.SHA1()
    if algorithm == _OAEP_MGF1P:
        mgf: hashes.HashAlgorithm | None = hashes.SHA1()  # the algorithm's name fixes MGF1 with SHA-1
    elif algorithm == _OAEP:
        mgf_el = method.find("xenc11:MGF", _NS)
        mgf = _MGFS.get(mgf_el.get("Algorithm", "")) if mgf_el is not None else hashes.SHA1()
    else:
        return None  # rsa-1_5 and every other transport: refused
    if digest is None or mgf is None:
        return None
    label_el = method.find("xenc:OAEPparams", _NS)
    try:
        label = base64.b64decode(label_el.text or "") if label_el is not None else None
        return key.decrypt(_cipher_value(encrypted_key),
                           padding.OAEP(mgf=padding.MGF1(mgf), algorithm=digest, label=label or None))
    except (ValueError, DecryptionFailed, binascii.Error):
        return None


def _decrypt_content(algorithm: str, content_key: bytes, ciphertext: bytes) -> bytes | None:
    if algorithm in _GCM:
        if len(content_key) != _GCM[algorithm] or len(ciphertext) < 12 + 16:
            return None
        try:
            return AESGCM(content_key).decrypt(ciphertext[:12], ciphertext[12:], None)
        except InvalidTag:
            return None
    if len(content_key) != _CBC[algorithm] or len(ciphertext) < 32 or len(ciphertext) % 16:
        return None
    decryptor = Cipher(algorithms.AES(content_key), modes.CBC(ciphertext[:16])).decryptor()
    padded = decryptor.update(ciphertext[16:]) + decryptor.finalize()
    pad = padded[-1]
    if not 1 <= pad <= 16:
        return None
    # CBC has no integrity of its own: what it yields is only trusted once the assertion's signature holds.
    return padded[:-pad]
