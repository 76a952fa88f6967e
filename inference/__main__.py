"""Command line: build the tiny model, or render one clip.

python -m inference build-tiny DIR [--family wan|ltx|wan-i2v]
python -m inference generate --preset tiny --prompt "..." --out clip.mp4
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tqdm import tqdm

from inference import GenerationRequest, InferenceError, build_tiny, generate, presets_from_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    tiny = commands.add_parser("build-tiny", help="build the tiny random-weight model into DIR")
    tiny.add_argument("directory", type=Path)
    tiny.add_argument("--family", choices=["wan", "ltx", "wan-i2v"], default="wan")
    tiny.add_argument("--force", action="store_true", help="replace DIR if it exists")

    gen = commands.add_parser("generate", help="render one clip to an MP4")
    gen.add_argument("--preset", default="tiny")
    gen.add_argument("--prompt", required=True)
    gen.add_argument("--negative-prompt", default="")
    gen.add_argument("--width", type=int)
    gen.add_argument("--height", type=int)
    gen.add_argument("--frames", type=int, help="number of frames")
    gen.add_argument("--fps", type=int)
    gen.add_argument("--steps", type=int)
    gen.add_argument("--guidance", type=float)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--device", default=None, help="auto (default), cpu, cuda, cuda:N or mps")
    gen.add_argument("--out", type=Path, required=True, help="where to write the MP4 (a .jpg poster goes beside it)")

    args = parser.parse_args(argv)
    try:
        if args.command == "build-tiny":
            return _build_tiny(args)
        return _generate(args)
    except InferenceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _build_tiny(args) -> int:
    if (args.directory / "model_index.json").exists():
        if not args.force:
            print(f"{args.directory} already holds a model (use --force to rebuild it).")
            return 0
        shutil.rmtree(args.directory)
    build_tiny(args.directory, args.family)
    print(f"Built the tiny {args.family} model in {args.directory} (random weights: its clips are noise).")
    return 0


def _generate(args) -> int:
    presets = presets_from_env()
    preset = presets.get(args.preset)
    if preset is None:
        print(f"error: preset: {args.preset!r} is unknown; choose {', '.join(sorted(presets))}", file=sys.stderr)
        return 2
    width, height = (args.width, args.height) if args.width and args.height else preset.sizes[0]
    request = GenerationRequest(
        id=args.out.stem,
        prompt=args.prompt,
        negative_prompt=args.negative_prompt,
        width=width,
        height=height,
        num_frames=args.frames or preset.frame_counts[0],
        fps=args.fps or preset.fps[0],
        steps=args.steps,
        guidance=args.guidance,
        seed=args.seed,
        preset=args.preset,
    )
    bar = tqdm(total=preset.steps_for(request), unit="step", desc="denoising")

    def on_progress(request_id: str, phase: str, done: int, total: int) -> None:
        if phase == "denoise":
            bar.update(done - bar.n)

    try:
        [result] = generate(
            [request], output_dir=args.out.parent, presets=presets, device=args.device, on_progress=on_progress
        )
    finally:
        bar.close()
    t = result.timings
    print(
        f"{result.video_path}: {result.width}x{result.height}, {result.num_frames} frames at {result.fps} fps "
        f"({result.duration_s:.2f} s); load {t.load_s:.2f} s, denoise {t.denoise_s:.2f} s, "
        f"decode {t.decode_s:.2f} s, encode {t.encode_s:.2f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
