"""Inference benchmark: ratios measured in one run (make bench, or python bench/inference.py).

On the CPU with the tiny model it prints:
  1. the module against a bare diffusers call for the same request (target: at most 1.03x),
  2. batched against one-by-one throughput for 4 compatible requests (target: at least 1.6x),
  3. encoding time per frame against denoising time per frame.

With --device cuda it also builds the Wan2.1 1.3B architecture with random weights
(no download) and prints seconds of compute per second of video at 832x480, 81
frames, 50 steps, for the plain pipeline and for the module's fastest preset.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference import GenerationRequest, build_tiny, generate, render, tiny_preset, unload_all
from inference.pipelines import select_device, warm_pipeline


def bare_call(pipeline, request: GenerationRequest, preset) -> None:
    with torch.inference_mode():
        pipeline(
            prompt=request.prompt,
            negative_prompt=request.negative_prompt,
            height=request.height,
            width=request.width,
            num_frames=request.num_frames,
            num_inference_steps=preset.steps_for(request),
            guidance_scale=preset.guidance_for(request),
            generator=torch.Generator(device="cpu").manual_seed(request.seed),
            max_sequence_length=preset.max_sequence_length,
            output_type="np",
        )


def timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_cpu(folder: Path, device: str, repeats: int) -> None:
    import diffusers

    preset = replace(tiny_preset(folder), max_batch=4)
    presets = {preset.name: preset}
    request = GenerationRequest(id="one", prompt="a lighthouse at dusk", width=128, height=128, num_frames=17, steps=4)

    # 1. Module against a bare diffusers call, both warm, interleaved so drift hits both alike.
    bare_pipeline = diffusers.WanPipeline.from_pretrained(folder, local_files_only=True).to(device)
    bare_pipeline.set_progress_bar_config(disable=True)
    warm_pipeline(preset, select_device(device))
    bare_call(bare_pipeline, request, preset)
    list(render([request], presets=presets, device=device))
    bare, module = [], []
    for i in range(repeats):
        # Alternate which goes first (ABBA), so a slow first or second slot hits both alike.
        runs = [
            (bare, lambda: bare_call(bare_pipeline, request, preset)),
            (module, lambda: list(render([request], presets=presets, device=device))),
        ]
        for samples, run in runs if i % 2 == 0 else reversed(runs):
            samples.append(timed(run))
    bare_s, module_s = statistics.median(bare), statistics.median(module)
    print(
        f"module vs bare diffusers:   {module_s / bare_s:.3f}x  (module {module_s:.3f} s, bare {bare_s:.3f} s, "
        f"median of {repeats}; target <= 1.03x)"
    )

    # 2. Four compatible requests: one batched call against four single calls, at two sizes.
    for size, frames in ((64, 9), (128, 17)):
        shaped = replace(request, width=size, height=size, num_frames=frames)
        four = [replace(shaped, id=f"r{i}", seed=i, prompt=f"{request.prompt}, take {i}") for i in range(4)]
        single, batched = [], []
        for _ in range(max(3, repeats // 2)):
            single.append(timed(lambda four=four: [list(render([r], presets=presets, device=device)) for r in four]))
            batched.append(timed(lambda four=four: list(render(four, presets=presets, device=device))))
        single_s, batched_s = statistics.median(single), statistics.median(batched)
        print(
            f"batched vs one-by-one (4 x {size}x{size}x{frames}): {single_s / batched_s:.2f}x throughput  "
            f"(one-by-one {single_s:.3f} s, batched {batched_s:.3f} s; target >= 1.6x)"
        )

    # 3. Encoding against denoising, per frame.
    with tempfile.TemporaryDirectory() as out:
        [result] = generate([request], output_dir=out, presets=presets, device=device)
    t, frames = result.timings, result.num_frames
    print(
        f"encode vs denoise per frame: {t.encode_s / t.denoise_s:.3f}x  (encode {1000 * t.encode_s / frames:.2f} ms, "
        f"denoise {1000 * t.denoise_s / frames:.2f} ms, VAE decode {1000 * t.decode_s / frames:.2f} ms per frame)"
    )
    unload_all()


def build_wan_1_3b(folder: Path, device: torch.device) -> None:
    """The Wan2.1 T2V 1.3B transformer and VAE at full size, random weights, saved in diffusers format.

    The text encoder keeps UMT5-XXL's width (4096, what the transformer reads) but
    only two layers: it runs once per clip and is not what this measures.
    """
    import diffusers
    from transformers import UMT5Config, UMT5EncoderModel

    from inference.tiny import build_tokenizer

    with torch.device(device):
        transformer = diffusers.WanTransformer3DModel(
            patch_size=(1, 2, 2),
            num_attention_heads=12,
            attention_head_dim=128,
            in_channels=16,
            out_channels=16,
            text_dim=4096,
            freq_dim=256,
            ffn_dim=8960,
            num_layers=30,
            cross_attn_norm=True,
            qk_norm="rms_norm_across_heads",
            eps=1e-6,
        ).to(torch.bfloat16)
        vae = diffusers.AutoencoderKLWan()  # the released VAE's configuration is the default
        tokenizer = build_tokenizer()
        text_encoder = UMT5EncoderModel(
            UMT5Config(
                vocab_size=len(tokenizer),
                d_model=4096,
                d_kv=64,
                d_ff=10240,
                num_layers=2,
                num_heads=64,
            )
        ).to(torch.bfloat16)
    scheduler = diffusers.UniPCMultistepScheduler(
        prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
    )
    pipeline = diffusers.WanPipeline(
        tokenizer=tokenizer, text_encoder=text_encoder, vae=vae, transformer=transformer, scheduler=scheduler
    )
    pipeline.save_pretrained(folder)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_bare(folder: Path, request: GenerationRequest, preset, device: torch.device) -> float:
    """One plain diffusers call as its documentation shows it (bf16, Wan's VAE in float32), after a warm-up."""
    import diffusers

    dtypes = {"vae": torch.float32, "default": torch.bfloat16}
    pipeline = diffusers.WanPipeline.from_pretrained(folder, local_files_only=True, dtype=dtypes).to(device)
    pipeline.set_progress_bar_config(disable=True)
    bare_call(pipeline, replace(request, steps=2), preset)  # kernels warm
    sync(device)
    return timed(lambda: (bare_call(pipeline, request, preset), sync(device)))


def bench_real_size(folder: Path, device: str, steps: int, frames: int, smoke: bool) -> None:
    from inference import Preset

    target = select_device(device)
    if smoke:  # the same code path on the tiny architecture, to check the script without a GPU
        build_tiny(folder)
        width, height, frames, steps = 64, 64, 9, 2
    else:
        build_wan_1_3b(folder, target)
        width, height = 832, 480
    clip_s = frames / 16
    plain = Preset(
        name="plain",
        path=folder,
        family="wan",
        dtype="bfloat16",
        default_steps=steps,
        sizes=((width, height),),
        frame_counts=(frames,),
        fps=(16,),
        max_batch=1,
        max_sequence_length=32 if smoke else 512,
    )
    fastest = replace(plain, name="fastest", compile=True, step_cache="first-block", step_cache_threshold=0.05)
    request = GenerationRequest(
        id="clip",
        prompt="a lighthouse at dusk, waves",
        width=width,
        height=height,
        num_frames=frames,
        fps=16,
        steps=steps,
        preset="fastest",
    )

    bare_s = time_bare(folder, request, plain, target)
    if target.type == "cuda":
        torch.cuda.empty_cache()
    presets = {"fastest": fastest}
    # The first call compiles; it is reported, not counted.
    warmup_s = timed(lambda: list(render([replace(request, id="warmup", steps=2)], presets=presets, device=device)))
    fastest_s = timed(lambda: (list(render([request], presets=presets, device=device)), sync(target)))
    name = torch.cuda.get_device_name(target) if target.type == "cuda" else "cpu"
    print(
        f"{'tiny (smoke run)' if smoke else 'Wan2.1 1.3B'} architecture, {width}x{height}, {frames} frames "
        f"({clip_s:.2f} s of video), {steps} steps, {name}:"
    )
    print(f"  plain diffusers pipeline: {bare_s / clip_s:.2f} s of compute per second of video ({bare_s:.1f} s)")
    print(
        f"  module, fastest preset:   {fastest_s / clip_s:.2f} s of compute per second of video ({fastest_s:.1f} s; "
        f"bf16 + First Block Cache + regional torch.compile; warm-up with compilation {warmup_s:.1f} s)"
    )
    print(f"  speed-up: {bare_s / fastest_s:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50, help="real-size run only")
    parser.add_argument("--frames", type=int, default=81, help="real-size run only")
    parser.add_argument(
        "--smoke-real-size",
        action="store_true",
        help="run the real-size code path on the tiny architecture (checks the script on a CPU)",
    )
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, device {args.device}")
    with tempfile.TemporaryDirectory() as scratch:
        tiny = build_tiny(Path(scratch) / "tiny-wan")
        bench_cpu(tiny, args.device, args.repeats)
        if args.device.startswith("cuda") or args.smoke_real_size:
            bench_real_size(
                Path(scratch) / "wan-real-size", args.device, args.steps, args.frames, smoke=args.smoke_real_size
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
