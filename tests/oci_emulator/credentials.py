"""Throwaway credentials for the emulated tenancy, written where clients expect them.

`Credentials.create(state_dir)` makes, under `state_dir`:

    ca.pem                               the test CA clients trust (REQUESTS_CA_BUNDLE, SSL_CERT_FILE)
    home/.oci/config                     [DEFAULT]: API-key profile; [SESSION]: security-token profile
    home/.oci/oci_api_key.pem            the API key ("~" paths in the config, like the image expects)
    home/.oci/sessions/SESSION/          token + key of the `oci session authenticate` style profile
    resource-principal/                  RPST + session key for resource principal v2.2

and keeps in memory what only the emulator needs: the CA key, the token-signing key, the
intermediate CA that issues instance certificates, and the default instance identity (leaf
certificate, its key and intermediate) that the metadata service serves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from . import realm
from .pki import (
    CertificateAuthority,
    api_key_fingerprint,
    cert_pem,
    certificate_fingerprint,
    new_key,
    private_pem,
    public_pem,
)
from .tokens import TokenIssuer

SESSION_PROFILE = "SESSION"
TOKEN_LIFETIME = 24 * 3600  # long enough for a by-hand session; tests mint short-lived ones themselves


@dataclass
class ApiKey:
    """A user's API signing key as OCI IAM knows it."""

    key: rsa.RSAPrivateKey
    user: str = realm.USER
    tenancy: str = realm.TENANCY

    @property
    def fingerprint(self) -> str:
        return api_key_fingerprint(self.key.public_key())

    @property
    def key_id(self) -> str:
        """The keyId of requests signed with this key."""
        return f"{self.tenancy}/{self.user}/{self.fingerprint}"


INSTANCE_INTERMEDIATE = "PKISVC Identity Intermediate (oci-emulator)"


@dataclass
class InstanceIdentity:
    """What an OCI compute instance finds in its metadata service: a leaf certificate naming the
    instance, its tenancy and compartment, the leaf's private key, and the intermediate CA.
    `name` is the instance's display name and host name in its instance document."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    intermediate: x509.Certificate
    instance_id: str = realm.INSTANCE
    tenancy: str = realm.TENANCY
    compartment: str = realm.COMPARTMENT
    name: str = realm.INSTANCE_NAME

    @classmethod
    def create(cls, intermediate: CertificateAuthority, *, instance_id: str = realm.INSTANCE,
               name: str = realm.INSTANCE_NAME, compartment: str = realm.COMPARTMENT) -> InstanceIdentity:
        """A leaf from `intermediate` (every instance of the tenancy shares one, as on OCI)."""
        key = new_key()
        # The SDK reads the tenancy from the "opc-tenant:" subject attribute.
        cert = intermediate.issue(key.public_key(), instance_id,
                                  "opc-certtype:instance",
                                  f"opc-compartment:{compartment}",
                                  f"opc-instance:{instance_id}",
                                  f"opc-tenant:{realm.TENANCY}")
        return cls(key, cert, intermediate.cert, instance_id=instance_id, name=name, compartment=compartment)

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.cert)

    def metadata_files(self) -> dict[str, bytes]:
        """The documents served under /opc/v2/identity/."""
        return {"cert.pem": cert_pem(self.cert), "key.pem": private_pem(self.key),
                "intermediate.pem": cert_pem(self.intermediate)}


def write_resource_principal(directory: Path, issuer: TokenIssuer, *, lifetime: int = TOKEN_LIFETIME,
                             resource_id: str = realm.RESOURCE,
                             compartment_id: str = realm.COMPARTMENT) -> dict[str, str]:
    """Mint a resource principal session token (RPST) and write it with its session key.

    Returns the OCI_RESOURCE_PRINCIPAL_* variables for the SDK's resource principal v2.2 signer,
    which reads both files itself and never calls the network to get them. The resource type
    (`res_type`, what `resource.type` matching rules compare) is the OCID's type component:
    `ocid1.computecontainerinstance....` is a `computecontainerinstance`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    session_key = new_key()
    token = issuer.security_token(session_key.public_key(), ttype="res", subject=resource_id,
                                  lifetime=lifetime,
                                  claims={"res_tenant": realm.TENANCY, "res_compartment": compartment_id,
                                          "res_type": resource_id.split(".")[1], "res_id": resource_id})
    rpst, pem = directory / "rpst.jwt", directory / "private.pem"
    write_file(rpst, token.encode())
    write_file(pem, private_pem(session_key))
    return {"OCI_RESOURCE_PRINCIPAL_VERSION": "2.2",
            "OCI_RESOURCE_PRINCIPAL_RPST": str(rpst),
            "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM": str(pem),
            "OCI_RESOURCE_PRINCIPAL_REGION": realm.REGION}


