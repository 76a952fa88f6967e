"""seed_demo's step for the reviews app (settings.DEMO_SEED_STEPS): the published reasons, one clip in the
gallery and one request waiting, so the queue and the gallery are not empty after ``make run``."""

from __future__ import annotations

from accounts.models import Cohort, User
from generations.demo import demo_rendered_clip
from reviews import services
from reviews.models import PublicationRequest, ReasonCode

# A sensible taxonomy: each reason is something an artist can act on, resting on a written clause.
# None amounts to "bad for our image".
DEMO_REASONS = (
    ("likeness-without-consent", "Likeness of a real person without consent",
     "The clip shows a real, identifiable person who has not agreed to appear in it.", "Publication policy 2.1"),
    ("graphic-violence", "Graphic violence",
     "Realistic depictions of serious injury, gore or cruelty.", "Publication policy 2.2"),
    ("sexual-content", "Sexual content",
     "Sexually explicit material, and any sexualised depiction of minors (always refused and reported).",
     "Publication policy 2.3"),
    ("third-party-ip", "Third-party intellectual property",
     "Characters, logos, artwork or music that belong to someone else, used without permission.",
     "Publication policy 2.4"),
    ("hate-or-harassment", "Hate or harassment",
     "Content that attacks or demeans people for who they are, or targets a private person.", "Publication policy 2.5"),
    ("technical-defect", "Technical defect",
     "The file is broken, blank or so corrupted that it cannot be shown as the artist intended.",
     "Publication policy 3.1"),
    ("misleading-real-event", "Presented as a real event",
     "The title or caption presents the generated clip as footage of a real event.", "Publication policy 2.6"),
)  # fmt: skip


def demo_seed_reviews(*, cohort: Cohort) -> None:
    for code, label, description, clause in DEMO_REASONS:
        ReasonCode.objects.get_or_create(
            code=code, defaults={"label": label, "description": description, "policy_clause": clause}
        )
    reviewer = User.objects.filter(email="reviewer@example.com").first()
    artist = User.objects.filter(email="artist@example.com").first()
    other = User.objects.filter(email="artist2@example.com").first()
    if not (reviewer and artist and other) or PublicationRequest.objects.filter(cohort=cohort).exists():
        return
    published = demo_rendered_clip(artist, cohort, "a paper boat drifting across a tide pool at dawn", hue=0.55)
    services.publication_request_create(
        artist=artist, generation=published, title="Tide pool at dawn", caption="Made in the demo cohort.",
        show_prompt=True,
    )  # fmt: skip
    claimed = services.review_claim_next(reviewer=reviewer)
    decision = services.review_decide(reviewer=reviewer, request=claimed, outcome="approve", note="Lovely light.")
    # Signed here, not left to the signing worker, so the gallery is full the moment `make run` opens it.
    services.publication_sign_quietly(publication_id=decision.request.publication.pk)
    waiting = demo_rendered_clip(other, cohort, "a slow spiral of autumn leaves in a courtyard", hue=0.08)
    services.publication_request_create(artist=other, generation=waiting, title="Courtyard leaves")
