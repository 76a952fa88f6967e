"""Content Credentials (C2PA) for published clips, signed with c2pa-python.

Each published MP4 carries a manifest: created by Vernissage with the model and preset, the
"AI-generated" digital source type, the review decision, and the artist's training choice as a
``c2pa.training-mining`` assertion. The signer is a P-256 key with a certificate from a small local CA,
both generated on first use into ``C2PA_DIR`` (``VAR_DIR/c2pa``); operators who have a certificate from
a CA on the C2PA trust list put ``signer.key`` and ``signer.pem`` (leaf then chain) there instead.
A verifier reports our self-generated signer as ``signingCredential.untrusted``: expected, documented.
"""

from __future__ import annotations

import datetime
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

KEY_FILE, CERT_FILE = "signer.key", "signer.pem"
AI_GENERATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
_lock = threading.Lock()


@dataclass(frozen=True)
class ClipFacts:
    """What the manifest states about a clip."""

    title: str
    model: str
    preset: str
    seed: int
    review: str  # "approved by review on <date>" or "published without review after the deadline"
    allow_training: bool
    platform_version: str
    adapters: tuple[str, ...] = ()


@dataclass(frozen=True)
class StartImage:
    """The image an image-to-video clip started from: the manifest's ingredient."""

    path: Path
    content_type: str
    sha256: str


def signer_files(directory: Path | None = None) -> tuple[Path, Path]:
    """The signing key and certificate chain, generated on first use (an operator's own are kept)."""
    directory = Path(directory or settings.C2PA_DIR)
    key_path, cert_path = directory / KEY_FILE, directory / CERT_FILE
    with _lock:
        if not (key_path.exists() and cert_path.exists()):
            directory.mkdir(parents=True, exist_ok=True)
            key_pem, chain_pem = _generate_signer()
            key_path.write_bytes(key_pem)
            key_path.chmod(0o600)
            cert_path.write_bytes(chain_pem)
    return key_path, cert_path


def _generate_signer() -> tuple[bytes, bytes]:
    """A local CA and a leaf certificate with the extensions C2PA asks of a signer."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Vernissage local CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "Vernissage publication signer"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Vernissage"),
                ]
            )
        )
        .issuer_name(ca_name)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(leaf_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    pem = serialization.Encoding.PEM
    return key_pem, leaf.public_bytes(pem) + ca.public_bytes(pem)


def manifest_for(facts: ClipFacts, start_image: StartImage | None = None) -> dict:
    created = {"model": facts.model, "preset": facts.preset, "seed": facts.seed}
    if facts.adapters:
        created["adapters"] = list(facts.adapters)
    if start_image is not None:
        # The builder links the ingredient to this action (its hashed URI in parameters.ingredients);
        # the image's own SHA-256 is stated beside it, as the platform's API shows it.
        created["ingredientIds"] = [START_IMAGE_LABEL]
        created["start_image_sha256"] = start_image.sha256
    return {
        "claim_generator_info": [{"name": "Vernissage", "version": facts.platform_version}],
        "title": facts.title,
        "format": "video/mp4",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": AI_GENERATED,
                            "softwareAgent": {"name": "Vernissage", "version": facts.platform_version},
                            "parameters": created,
                        },
                        {"action": "c2pa.published", "parameters": {"review": facts.review}},
                    ]
                },
            },
            {
                "label": "c2pa.training-mining",
                "data": {
                    "entries": {
                        use: {"use": "allowed" if facts.allow_training else "notAllowed"}
                        for use in (
                            "c2pa.ai_generative_training",
                            "c2pa.ai_training",
                            "c2pa.ai_inference",
                            "c2pa.data_mining",
                        )
                    }
                },
            },
        ],
    }


START_IMAGE_LABEL = "start-image"


def sign_mp4(
    source: Path,
    destination: Path,
    facts: ClipFacts,
    *,
    start_image: StartImage | None = None,
    signer_dir: Path | None = None,
) -> None:
    """Write ``source`` to ``destination`` with a signed C2PA manifest embedded; ``start_image`` becomes
    an ingredient (relationship inputTo) of the c2pa.created action."""
    key_path, cert_path = signer_files(signer_dir)
    info = c2pa.C2paSignerInfo(
        alg=b"es256", sign_cert=cert_path.read_bytes(), private_key=key_path.read_bytes(), ta_url=None
    )
    signer = c2pa.Signer.from_info(info)
    try:
        with (
            c2pa.Builder(json.dumps(manifest_for(facts, start_image))) as builder,
            open(source, "rb") as src,
            open(destination, "w+b") as dst,
        ):
            if start_image is not None:
                ingredient = {
                    "title": "Start image", "format": start_image.content_type, "relationship": "inputTo",
                    "label": START_IMAGE_LABEL, "description": f"SHA-256 {start_image.sha256}",
                }  # fmt: skip
                with open(start_image.path, "rb") as image:
                    builder.add_ingredient(json.dumps(ingredient), start_image.content_type, image)
            builder.sign(signer, "video/mp4", src, dst)
    finally:
        signer.close()


def read_manifest(path: Path) -> dict:
    """The clip's manifest store as c2pa-python reads it (``active_manifest``, ``manifests``,
    ``validation_status``)."""
    with c2pa.Reader(str(path)) as reader:
        return json.loads(reader.json())
