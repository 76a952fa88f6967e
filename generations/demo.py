"""seed_demo's step for the generations app (settings.DEMO_SEED_STEPS)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np
from django.core.files import File
from django.utils import timezone

from accounts.models import Cohort, Membership, User, active_members
from generations.models import CreditAccount, Generation, QuotaPolicy
from generations.services import credit_account_open
from inference.encode import encode_mp4, write_poster


def demo_seed_credits(*, cohort: Cohort) -> list[CreditAccount]:
    """A quota policy for the demo cohort, and credits for its artists."""
    QuotaPolicy.objects.get_or_create(
        cohort=cohort,
        defaults={
            "credits_per_period": 200,
            "period_days": 7,
            "max_running_per_artist": 1,
            "allowed_styles": ["ink"],
            "relaxed_lane": True,  # free clips when GPUs are idle, so the demo shows both lanes
        },
    )
    artists = User.objects.filter(
        active_members(role=Membership.Role.ARTIST, via="memberships"), memberships__cohort=cohort
    )
    return [credit_account_open(user=artist, cohort=cohort) for artist in artists]


def demo_rendered_clip(artist: User, cohort: Cohort, prompt: str, *, hue: float) -> Generation:
    """A small rendered clip made without the model (a moving colour field), recorded as succeeded, free."""
    frames = _moving_field(hue)
    now = timezone.now()
    generation = Generation.objects.create(
        artist=artist, cohort=cohort, account=credit_account_open(user=artist, cohort=cohort), prompt=prompt,
        preset="tiny", width=128, height=128, num_frames=len(frames), fps=8, steps=4, guidance=1.0, seed=7,
        cost=0, status=Generation.Status.SUCCEEDED, progress=100, queued_at=now, started_at=now, finished_at=now,
        attempts=1,
    )  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="vernissage-demo-") as scratch:
        video, poster = Path(scratch) / "clip.mp4", Path(scratch) / "poster.jpg"
        encode_mp4(frames, fps=8, path=video)
        write_poster(frames[0], poster)
        with open(video, "rb") as fh:
            generation.video.save(f"demo-{generation.public_id}.mp4", File(fh), save=False)
        with open(poster, "rb") as fh:
            generation.poster.save(f"demo-{generation.public_id}.jpg", File(fh), save=False)
        generation.video_sha256 = hashlib.sha256(video.read_bytes()).hexdigest()
        generation.video_bytes = video.stat().st_size
    generation.save(update_fields=["video", "poster", "video_sha256", "video_bytes"])
    return generation


def _moving_field(hue: float, count: int = 17, size: int = 128) -> np.ndarray:
    y, x = np.mgrid[0:size, 0:size] / size
    frames = []
    for index in range(count):
        phase = index / count * 2 * np.pi
        wave = 0.5 + 0.5 * np.sin(6 * x + 4 * y + phase)
        rgb = np.stack([wave * (1 - hue), wave * 0.6 + 0.2 * hue, 1 - wave * hue], axis=-1)
        frames.append((rgb * 255).astype(np.uint8))
    return np.stack(frames)