@dataclass
class Credentials:
    """Every credential of the emulated tenancy, and where the client-side files are."""

    state_dir: Path
    ca: CertificateAuthority
    issuer: TokenIssuer
    api_key: ApiKey
    instance_ca: CertificateAuthority  # the intermediate that issues every instance certificate
    instance: InstanceIdentity
    resource_principal_env: dict[str, str]

    @property
    def ca_file(self) -> Path:
        return self.state_dir / "ca.pem"

    @property
    def home(self) -> Path:
        return self.state_dir / "home"

    @property
    def config_file(self) -> Path:
        return self.home / ".oci" / "config"

    @classmethod
    def create(cls, state_dir: Path) -> Credentials:
        state_dir = Path(state_dir).resolve()
        state_dir.mkdir(parents=True, exist_ok=True)
        ca = CertificateAuthority.create()
        signer_key = new_key()
        issuer = TokenIssuer(signer_key, ca.issue(signer_key.public_key(), "oci-emulator token signer"))
        instance_ca = ca.intermediate(INSTANCE_INTERMEDIATE)
        creds = cls(state_dir=state_dir, ca=ca, issuer=issuer, api_key=ApiKey(new_key()),
                    instance_ca=instance_ca, instance=InstanceIdentity.create(instance_ca),
                    resource_principal_env=write_resource_principal(state_dir / "resource-principal", issuer))
        write_file(creds.ca_file, cert_pem(ca.cert), mode=0o644)  # public; containers under other uids read it
        creds._write_oci_home()
        return creds

    def _write_oci_home(self) -> None:
        """~/.oci as `oci setup config` and `oci session authenticate` leave it, with "~" paths so
        the same directory works mounted at another home (e.g. /root/.oci in a container)."""
        oci_dir = self.home / ".oci"
        write_file(oci_dir / "oci_api_key.pem", private_pem(self.api_key.key))
        write_file(oci_dir / "oci_api_key_public.pem", public_pem(self.api_key.key))
        session_dir = oci_dir / "sessions" / SESSION_PROFILE
        session_key = new_key()
        token = self.issuer.security_token(session_key.public_key(), ttype="login", subject=realm.USER,
                                           lifetime=TOKEN_LIFETIME, claims={"tenant": realm.TENANCY})
        write_file(session_dir / "oci_api_key.pem", private_pem(session_key))
        write_file(session_dir / "token", token.encode())
        session_base = f"~/.oci/sessions/{SESSION_PROFILE}"
        write_file(self.config_file, (
            "[DEFAULT]\n"
            f"user={realm.USER}\n"
            f"fingerprint={self.api_key.fingerprint}\n"
            f"tenancy={realm.TENANCY}\n"
            f"region={realm.REGION}\n"
            "key_file=~/.oci/oci_api_key.pem\n"
            "\n"
            f"[{SESSION_PROFILE}]\n"
            f"fingerprint={api_key_fingerprint(session_key.public_key())}\n"
            f"tenancy={realm.TENANCY}\n"
            f"region={realm.REGION}\n"
            f"key_file={session_base}/oci_api_key.pem\n"
            f"security_token_file={session_base}/token\n").encode())


def write_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a file, owner-only by default (keys and tokens live here; the OCI CLI warns about wider modes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    os.fchmod(fd, mode)  # an existing file keeps its old mode through O_CREAT
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
