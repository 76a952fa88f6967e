"""Clip settings for tests."""

SMALL = dict(duration_s=1.125, resolution=64, aspect_ratio="1:1", fps=8)  # 9 frames at 64x64: the cheapest clip
