"""Keys and certificates: a throwaway test CA and the certificates it issues.

Nothing here is trusted outside a process that was handed the CA file (REQUESTS_CA_BUNDLE /
SSL_CERT_FILE), and every key is generated fresh for each emulator start.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CERT_LIFETIME = dt.timedelta(days=30)


def new_key() -> rsa.RSAPrivateKey:
    """An RSA key of the size OCI uses for API keys and session keys."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> bytes:
    """Unencrypted PEM in the traditional ("BEGIN RSA PRIVATE KEY") form `oci setup keys` writes."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def public_pem(key: rsa.RSAPrivateKey | rsa.RSAPublicKey) -> bytes:
    public = key.public_key() if isinstance(key, rsa.RSAPrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def api_key_fingerprint(public_key: rsa.RSAPublicKey) -> str:
    """The fingerprint OCI shows for an API key: MD5 of the DER public key, colon separated."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.md5(der).hexdigest()  # noqa: S324 - OCI's key id format, not a security measure
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def certificate_fingerprint(cert: x509.Certificate) -> str:
    """The fingerprint the SDK puts in an x509 federation keyId: SHA-1, upper-case hex, colon separated."""
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA1()))  # noqa: S303 - OCI's format


def _name(common_name: str, *units: str) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    attributes += [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit) for unit in units]
    return x509.Name(attributes)


def _builder(subject: x509.Name, issuer: x509.Name, public_key: rsa.RSAPublicKey, *,
             ca: bool) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + CERT_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))


@dataclass
class CertificateAuthority:
    """A self-signed CA that issues TLS, intermediate and leaf certificates."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls, common_name: str = "oci-emulator test CA") -> CertificateAuthority:
        key = new_key()
        name = _name(common_name)
        cert = (_builder(name, name, key.public_key(), ca=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        return cls(key, cert)

    def issue(self, public_key: rsa.RSAPublicKey, common_name: str, *units: str, ca: bool = False,
              hostnames: tuple[str, ...] = ()) -> x509.Certificate:
        """Sign a certificate for `public_key`; `hostnames` become DNS/IP subject alternative names."""
        builder = _builder(_name(common_name, *units), self.cert.subject, public_key, ca=ca)
        if hostnames:
            builder = builder.add_extension(x509.SubjectAlternativeName([_san(h) for h in hostnames]),
                                            critical=False)
        return builder.sign(self.key, hashes.SHA256())

    def intermediate(self, common_name: str) -> CertificateAuthority:
        """A subordinate CA, like the PKI intermediate that signs OCI instance certificates."""
        key = new_key()
        return CertificateAuthority(key, self.issue(key.public_key(), common_name, ca=True))


def _san(hostname: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(hostname))
    except ValueError:
        return x509.DNSName(hostname)
