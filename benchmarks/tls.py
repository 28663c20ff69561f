"""A throw-away CA and a server certificate for 127.0.0.1, and the trust bundle clients get.

Keys are ECDSA P-256, as most large providers use today. The bundle handed to every peer
through `SSL_CERT_FILE` is the system's trust store plus the throw-away CA, so a client that
loads its trust store per connection pays what it would pay against a real provider.
"""

import datetime
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def system_bundle() -> str:
    """The system trust store (certifi's when there is none)."""
    for path in SYSTEM_BUNDLES:
        if os.path.exists(path):
            return path
    import certifi

    return str(certifi.where())


def make_certificates(directory: Path) -> dict[str, str]:
    """Writes `ca.pem`, `server.pem`, `server.key` and `bundle.pem`; returns their paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=2)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("flet-auth benchmark throw-away CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    paths = {name: str(directory / name) for name in ("ca.pem", "server.pem", "server.key")}
    Path(paths["ca.pem"]).write_bytes(ca_pem)
    Path(paths["server.pem"]).write_bytes(server.public_bytes(serialization.Encoding.PEM))
    Path(paths["server.key"]).write_bytes(_pem(key))
    os.chmod(paths["server.key"], 0o600)
    bundle = directory / "bundle.pem"
    bundle.write_bytes(Path(system_bundle()).read_bytes().rstrip(b"\n") + b"\n" + ca_pem)
    paths["bundle.pem"] = str(bundle)
    return paths
